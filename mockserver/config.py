"""Settings of the mock server: ``Config`` defaults, overridden by a test mapping or ``MOCKSERVER_*`` env."""

from __future__ import annotations

import difflib
import json
import math
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Optional

from attrs import frozen

from mockserver.clock import MAX_SPEED

__all__ = [
    "ACCESS_LOG_MODES",
    "OPTIONS",
    "OTHER_VARIABLES",
    "Config",
    "ConfigError",
    "Option",
    "check_environment",
    "check_number",
    "from_env",
    "known_variables",
    "load_config",
]

ENV_PREFIX = "MOCKSERVER_"

ACCESS_LOG_MODES = ("text", "json", "off")
"""What ``--access-log`` / ``MOCKSERVER_ACCESS_LOG`` take (see ``mockserver.serving.AccessLog``)."""


class ConfigError(ValueError):
    """A setting has a value the mock server cannot use; ``key`` names it."""

    def __init__(self, *, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class Config:
    """Default settings. Upper-case attributes are settings; each can be set as ``MOCKSERVER_<NAME>``.

    Attributes:
        RESULT_DELAY_SECONDS: seconds between accepting an intercept and its outcome.
        CLOCK: ``"system"`` (real time, see ``CLOCK_SPEED``) or ``"manual"`` (moves only when told).
        CLOCK_SPEED: virtual seconds per real second for the system clock.
        CLOCK_START: ISO 8601 start time (with offset) of the clock; default: now / a fixed instant.
        DEMO_ACCOUNTS: register ``<slug>-demo`` / ``<slug>-demo-secret`` for every carrier.
        ACCOUNTS: accounts to register at start and after a full reset: a list of objects
            ``{"carrier", "app_key", "app_secret", "auto_parcels"?, "extra"?}`` (JSON in the env).
        JOURNAL_LIMIT: how many exchanges the journal keeps.
        JOURNAL_BODY_LIMIT: characters of each request/response body kept in the journal.
        MAX_CONTENT_LENGTH: largest request body accepted, in bytes.
        STORE: where state lives: ``"memory"`` or ``"sqlite:PATH"`` (survives a restart).
        PUSH_DELAY_SECONDS: mock seconds between an event and its push (scenarios may change it).
        PUSH_RETRY_LIMIT: retries of a push that is not acknowledged, after the first attempt.
        PUSH_RETRY_BASE_SECONDS: mock seconds before the first retry; each next one waits twice as long.
        PUSH_TIMEOUT_SECONDS: real seconds a subscriber has to answer a push.
        PUSH_WORKERS: threads delivering pushes.
        PUSH_TICKER: ``"auto"`` (tick in the background while the clock runs by itself), ``"on"``, ``"off"``.
        PUSH_TICK_SECONDS: real seconds between two background ticks.
        PUSH_BATCH_WINDOW_SECONDS: mock seconds a partial scenario batch waits for more pushes.
        ADMIN_TOKEN: the bearer token every ``/__admin`` call needs (``None``: no authentication);
            full access. See ``docs/security.md``.
        TEAM_TOKENS: team name -> bearer token (JSON object in the env); a team's token manages
            only the accounts that team registered.
        CALLBACK_ALLOW: comma-separated hosts (``receiver.ci``, ``*.ci.example``) and networks
            (``10.0.0.0/8``, ``127.0.0.1``) callback URLs may point at; empty: any address that
            is not refused always (link-local, cloud metadata).
        JOURNAL_ACCOUNT_LIMIT: how many exchanges the journal keeps per account (oldest dropped first).
        PUSH_RECORD_LIMIT: how many push records the store keeps per account; past it the oldest
            settled ones (delivered, failed, dropped) are removed and counted. Pending pushes are
            never removed (see ``docs/mockserver.md``).
        SCENARIO_LIMIT: how many scenario stubs ``POST /__admin/scenarios`` lets one account
            (or the unscoped stubs together) have.
    """

    RESULT_DELAY_SECONDS: float = 1800.0
    CLOCK: str = "system"
    CLOCK_SPEED: float = 1.0
    CLOCK_START: Optional[str] = None
    DEMO_ACCOUNTS: bool = True
    ACCOUNTS: list[dict[str, Any]] = []  # noqa: RUF012 - read-only default, copied by load_config
    JOURNAL_LIMIT: int = 10_000
    JOURNAL_BODY_LIMIT: int = 65_536
    MAX_CONTENT_LENGTH: int = 1_048_576
    STORE: str = "memory"
    PUSH_DELAY_SECONDS: float = 0.0
    PUSH_RETRY_LIMIT: int = 5
    PUSH_RETRY_BASE_SECONDS: float = 30.0
    PUSH_TIMEOUT_SECONDS: float = 10.0
    PUSH_WORKERS: int = 4
    PUSH_TICKER: str = "auto"
    PUSH_TICK_SECONDS: float = 0.2
    PUSH_BATCH_WINDOW_SECONDS: float = 300.0
    ADMIN_TOKEN: Optional[str] = None
    TEAM_TOKENS: dict[str, str] = {}  # noqa: RUF012 - read-only default, copied by load_config
    CALLBACK_ALLOW: str = ""
    JOURNAL_ACCOUNT_LIMIT: int = 2_000
    PUSH_RECORD_LIMIT: int = 2_000
    SCENARIO_LIMIT: int = 500
    TESTING: bool = False


@frozen
class Option:
    """A command-line option of ``python -m mockserver`` and the variable that can give it instead.

    Args:
        flag: the option, e.g. ``"--port"``.
        setting: the name after ``MOCKSERVER_``, e.g. ``"PORT"``.
        app: a :class:`Config` setting ``create_app`` reads itself; otherwise a setting of the
            server process only (where to listen, what to load at start), read by ``__main__``.
    """

    flag: str
    setting: str
    app: bool = False

    @property
    def variable(self) -> str:
        """The environment variable, e.g. ``MOCKSERVER_PORT``."""
        return ENV_PREFIX + self.setting


OPTIONS: tuple[Option, ...] = (
    Option("--host", "HOST"),
    Option("--port", "PORT"),
    Option("--clock", "CLOCK", app=True),
    Option("--speed", "CLOCK_SPEED", app=True),
    Option("--start", "CLOCK_START", app=True),
    Option("--result-delay", "RESULT_DELAY_SECONDS", app=True),
    Option("--threads", "THREADS"),
    Option("--connection-limit", "CONNECTION_LIMIT"),
    Option("--store", "STORE", app=True),
    Option("--scenarios", "SCENARIOS"),
    Option("--proxy", "PROXY"),
    Option("--record", "RECORD"),
    Option("--access-log", "ACCESS_LOG"),
    Option("--admin-token", "ADMIN_TOKEN", app=True),
)
"""Every option of ``python -m mockserver`` (but ``--help``/``--version``) with its variable.

The command line wins over the environment. A new option gets a row here (and in the table
of docs/mockserver.md); an ``app`` one also a :class:`Config` attribute.
"""

OTHER_VARIABLES: Mapping[str, str] = {
    "URL": "the running server the pytest plugin's fixtures use (--mockserver-url)",
    "CONFORMANCE_EXAMPLES": "examples per admin route in tests/mockserver/test_admin_conformance.py",
}
"""``MOCKSERVER_*`` variables read by other tools of the project, not by the server."""


def known_variables() -> frozenset[str]:
    """Every ``MOCKSERVER_*`` variable something in the project reads."""
    names = {*_defaults(Config), *(option.setting for option in OPTIONS), *OTHER_VARIABLES}
    return frozenset(ENV_PREFIX + name for name in names)


def check_environment(environ: Optional[Mapping[str, str]] = None) -> None:
    """Refuse a ``MOCKSERVER_*`` variable nothing reads: a typo would be silently ignored.

    Raises:
        ConfigError: naming the first unknown variable and the known one it is closest to.
    """
    env = os.environ if environ is None else environ
    known = known_variables()
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in known:
            continue
        near = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"did you mean {near[0]}?" if near else "the known ones are listed in docs/mockserver.md"
        raise ConfigError(key=name, reason=f"is not a mock server setting; {hint}")


def _defaults(source: type[Config]) -> dict[str, Any]:
    return {name: getattr(source, name) for name in dir(source) if name.isupper()}


def _parse_env(key: str, text: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if text.lower() in {"1", "true", "yes", "on"}:
                return True
            if text.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, (list, dict)):
            return json.loads(text)
    except json.JSONDecodeError as exc:
        # Never echo the text: ACCOUNTS holds app secrets.
        raise ConfigError(
            key=key,
            reason=f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} "
            "(the value is not shown, as it may hold secrets)",
        ) from None
    except ValueError as exc:
        raise ConfigError(key=key, reason=f"cannot parse {text!r}: {exc}") from exc
    return text


