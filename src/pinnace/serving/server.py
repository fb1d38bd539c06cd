"""Run a model server as a pod runs it: `python -m pinnace.serving.server ...`.

    python -m pinnace.serving.server --model-name iris --model-dir DIR|URI \\
        [--format sklearn|xgboost|lightgbm|onnx] [--http-port 8080] [--host $POD_IP] \\
        [--max-batch-size N --max-latency-ms MS] [--max-request-bytes B] [--predict-proba]

A URI as `--model-dir` is fetched once into `--cache-dir` first (`pinnace.serving.storage`).
KServe's underscore spellings (`--model_name`, `--model_dir`, `--http_port`) work too,
so a ServingRuntime written for KServe's servers passes its args unchanged. The model
loads before the port opens (a model that fails to load exits 1 with the reason), so
`/v2/health/ready` answering 200 means the model answers; a Deployment's readiness
probe can use it. A custom model's own program calls `ModelServer().start([model])`,
as with `kserve.ModelServer`. Both serve `pinnace.serving.app.App` with uvicorn
(uvloop, httptools, no access log), and exit on the first SIGTERM or SIGINT after
in-flight requests drain (readiness answers 503 meanwhile).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn

from pinnace.serving import app, batching, formats, models, storage

log = logging.getLogger("pinnace.serving")

DEFAULT_PORT = 8080
DEFAULT_GRACE_PERIOD = 30.0


def default_host() -> str:
    """The pod's own address when the runtime gives one, else loopback."""
    return os.environ.get("POD_IP") or "127.0.0.1"


class _Server(uvicorn.Server):
    """uvicorn that turns readiness off as soon as it is told to stop."""

    def __init__(self, config: uvicorn.Config, served: app.App) -> None:
        super().__init__(config)
        self.served = served

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.served.draining = True
        super().handle_exit(sig, frame)


class ModelServer:
    """Serve models on one HTTP port, as `kserve.ModelServer(...).start([model])`."""

    def __init__(
        self,
        http_port: int | None = None,
        *,
        host: str | None = None,
        max_request_bytes: int = app.DEFAULT_MAX_REQUEST_BYTES,
        grace_period: float = DEFAULT_GRACE_PERIOD,
    ) -> None:
        if http_port is None:
            known, _ = _port_parser().parse_known_args()
            http_port = known.http_port
        self.http_port = http_port if http_port is not None else DEFAULT_PORT
        self.host = host or default_host()
        self.max_request_bytes = max_request_bytes
        self.grace_period = grace_period

    def start(self, models_: Sequence[models.Model]) -> None:
        """Load the models that are not ready yet, then serve until SIGTERM (blocks)."""
        started = time.monotonic()
        for model in models_:
            if not model.ready:
                model.load()
        served = app.App(models_, max_request_bytes=self.max_request_bytes)
        config = uvicorn.Config(
            served,
            host=self.host,
            port=self.http_port,
            loop=_loop(),
            http="httptools",
            lifespan="on",
            access_log=False,
            server_header=False,
            date_header=False,
            log_level="warning",
            timeout_graceful_shutdown=int(self.grace_period),
        )
        log.warning(
            "serving %s on http://%s:%d (loaded in %.2fs)",
            ", ".join(m.name for m in models_),
            self.host,
            self.http_port,
            time.monotonic() - started,
        )
        if threading.current_thread() is threading.main_thread():
            # uvicorn re-raises the stop signal once drained, under the handler in place
            # before it ran: with this one, a drained server exits 0 rather than by SIGTERM.
            signal.signal(signal.SIGTERM, lambda signum, frame: None)
        _Server(config, served).run()


def _loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:  # pragma: no cover - every supported platform has it
        return "asyncio"
    return "uvloop"


def _port_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--http-port", "--http_port", dest="http_port", type=int, default=None)
    return parser


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pinnace.serving.server",
        description="Serve one model over KServe's V1 and the Open Inference Protocol V2.",
        parents=[_port_parser()],
    )
    parser.add_argument("--model-name", "--model_name", dest="model_name", default="model")
    parser.add_argument(
        "--model-dir",
        "--model_dir",
        dest="model_dir",
        required=True,
        help="a directory or file, or a file://, http(s):// or s3:// URI fetched to --cache-dir",
    )
    parser.add_argument("--cache-dir", dest="cache_dir", type=Path, default=storage.DEFAULT_CACHE)
    parser.add_argument(
        "--format", choices=[f.value for f in formats.Format], default=None, help="default: by file"
    )
    parser.add_argument("--model-version", dest="model_version", default=None)
    parser.add_argument("--host", default=None, help="default: $POD_IP, else 127.0.0.1")
    parser.add_argument("--max-batch-size", dest="max_batch_size", type=int, default=0)
    parser.add_argument("--max-latency-ms", dest="max_latency_ms", type=float, default=5.0)
    parser.add_argument(
        "--max-request-bytes",
        dest="max_request_bytes",
        type=int,
        default=app.DEFAULT_MAX_REQUEST_BYTES,
    )
    parser.add_argument(
        "--predict-proba",
        dest="predict_proba",
        action="store_true",
        default=os.environ.get("PREDICT_PROBA", "").lower() == "true",
        help="sklearn: answer predict_proba (KServe's PREDICT_PROBA=true)",
    )
    parser.add_argument(
        "--grace-period", dest="grace_period", type=float, default=DEFAULT_GRACE_PERIOD
    )
    return parser


def build_model(args: argparse.Namespace) -> models.Model:
    """The (unloaded) model the arguments describe."""
    model_dir = (
        storage.fetch(args.model_dir, args.cache_dir)
        if storage.is_uri(args.model_dir)
        else Path(args.model_dir)
    )
    format_ = formats.Format(args.format) if args.format else formats.detect(model_dir)
    settings = (
        batching.Settings(args.max_batch_size, args.max_latency_ms / 1000)
        if args.max_batch_size > 0
        else None
    )
    model = formats.create(format_, args.model_name, model_dir, batching_settings=settings)
    if args.predict_proba:
        if not hasattr(model, "predict_proba"):
            raise ValueError(f"--predict-proba applies to sklearn models, not {format_}")
        model.predict_proba = True
    model.version = args.model_version
    return model


def main(argv: Sequence[str] | None = None) -> int:
    # The frameworks (scikit-learn + scipy alone are ~1,000 modules) load from bytecode
    # written on the first start, even where PYTHONDONTWRITEBYTECODE is set (uv installs
    # no .pyc files): compiling them again on every cold start costs seconds.
    sys.dont_write_bytecode = False
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = parser().parse_args(argv)
    try:
        model = build_model(args)
        model.load()
    except Exception as exc:
        print(f"error: model {args.model_name!r} failed to load: {exc}", file=sys.stderr)
        return 1
    ModelServer(
        args.http_port,
        host=args.host,
        max_request_bytes=args.max_request_bytes,
        grace_period=args.grace_period,
    ).start([model])
    return 0


if __name__ == "__main__":
    sys.exit(main())
