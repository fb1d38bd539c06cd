"""`python -m pinnace.pipelines.launcher`: the entry point of every task pod.

Reads the `launches.Launch` from `$PINNACE_LAUNCH` (set by the run
controller in the pod spec) and exits with what `launching.launch` returns;
a launch error is one line on stderr (the pod's log tail) and exit code 1.
Imports nothing beyond the launcher's own small modules, so a task starts fast.
"""

from __future__ import annotations

import os
import sys

from pinnace.pipelines import launches, launching


def main() -> int:
    text = os.environ.get(launches.ENV)
    if not text:
        print(f"pinnace launcher: ${launches.ENV} is not set", file=sys.stderr)
        return 2
    try:
        return launching.launch(launches.Launch.from_json(text))
    except launching.LaunchError as exc:
        print(f"pinnace launcher: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
