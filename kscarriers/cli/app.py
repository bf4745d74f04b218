"""The ``kscarriers`` command group: global options, the client it builds, error handling."""

from __future__ import annotations

import logging
from typing import Optional

import click

from .._version import __version__
from . import carriers, intercepts, pushes, tracking
from .context import Context

__all__ = ["cli", "log_to_stderr"]

EPILOG = """\b
Examples:
  export KSCARRIERS_ZTO_APP_KEY=... KSCARRIERS_ZTO_APP_SECRET=...
  export KSCARRIERS_ZTO_BASE_URL=https://japi.zto.com
  kscarriers track 73100130019486
  kscarriers --json track --file waybills.txt --concurrency 8 > results.json
  kscarriers detect 777031922725111
  kscarriers intercept 73100130019486 --reason "refund 1234" --idempotency-key r-1234
  kscarriers status 73100130019486
  kscarriers cancel 73100130019486
  kscarriers verify-push zto --request captured.http
  kscarriers carriers
  kscarriers --base-url http://127.0.0.1:8080 track JT2099306666983   # the mock server
  kscarriers -v intercept YT2600227881409 --reason "refund 1234"   # retries on stderr

\b
Credentials come from KSCARRIERS_<SLUG>_APP_KEY, _APP_SECRET, _BASE_URL (and
_EXTRA_<NAME>) or from a config file (--config or KSCARRIERS_CONFIG: JSON, or TOML on
Python 3.11+, {"carriers": {"zto": {"app_key": ..., "app_secret": ..., "base_url": ...}}}).
Secrets are never printed.

\b
Exit codes:
  0  ok
  2  bad input: usage, an unreadable file, an argument the SDK refused
  3  configuration missing or malformed
  4  the carrier refused: intercept refused, unknown waybill, bad credentials, unsupported
  5  outcome unknown: an intercept or cancel may have landed (retry with its key)
  6  transport failure: no usable answer after retries (network, timeout, 5xx, busy)
  7  verify-push: the push is not validly signed

See docs/cli.md for every command."""


@click.group(
    epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, "--version", prog_name="kscarriers")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of tables.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="A JSON (or, on Python 3.11+, TOML) file of carrier accounts. [env: KSCARRIERS_CONFIG]",
)
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Send every carrier's calls to URL/<slug> (the mock server: http://127.0.0.1:8080).",
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log the SDK's retries, give-ups and unknown outcomes on stderr; -vv also every attempt.",
)
@click.pass_context
def cli(
    ctx: click.Context, as_json: bool, config_file: Optional[str], base_url: Optional[str], verbose: int
) -> None:
    """Track parcels, intercept them and check carrier pushes from the command line.

    One interface over ZTO, YTO, STO and J&T: the carrier is detected from the waybill
    number (pass --carrier when a number fits more than one).
    """
    log_to_stderr(verbose)
    ctx.obj = Context(as_json=as_json, config_file=config_file, base_url=base_url)


class _StderrHandler(logging.Handler):
    """Writes records to the stderr of the running command (click's, so CliRunner sees it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:
            self.handleError(record)


_HANDLER_NAME = "kscarriers-cli"


def log_to_stderr(verbose: int) -> None:
    """Show the ``kscarriers`` logger's records on stderr: INFO and up for -v, DEBUG for -vv.

    Without -v the SDK's records go nowhere (its logger has only a NullHandler). A handler
    of an earlier run in the same process is replaced, never doubled.
    """
    logger = logging.getLogger("kscarriers")
    for old in [h for h in logger.handlers if h.name == _HANDLER_NAME]:
        logger.removeHandler(old)
    if verbose <= 0:
        logger.setLevel(logging.NOTSET)
        return
    handler = _StderrHandler()
    handler.name = _HANDLER_NAME
    handler.setFormatter(logging.Formatter("kscarriers: %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


for _module in (tracking, intercepts, pushes, carriers):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
