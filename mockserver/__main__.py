"""Command line: ``python -m mockserver [--port N] [--clock MODE] [--scenarios FILE] [--proxy URL]``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from typing import Any, Callable, Optional
from urllib.parse import urlsplit, urlunsplit

from mockserver import __version__
from mockserver.config import ConfigError, from_env

try:
    from waitress.server import create_server

    from mockserver.app import close_app, create_app, enable_proxy
    from mockserver.deciders.proxy import Recorder, parse_upstreams
    from mockserver.pushes.targets import is_loopback_host
    from mockserver.scenarios import ScenarioFileError, install_scenarios
except ImportError as exc:  # the kscarriers[mock] extra is not installed
    if (exc.name or "").split(".")[0] not in ("flask", "werkzeug", "waitress"):
        raise
    _MISSING: Optional[str] = exc.name
else:
    _MISSING = None

__all__ = ["build_parser", "main"]


def _whole(low: int, high: Optional[int] = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (argparse then exits with 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, not {value}")
        return value

    return parse


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
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=_whole(0, 65535),
        default=8080,
        help="port to listen on, 0 for any free one (default: %(default)s)",
    )
    parser.add_argument(
        "--clock",
        choices=("system", "manual"),
        default=None,
        help="system: real time, optionally sped up; manual: time moves only through "
        "POST /__admin/clock/advance or POST /__admin/clock (default: system)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=None,
        help="virtual seconds per real second for the system clock, e.g. 60 (default: 1)",
    )
    parser.add_argument(
        "--start",
        default=None,
        help="ISO 8601 start time of the clock with offset, e.g. 2025-01-06T10:00:00+08:00",
    )
    parser.add_argument(
        "--result-delay",
        type=float,
        default=None,
        help="seconds of mock time before an accepted intercept resolves (default: 1800)",
    )
    parser.add_argument(
        "--threads", type=_whole(1), default=8, help="waitress worker threads (default: %(default)s)"
    )
    parser.add_argument(
        "--connection-limit",
        type=_whole(1),
        default=1000,
        help="open client connections served at once; more wait unanswered (default: %(default)s; "
        "waitress's own default of 100 stalls a CI fleet of 100 keep-alive clients)",
    )
    parser.add_argument(
        "--store",
        metavar="SPEC",
        default=None,
        help="where state lives: memory (the default) or sqlite:PATH, which survives a restart",
    )
    parser.add_argument(
        "--scenarios",
        metavar="FILE",
        default=None,
        help="scenario file (JSON, see docs/scenarios.md) to install at start; an invalid file "
        "is reported with the path at fault and nothing is served (exit status 2)",
    )
    parser.add_argument(
        "--proxy",
        metavar="URL",
        action="append",
        default=None,
        help="proxy mode: forward carrier requests to this upstream and answer with its answers. "
        "A bare URL keeps the request path (/zto/...); carrier=URL (repeatable) strips the "
        "/<carrier> prefix, e.g. zto=https://japi-test.zto.com",
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        default=None,
        help="with --proxy: save what the upstream answered as a replayable scenario file at "
        "shutdown and on POST /__admin/recordings/save (secrets stripped)",
    )
    parser.add_argument(
        "--admin-token",
        metavar="TOKEN",
        default=None,
        help="bearer token every /__admin call needs (env MOCKSERVER_ADMIN_TOKEN, which other users "
        "of the machine cannot read from the process list); see docs/security.md",
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``argv``, build the app and serve it with waitress until interrupted."""
    args = build_parser().parse_args(argv)
    if _MISSING is not None:
        print(
            f"mockserver: {_MISSING} is not installed: pip install 'kscarriers[mock]' for the mock server",
            file=sys.stderr,
        )
        return 2
    try:
        settings = _settings(args)
        app = create_app(settings)
    except ConfigError as exc:
        print(f"mockserver: bad setting {exc}", file=sys.stderr)
        return 2
    if not is_loopback_host(args.host) and not (settings.get("ADMIN_TOKEN") or settings.get("TEAM_TOKENS")):
        print(
            f"mockserver: WARNING: listening on {args.host} with no admin token: anyone who can reach "
            "the port can reset every account, install scenarios and read every journal. Set "
            "MOCKSERVER_ADMIN_TOKEN (or --admin-token); see docs/security.md",
            file=sys.stderr,
            flush=True,
        )
    try:
        recorder = _prepare(app, args)
        # Bound here rather than by waitress, which starts its worker threads before binding
        # and would leave them running when the port is taken.
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        listener = socket.create_server((args.host, args.port), family=family)
    except _Refused as exc:
        close_app(app, drain_seconds=0)
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the port is taken, the host is not ours, ...
        close_app(app, drain_seconds=0)
        print(f"mockserver: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2

    server = create_server(
        app, sockets=[listener], threads=args.threads, connection_limit=args.connection_limit
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    shown = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    print(
        f"mockserver listening on http://{shown}:{server.effective_port} (admin: /__admin/health)", flush=True
    )
    # SIGTERM (how CI stops a server) and Ctrl-C end waitress the same way: it stops taking
    # requests and lets the running ones finish; then the pushes on the wire are drained, the
    # store is closed (a SQLite file is checkpointed, so the .db alone holds everything) and a
    # recording is saved.
    stopping = _Stopping()
    try:
        stopping.install()
        server.run()
    finally:
        stopping.shutting_down = True
        if stopping.signal_name:
            print(f"mockserver: {stopping.signal_name} received, stopping", flush=True)
        try:
            drained = close_app(app)
        finally:
            stopping.restore()
    if not drained:
        print(
            "mockserver: pushes still on the wire when the drain time ran out stay pending",
            file=sys.stderr,
        )
    print("mockserver: stopped", flush=True)
    if recorder is not None:
        try:
            print(f"mockserver: recording saved to {recorder.save()}", flush=True)
        except OSError as exc:
            print(f"mockserver: cannot save the recording to {args.record}: {exc}", file=sys.stderr)
            return 1
    return 0


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The ``MOCKSERVER_*`` environment, overridden by the options given."""
    settings: dict[str, Any] = from_env()
    for option, key in (
        ("clock", "CLOCK"),
        ("speed", "CLOCK_SPEED"),
        ("start", "CLOCK_START"),
        ("result_delay", "RESULT_DELAY_SECONDS"),
        ("store", "STORE"),
        ("admin_token", "ADMIN_TOKEN"),
    ):
        value = getattr(args, option)
        if value is not None:
            settings[key] = value
    return settings


class _Stopping:
    """The SIGTERM/SIGINT handler: the first signal ends serving; later ones, while stopping, are ignored."""

    def __init__(self) -> None:
        self.signal_name = ""
        self.shutting_down = False
        self._before: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers (main() run from a test's thread)
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._before[signum] = signal.signal(signum, self.on_signal)

    def restore(self) -> None:
        for signum, handler in self._before.items():
            signal.signal(signum, handler)
        self._before.clear()

    def on_signal(self, signum: int, frame: Any) -> None:
        if self.shutting_down or self.signal_name:
            return  # already stopping; the drain is bounded (PUSH_TIMEOUT_SECONDS + 1)
        self.signal_name = signal.Signals(signum).name
        raise SystemExit(0)  # waitress's loop ends on it


class _Refused(Exception):
    """A start-up option cannot be used; the message says why."""


def _prepare(app: Any, args: argparse.Namespace) -> Optional[Recorder]:
    """Install ``--scenarios`` and set up ``--proxy``/``--record``; return the recorder, if any.

    Raises:
        _Refused: for an invalid scenario file or unusable proxy options.
    """
    if args.scenarios is not None:
        try:
            loaded = install_scenarios(app.extensions["mockserver"].scenarios, args.scenarios)
        except ScenarioFileError as exc:
            raise _Refused(f"invalid scenario file: {exc}") from None
        print(f"mockserver: {len(loaded.stubs)} scenario stubs loaded from {args.scenarios}", flush=True)
    if args.record is not None and not args.proxy:
        raise _Refused("--record needs --proxy URL (what to record)")
    if args.record is not None:
        # Found out now, not when the recording is saved at shutdown and would be lost.
        folder = os.path.dirname(os.path.abspath(args.record))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise _Refused(f"--record {args.record}: the folder {folder} does not exist or cannot be written")
    if not args.proxy:
        return None
    try:
        upstreams = parse_upstreams(args.proxy)
    except ValueError as exc:
        raise _Refused(str(exc)) from None
    decider = enable_proxy(app, upstreams, record=args.record)
    shown = ", ".join(f"{k}={_without_credentials(v)}" for k, v in upstreams.items())
    print(f"mockserver: proxying to {shown}", flush=True)
    return decider.recorder if args.record is not None else None


def _without_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``, for printing."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


if __name__ == "__main__":
    sys.exit(main())
