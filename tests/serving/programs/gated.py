"""A custom model whose predictions wait for a gate file: holds a request in flight.

    python gated.py --gate DIR [--http_port PORT]

`predict` writes DIR/started, then waits until DIR/open exists, then answers
`{"predictions": "done"}`: a test sends a request, waits for `started`, signals the
server, opens the gate, and sees whether the request still completes.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from pinnace.serving import models, server


class Gated(models.Model):
    def __init__(self, gate: Path) -> None:
        super().__init__("gated")
        self.gate = gate

    async def predict(self, payload: Any, headers: models.Headers | None = None) -> Any:
        (self.gate / "started").touch()
        # The gate is a file another process makes: poll it (no event can cross processes).
        while not (self.gate / "open").exists():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return "done"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gate", type=Path, required=True)
    args, _ = parser.parse_known_args()
    server.ModelServer(grace_period=30).start([Gated(args.gate)])


if __name__ == "__main__":
    main()
