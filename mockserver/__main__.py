"""Command line: ``python -m mockserver --host 127.0.0.1 --port 8080 [--clock manual|system] [--speed N]``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any, Optional

from mockserver.app import create_app
from mockserver.config import ConfigError, from_env

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mockserver",
        description=(
            "Mock ZTO/YTO/STO/J&T carrier server for CI and QA. Carrier APIs are served under "
            "/<carrier>/ (e.g. POST /zto/zto.merchant.waybill.track.query) and the admin API "
            "under /__admin/. Settings not given here come from MOCKSERVER_* environment "
            "variables (see mockserver.config.Config)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default: %(default)s)")
    parser.add_argument(
        "--clock", choices=("system", "manual"), default=None,
        help="system: real time, optionally sped up; manual: time moves only through "
             "POST /__admin/clock/advance or POST /__admin/clock (default: system)",
    )
    parser.add_argument(
        "--speed", type=float, default=None,
        help="virtual seconds per real second for the system clock, e.g. 60 (default: 1)",
    )
    parser.add_argument(
        "--start", default=None,
        help="ISO 8601 start time of the clock with offset, e.g. 2025-01-06T10:00:00+08:00",
    )
    parser.add_argument(
        "--result-delay", type=float, default=None,
        help="seconds of mock time before an accepted intercept resolves (default: 1800)",
    )
    parser.add_argument(
        "--threads", type=int, default=8, help="waitress worker threads (default: %(default)s)"
    )
    parser.add_argument(
        "--store", metavar="SPEC", default=None,
        help="where state lives: memory (the default) or sqlite:PATH, which survives a restart",
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``argv``, build the app and serve it with waitress until interrupted."""
    args = build_parser().parse_args(argv)
    settings: dict[str, Any] = from_env()
    if args.clock is not None:
        settings["CLOCK"] = args.clock
    if args.speed is not None:
        settings["CLOCK_SPEED"] = args.speed
    if args.start is not None:
        settings["CLOCK_START"] = args.start
    if args.result_delay is not None:
        settings["RESULT_DELAY_SECONDS"] = args.result_delay
    if args.store is not None:
        settings["STORE"] = args.store
    try:
        app = create_app(settings)
    except ConfigError as exc:
        print(f"mockserver: bad setting {exc}", file=sys.stderr)
        return 2

    import waitress

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    print(f"mockserver listening on http://{args.host}:{args.port} (admin: /__admin/health)",
          flush=True)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