def from_env(environ: Optional[Mapping[str, str]] = None) -> dict[str, Any]:
    """The settings given as ``MOCKSERVER_<NAME>`` environment variables, parsed by type.

    Raises:
        ConfigError: for a value that cannot be parsed, or an unknown ``MOCKSERVER_*`` variable
            (see :func:`check_environment`).
    """
    env = os.environ if environ is None else environ
    check_environment(env)
    defaults = _defaults(Config)
    found: dict[str, Any] = {}
    for key, default in defaults.items():
        text = env.get(ENV_PREFIX + key)
        if text is not None:
            found[key] = _parse_env(ENV_PREFIX + key, text, default)
    return found


def check_number(
    key: str,
    value: Any,
    *,
    minimum: float = 0.0,
    above: bool = False,
    maximum: Optional[float] = None,
    whole: bool = False,
) -> float:
    """``value`` as a float, if it is a finite number from ``minimum`` to ``maximum``.

    Args:
        key: the setting, named in the error.
        value: what was given.
        minimum: the smallest value allowed (excluded when ``above``).
        above: the value must be greater than ``minimum``.
        maximum: the largest value allowed, if any.
        whole: the value must be a whole number.

    Raises:
        ConfigError: naming ``key``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(key=key, reason=f"must be a number, not {value!r}")
    if value < minimum or (above and value == minimum):
        raise ConfigError(key=key, reason=f"must be {'>' if above else '>='} {minimum:g}")
    if maximum is not None and value > maximum:
        raise ConfigError(key=key, reason=f"must be <= {maximum:g}")
    if whole and int(value) != value:
        raise ConfigError(key=key, reason=f"must be a whole number, not {value!r}")
    return float(value)


def _check(settings: dict[str, Any]) -> dict[str, Any]:
    if settings["CLOCK"] not in {"system", "manual"}:
        raise ConfigError(key="CLOCK", reason=f"must be 'system' or 'manual', not {settings['CLOCK']!r}")
    check_number("RESULT_DELAY_SECONDS", settings["RESULT_DELAY_SECONDS"])
    check_number("CLOCK_SPEED", settings["CLOCK_SPEED"], above=True, maximum=MAX_SPEED)
    check_number("JOURNAL_LIMIT", settings["JOURNAL_LIMIT"], minimum=1, whole=True)
    check_number("JOURNAL_BODY_LIMIT", settings["JOURNAL_BODY_LIMIT"], whole=True)
    check_number("JOURNAL_ACCOUNT_LIMIT", settings["JOURNAL_ACCOUNT_LIMIT"], minimum=1, whole=True)
    check_number("PUSH_RECORD_LIMIT", settings["PUSH_RECORD_LIMIT"], minimum=1, whole=True)
    check_number("SCENARIO_LIMIT", settings["SCENARIO_LIMIT"], minimum=1, whole=True)
    check_number("MAX_CONTENT_LENGTH", settings["MAX_CONTENT_LENGTH"], minimum=1, whole=True)
    _check_tokens(settings)
    if not isinstance(settings["CALLBACK_ALLOW"], str):
        raise ConfigError(
            key="CALLBACK_ALLOW", reason="must be a comma-separated string of hosts and networks"
        )
    start = settings["CLOCK_START"]
    if start is not None:
        try:
            parsed = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(key="CLOCK_START", reason=f"not ISO 8601: {start!r}") from exc
        if parsed.tzinfo is None:
            raise ConfigError(key="CLOCK_START", reason="needs a UTC offset, e.g. +08:00 or Z")
    accounts = settings["ACCOUNTS"]
    if not isinstance(accounts, list):
        raise ConfigError(key="ACCOUNTS", reason="must be a list of account objects")
    for index, account in enumerate(accounts):
        if not isinstance(account, Mapping):
            raise ConfigError(key=f"ACCOUNTS[{index}]", reason="must be an object")
        for name in ("carrier", "app_key", "app_secret"):
            if not isinstance(account.get(name), str) or not account[name]:
                raise ConfigError(key=f"ACCOUNTS[{index}].{name}", reason="must be a non-empty string")
    return settings


def _check_token(key: str, value: Any) -> None:
    # The value is never shown: it is a secret.
    if not isinstance(value, str) or not value.strip() or value != value.strip() or " " in value:
        raise ConfigError(
            key=key, reason="must be a non-empty string without spaces (the value is not shown)"
        )


def _check_tokens(settings: dict[str, Any]) -> None:
    token = settings["ADMIN_TOKEN"]
    if token is not None:
        _check_token("ADMIN_TOKEN", token)
    teams = settings["TEAM_TOKENS"]
    if not isinstance(teams, Mapping):
        raise ConfigError(
            key="TEAM_TOKENS", reason='must be an object of team name to token, e.g. {"payments": "..."}'
        )
    seen = {token} if token is not None else set()
    for team, team_token in teams.items():
        if not isinstance(team, str) or not team.strip():
            raise ConfigError(key="TEAM_TOKENS", reason="team names must be non-empty strings")
        _check_token(f"TEAM_TOKENS[{team}]", team_token)
        if team_token in seen:
            raise ConfigError(
                key=f"TEAM_TOKENS[{team}]", reason="is the same token as another one: each must differ"
            )
        seen.add(team_token)
    settings["TEAM_TOKENS"] = dict(teams)


def load_config(
    mapping: Optional[Mapping[str, Any]] = None, *, environ: Optional[Mapping[str, str]] = None
) -> dict[str, Any]:
    """Defaults from :class:`Config`, then either ``mapping`` (tests) or the environment.

    Raises:
        ConfigError: naming the first bad setting.
    """
    settings = _defaults(Config)
    settings["ACCOUNTS"] = list(settings["ACCOUNTS"])
    settings["TEAM_TOKENS"] = dict(settings["TEAM_TOKENS"])
    settings.update(from_env(environ) if mapping is None else dict(mapping))
    return _check(settings)
