"""Train an iris classifier with scikit-learn and save it as a KServe sklearn model directory.

    python examples/iris/train.py --out /tmp/pinnace-iris/model

The directory holds one `model.joblib`, what KServe's sklearn server (and pinnace's)
loads. The data is scikit-learn's bundled iris set: nothing is downloaded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/pinnace-iris/model"))
    args = parser.parse_args()
    features, target = load_iris(return_X_y=True)
    train_x, test_x, train_y, test_y = train_test_split(
        features, target, test_size=0.25, random_state=0, stratify=target
    )
    model = LogisticRegression(max_iter=1000).fit(train_x, train_y)
    print(f"accuracy on held-out rows: {model.score(test_x, test_y):.3f}")
    model.fit(features, target)  # the served model learns from every row
    args.out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, args.out / "model.joblib")
    print(f"model saved in {args.out}")


if __name__ == "__main__":
    main()
