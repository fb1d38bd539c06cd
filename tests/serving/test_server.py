"""The server command as a pod runs it: every format on a real port, a model that fails to
load, and draining on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from . import models as trained_models
from . import processes

pytestmark = pytest.mark.slow
PROGRAMS = Path(__file__).parent / "programs"


@pytest.mark.parametrize("format_", list(trained_models.TRAINERS))
def test_each_format_answers_v1_and_v2_on_a_port(format_: str, tmp_path: Path) -> None:
    trained = trained_models.TRAINERS[format_](tmp_path)
    features, _ = trained_models.iris()
    rows = features[5::17]
    if trained.input_datatype == "FP32":
        rows = rows.astype(np.float32)
    expected = np.asarray(trained.predict(rows))
    args = ["--model-name", "m", "--model-dir", str(tmp_path), "--format", format_]
    with processes.serving(args) as running:
        v1 = httpx.post(
            f"{running.url}/v1/models/m:predict", json={"instances": rows.tolist()}, timeout=60
        )
        assert v1.status_code == 200, v1.text
        got = np.asarray(v1.json()["predictions"], dtype=expected.dtype)
        np.testing.assert_array_equal(got, expected)
        [spec] = httpx.get(f"{running.url}/v2/models/m", timeout=60).json()["inputs"]
        body = {"inputs": [{**spec, "shape": list(rows.shape), "data": rows.tolist()}]}
        v2 = httpx.post(f"{running.url}/v2/models/m/infer", json=body, timeout=60)
        assert v2.status_code == 200, v2.text
        output = v2.json()["outputs"][0]
        got = np.asarray(output["data"], dtype=expected.dtype).reshape(output["shape"])
        np.testing.assert_array_equal(got, expected)


def test_a_model_that_fails_to_load_exits_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "model.joblib").write_bytes(b"not a pickle")
    result = subprocess.run(
        [*processes.SERVER, "--model-dir", str(tmp_path), "--http-port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "error: model 'model' failed to load" in result.stderr


def test_sigterm_drains_in_flight_requests_then_exits(tmp_path: Path) -> None:
    program = [sys.executable, str(PROGRAMS / "gated.py"), "--gate", str(tmp_path)]
    with processes.serving([], command=program) as running:
        answers: list[Any] = []

        def call() -> None:
            answers.append(
                httpx.post(
                    f"{running.url}/v1/models/gated:predict", json={"instances": [1]}, timeout=60
                )
            )

        caller = threading.Thread(target=call)
        caller.start()
        deadline = time.monotonic() + 60
        while not (tmp_path / "started").exists():  # the request is in the model now
            assert time.monotonic() < deadline
            time.sleep(0.01)
        running.process.send_signal(signal.SIGTERM)
        while True:  # the listener closes: new connections are refused while it drains
            try:
                httpx.get(f"{running.url}/v2/health/live", timeout=1)
            except httpx.TransportError:
                break
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert running.process.poll() is None  # still draining
        (tmp_path / "open").touch()
        caller.join(timeout=60)
        assert running.process.wait(timeout=60) == 0
    [answer] = answers
    assert answer.status_code == 200
    assert answer.json() == {"predictions": "done"}


def test_a_model_uri_is_fetched_into_the_cache_first(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    trained = trained_models.sklearn_model(tmp_path / "src")
    features, _ = trained_models.iris()
    args = ["--model-name", "m", "--model-dir", trained.directory.as_uri()]
    with processes.serving([*args, "--cache-dir", str(tmp_path / "cache")]) as running:
        v1 = httpx.post(
            f"{running.url}/v1/models/m:predict", json={"instances": features.tolist()}, timeout=60
        )
        assert v1.json() == {"predictions": trained.predict(features).tolist()}
    [cached] = [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]
    assert (cached / "model.joblib").exists()
