"""What every command shares: the group's options, the client made from them, error handling."""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, TypeVar

import click

from ..client import Client
from ..config import ClientConfig
from ..errors import KsCarriersError
from .output import ExitCode, emit_error
from .settings import load_config

__all__ = ["Context", "json_option", "run"]

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What every command shares: the options of the group, and the client made from them."""

    def __init__(self, *, as_json: bool, config_file: Optional[str], base_url: Optional[str]) -> None:
        self.as_json = as_json
        self.config_file = config_file
        self.base_url = base_url
        self._client: Optional[Client] = None

    def config(self) -> ClientConfig:
        """The client configuration (file, environment, ``--base-url``)."""
        return load_config(config_file=self.config_file, base_url=self.base_url)

    def client(self) -> Client:
        """The client, made on first use and closed when the command ends."""
        if self._client is None:
            self._client = Client(self.config())
            click.get_current_context().call_on_close(self._client.close)
        return self._client


def run(command: F) -> F:
    """Run a command with its SDK errors turned into one line and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state = click.get_current_context().find_object(Context)
        as_json = state.as_json if state is not None else False
        try:
            code = command(*args, **kwargs)
        except (KsCarriersError, ValueError, OSError) as exc:
            code = emit_error(exc, as_json=as_json)
        raise SystemExit(int(code or ExitCode.OK))

    return wrapper  # type: ignore[return-value]


def _set_json(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    state = ctx.find_object(Context)
    if value and state is not None:
        state.as_json = True


#: ``--json`` after the command name too: ``kscarriers track --json`` as ``kscarriers --json track``.
json_option = click.option(
    "--json",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_json,
    help="Print JSON for scripts instead of tables.",
)
