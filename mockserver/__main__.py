"""Command line: ``python -m mockserver [--port N] [--clock MODE] [--scenarios PATH]... [--proxy URL]``.

Every option can also come from its ``MOCKSERVER_*`` variable (``mockserver.config.OPTIONS``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional
from urllib.parse import urlsplit, urlunsplit

from mockserver import __version__
from mockserver.config import ACCESS_LOG_MODES, OPTIONS, ConfigError, from_env

try:
    from waitress.server import create_server

    from mockserver.app import close_app, create_app, enable_proxy
    from mockserver.deciders.proxy import Recorder, parse_upstreams
    from mockserver.pushes.targets import is_loopback_host
    from mockserver.scenarios import ScenarioFileError, install_scenario_files
    from mockserver.serving import ACCESS_LOGGER, AccessLog, AdminFirstDispatcher, JsonLinesFormatter
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


def _text(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _access_log(text: str) -> str:
    if text not in ACCESS_LOG_MODES:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(ACCESS_LOG_MODES)}, not {text!r}")
    return text


_PORT = _whole(0, 65535)
_AT_LEAST_ONE = _whole(1)

# The server-process options (see mockserver.config.OPTIONS): how a MOCKSERVER_* value is read,
# and the default when neither the command line nor the environment gives one. A list option's
# variable holds several values: SCENARIOS separated like PATH (os.pathsep), PROXY by spaces.
_SERVER: dict[str, tuple[Callable[[str], Any], Any]] = {
    "--host": (_text, "127.0.0.1"),
    "--port": (_PORT, 8080),
    "--threads": (_AT_LEAST_ONE, 8),
    "--connection-limit": (_AT_LEAST_ONE, 1000),
    "--scenarios": (lambda text: [part for part in text.split(os.pathsep) if part], None),
    "--proxy": (str.split, None),
    "--record": (_text, None),
    "--access-log": (_access_log, "text"),
}
_OPTIONS = {option.flag: option for option in OPTIONS}


def _add(parser: argparse.ArgumentParser, flag: str, *, help: str, **kwargs: Any) -> None:
    """Add ``flag``; its help names the variable that can give it instead (the command line wins)."""
    parser.add_argument(flag, default=None, help=f"{help} [env {_OPTIONS[flag].variable}]", **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mockserver",
        description=(
            "Mock ZTO/YTO/STO/J&T carrier server for CI and QA. Carrier APIs are served under "
            "/<carrier>/ (e.g. POST /zto/zto.merchant.waybill.track.query) and the admin API "
            "under /__admin/. Every option can also be given as the MOCKSERVER_* variable named "
            "in its help (the command line wins); so can the other settings of "
            "mockserver.config.Config. An unknown MOCKSERVER_* variable is refused."
        ),
    )
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    _add(parser, "--host", type=_text, help="interface to bind (default: 127.0.0.1)")
    _add(parser, "--port", type=_PORT, help="port to listen on, 0 for any free one (default: 8080)")
    _add(
        parser,
        "--clock",
        choices=("system", "manual"),
        help="system: real time, optionally sped up; manual: time moves only through "
        "POST /__admin/clock/advance or POST /__admin/clock (default: system)",
    )
    _add(
        parser,
        "--speed",
        type=float,
        help="virtual seconds per real second for the system clock, e.g. 60 (default: 1)",
    )
    _add(
        parser,
        "--start",
        help="ISO 8601 start time of the clock with offset, e.g. 2025-01-06T10:00:00+08:00",
    )
    _add(
        parser,
        "--result-delay",
        type=float,
        help="seconds of mock time before an accepted intercept resolves (default: 1800)",
    )
    _add(parser, "--threads", type=_AT_LEAST_ONE, help="waitress worker threads (default: 8)")
    _add(
        parser,
        "--connection-limit",
        type=_AT_LEAST_ONE,
        help="open client connections served at once; more wait unanswered (default: 1000; "
        "waitress's own default of 100 stalls a CI fleet of 100 keep-alive clients)",
    )
    _add(
        parser,
        "--store",
        metavar="SPEC",
        help="where state lives: memory (the default) or sqlite:PATH, which survives a restart",
    )
    _add(
        parser,
        "--scenarios",
        metavar="PATH",
        action="append",
        help="scenario file (JSON, see docs/scenarios.md) or directory of *.json files to install "
        "at start; repeatable, the files are merged. An invalid file or a conflict between files "
        "is reported with the file and the path at fault and nothing is served (exit status 2). "
        "The variable separates paths like PATH does",
    )
    _add(
        parser,
        "--proxy",
        metavar="URL",
        action="append",
        help="proxy mode: forward carrier requests to this upstream and answer with its answers. "
        "A bare URL keeps the request path (/zto/...); carrier=URL (repeatable) strips the "
        "/<carrier> prefix, e.g. zto=https://japi-test.zto.com. The variable separates them by spaces",
    )
    _add(
        parser,
        "--record",
        metavar="FILE",
        help="with --proxy: save what the upstream answered as a replayable scenario file at "
        "shutdown and on POST /__admin/recordings/save (secrets stripped)",
    )
    _add(
        parser,
        "--access-log",
        choices=ACCESS_LOG_MODES,
        help="one line per request on the mockserver.access logger (standard error): text, json "
        "(JSON lines) or off; never a body, secret-looking query parameters masked (default: text)",
    )
    _add(
        parser,
        "--admin-token",
        metavar="TOKEN",
        help="bearer token every /__admin call needs (prefer the variable, which other users of "
        "the machine cannot read from the process list); see docs/security.md",
    )
    return parser


def _from_environment(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Fill in each server-process option the command line left out: its variable, else its default.

    Raises:
        ConfigError: naming the variable whose value cannot be used.
    """
    for flag, (parse, default) in _SERVER.items():
        dest = flag[2:].replace("-", "_")
        if getattr(args, dest) is not None:
            continue
        variable = _OPTIONS[flag].variable
        text = environ.get(variable)
        if text is None:
            setattr(args, dest, default)
            continue
        try:
            value = parse(text)
        except argparse.ArgumentTypeError as exc:
            raise ConfigError(key=variable, reason=str(exc)) from None
        if isinstance(value, list) and not value:
            raise ConfigError(key=variable, reason="names nothing")
        setattr(args, dest, value)


