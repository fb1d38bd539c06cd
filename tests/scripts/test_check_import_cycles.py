"""`scripts/check_import_cycles.py` (run by `make lint`) fails on a cycle and names it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_import_cycles.py"


def _package(root: Path, modules: dict[str, str]) -> None:
    pkg = root / "cyclic"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, source in modules.items():
        (pkg / f"{name}.py").write_text(source)


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "cyclic"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_cycle_fails_and_is_printed(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "a": "from cyclic import b\n",
            "b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclic import a\n",
            "c": "from cyclic import a\n",
        },
    )
    result = _check(tmp_path)
    assert result.returncode == 1
    assert "import cycle: cyclic.a -> cyclic.b -> cyclic.a" in result.stdout


def test_no_cycle_passes(tmp_path: Path) -> None:
    _package(tmp_path, {"a": "from cyclic import b\n", "b": "import json\n"})
    result = _check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