def main(argv: Optional[Sequence[str]] = None, *, environ: Optional[Mapping[str, str]] = None) -> int:
    """Parse ``argv`` over the ``MOCKSERVER_*`` environment, build the app and serve it until stopped."""
    args = build_parser().parse_args(argv)
    if _MISSING is not None:
        print(
            f"mockserver: {_MISSING} is not installed: pip install 'kscarriers[mock]' for the mock server",
            file=sys.stderr,
        )
        return 2
    env = os.environ if environ is None else environ
    try:
        settings = _settings(args, env)
        _from_environment(args, env)
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

    served = app if args.access_log == "off" else AccessLog(app)
    server = create_server(
        served,
        sockets=[listener],
        connection_limit=args.connection_limit,
        _dispatcher=AdminFirstDispatcher(args.threads),  # waitress's hook for its worker pool
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
    json_lines = _JsonLines() if args.access_log == "json" else None
    try:
        stopping.install()
        if json_lines is not None:
            json_lines.install()
        server.run()
    finally:
        stopping.shutting_down = True
        if stopping.signal_name:
            print(f"mockserver: {stopping.signal_name} received, stopping", flush=True)
        try:
            drained = close_app(app)
        finally:
            stopping.restore()
            if json_lines is not None:
                json_lines.restore()
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


class _JsonLines:
    """While serving, the access logger writes bare JSON objects to standard error, one a line."""

    def __init__(self) -> None:
        self._logger = logging.getLogger(ACCESS_LOGGER)
        self._handler = logging.StreamHandler(sys.stderr)
        self._handler.setFormatter(JsonLinesFormatter())
        self._before = (self._logger.propagate, self._logger.level)

    def install(self) -> None:
        self._logger.addHandler(self._handler)
        self._logger.propagate = False  # not a second time, with a timestamp in front, by the root
        self._logger.setLevel(logging.INFO)

    def restore(self) -> None:
        self._logger.removeHandler(self._handler)
        self._logger.propagate, level = self._before
        self._logger.setLevel(level)


def _settings(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, Any]:
    """The app's settings: the ``MOCKSERVER_*`` environment, overridden by the options given."""
    settings: dict[str, Any] = from_env(environ)
    for option in OPTIONS:
        value = getattr(args, option.flag[2:].replace("-", "_"))
        if option.app and value is not None:
            settings[option.setting] = value
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
            loaded = install_scenario_files(app.extensions["mockserver"].scenarios, args.scenarios)
        except ScenarioFileError as exc:
            raise _Refused(f"invalid scenario file: {exc}") from None
        shown = ", ".join(os.fspath(path) for path in args.scenarios)
        print(f"mockserver: {len(loaded.stubs)} scenario stubs loaded from {shown}", flush=True)
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
