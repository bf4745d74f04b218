"""Client configuration: per-carrier credentials and base URLs, timeouts and the retry policy."""

from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Mapping, Optional, Tuple, Type
from urllib.parse import urlsplit

from attrs import field, frozen

from ._version import __version__
from .errors import ConfigurationError

__all__ = ["CarrierConfig", "ClientConfig", "Credentials", "IdempotencyPolicy", "RetryPolicy", "Timeouts"]


def _carriers(value: Mapping[str, CarrierConfig]) -> Dict[str, CarrierConfig]:
    return dict(value)


def _extra(value: Mapping[str, str]) -> Dict[str, str]:
    return dict(value)


def _non_empty(name: str) -> Any:
    def check(instance: object, attribute: Any, value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(f"{name} must be a non-empty string")

    return check


def _header_value(instance: object, attribute: Any, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n"):
        raise ConfigurationError(f"{attribute.name} must be a non-empty one-line string, got {value!r}")


#: The most requests :meth:`~kscarriers.Client.track_many` may have in flight at once.
MAX_CONCURRENCY = 64


def concurrency_problem(value: object) -> Optional[str]:
    """What is wrong with ``value`` as a number of parallel requests, or None when it is fine."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENCY:
        return f"must be an int from 1 to {MAX_CONCURRENCY}, got {value!r}"
    return None


def _concurrency(instance: object, attribute: Any, value: object) -> None:
    problem = concurrency_problem(value)
    if problem is not None:
        raise ConfigurationError(f"{attribute.name} {problem}")


@frozen(kw_only=True)
class Credentials:
    """A carrier account. ``app_secret`` never appears in ``repr`` or ``str``.

    Args:
        app_key: the account id: ZTO app key, YTO partner code, STO ``from_appkey``,
            J&T ``apiAccount``.
        app_secret: the signing secret (J&T calls it the private key).
        extra: carrier-specific non-secret ids: YTO ``client_id``, STO ``from_code``,
            J&T ``customer_code``.
    """

    app_key: str = field(validator=_non_empty("app_key"))
    app_secret: str = field(repr=False, validator=_non_empty("app_secret"))
    extra: Mapping[str, str] = field(factory=dict, converter=_extra)

    def __str__(self) -> str:
        return f"Credentials(app_key={self.app_key!r})"


@frozen(kw_only=True)
class Timeouts:
    """Connect and read timeouts in seconds (the official ZTO SDK uses 3 s for both)."""

    connect: float = 3.0
    read: float = 10.0

    def __attrs_post_init__(self) -> None:
        if self.connect <= 0 or self.read <= 0:
            raise ConfigurationError("timeouts must be positive")


@frozen(kw_only=True)
class RetryPolicy:
    """How failed calls are retried.

    Args:
        max_attempts: attempts in all, the first included (1 disables retries).
        initial: first backoff in seconds; doubles each attempt, with full jitter.
        max_wait: cap on one backoff of our own; a carrier's Retry-After is honoured in full
            (the call gives up instead when it would pass ``total_timeout``).
        total_timeout: give up once this many seconds have passed since the first attempt.
        budget: retry tokens per client; each retry spends one, each success returns a tenth.
            An outage therefore cannot multiply traffic without bound (botocore's retry quota).
    """

    max_attempts: int = 3
    initial: float = 0.5
    max_wait: float = 8.0
    total_timeout: float = 30.0
    budget: float = 50.0

    def __attrs_post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError("retry max_attempts must be at least 1")
        if self.initial < 0 or self.max_wait < 0 or self.total_timeout <= 0 or self.budget < 0:
            raise ConfigurationError("retry waits, total_timeout and budget must not be negative")


@frozen(kw_only=True)
class IdempotencyPolicy:
    """How many idempotency keys a client remembers, and for how long.

    A client remembers each key it sent (yours or one it minted) with the call it belongs to
    and that call's result, so that a repeat returns the first result and a reuse for another
    call is an :class:`~kscarriers.errors.IdempotencyError`. The memory is per
    :class:`~kscarriers.Client` instance, in process: another process, or a client created
    after a restart, does not know the keys.

    Args:
        capacity: how many keys are kept; past that, the least recently used is forgotten.
        ttl: seconds (on the client's ``monotonic`` clock) a key is kept after its first use;
            ``None`` keeps it until ``capacity`` pushes it out. Stripe keeps keys for 24 hours
            (``ttl=86400``).
    """

    capacity: int = 10_000
    ttl: Optional[float] = None

    def __attrs_post_init__(self) -> None:
        if isinstance(self.capacity, bool) or not isinstance(self.capacity, int) or self.capacity < 1:
            raise ConfigurationError(f"idempotency capacity must be a positive int, got {self.capacity!r}")
        if self.ttl is not None and (
            isinstance(self.ttl, bool) or not isinstance(self.ttl, (int, float)) or not self.ttl > 0
        ):
            raise ConfigurationError(f"idempotency ttl must be positive seconds or None, got {self.ttl!r}")


@frozen(kw_only=True)
class CarrierConfig:
    """One carrier's account and endpoint.

    Args:
        credentials: the account.
        base_url: the carrier's API root (or the mock server's ``/<slug>`` prefix).
        push_tolerance: for carriers whose pushes carry a timestamp (J&T), reject a push whose
            timestamp is further than this many seconds from now (``SignatureError`` reason
            ``stale``). Off by default: the timestamp is not covered by J&T's digest, so this
            only stops naive replays.
    """

    credentials: Credentials
    base_url: str
    push_tolerance: Optional[float] = None

    def __attrs_post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        if self.push_tolerance is not None and self.push_tolerance <= 0:
            raise ConfigurationError("push_tolerance must be a positive number of seconds")

    @property
    def root(self) -> str:
        """The base URL without a trailing slash."""
        return self.base_url.rstrip("/")


@frozen(kw_only=True)
class ClientConfig:
    """Everything a :class:`~kscarriers.Client` needs.

    ``user_agent`` is sent as the ``User-Agent`` header of every request; ``idempotency`` says
    how many idempotency keys the client remembers (see :class:`IdempotencyPolicy`).
    ``concurrency`` is how many requests :meth:`~kscarriers.Client.track_many` has in flight at
    once (default 8); the default transport keeps that many connections per host open.

    Example::

        config = ClientConfig(carriers={
            "zto": CarrierConfig(
                credentials=Credentials(app_key="k", app_secret="s"),
                base_url="https://japi.zto.com",
            ),
        })
    """

    carriers: Mapping[str, CarrierConfig] = field(factory=dict, converter=_carriers)
    timeouts: Timeouts = field(factory=Timeouts)
    retry: RetryPolicy = field(factory=RetryPolicy)
    idempotency: IdempotencyPolicy = field(factory=IdempotencyPolicy)
    user_agent: str = field(default=f"kscarriers/{__version__}", validator=_header_value)
    concurrency: int = field(default=8, validator=_concurrency)

    def carrier(self, slug: str) -> CarrierConfig:
        """The configuration of one carrier, or a ConfigurationError naming it."""
        try:
            return self.carriers[slug]
        except KeyError:
            configured = ", ".join(sorted(self.carriers)) or "none"
            raise ConfigurationError(
                f"no configuration for carrier {slug!r} (configured: {configured})"
            ) from None

    @classmethod
    def from_env(
        cls,
        environ: Optional[Mapping[str, str]] = None,
        *,
        prefix: str = "KSCARRIERS_",
        require_carriers: bool = True,
    ) -> ClientConfig:
        """Build a config from environment variables (12-factor style).

        For each carrier slug ``S`` (``ZTO``, ``YTO``, ``STO``, ``JT`` or a plug-in's):
        ``{prefix}S_APP_KEY``, ``{prefix}S_APP_SECRET`` and ``{prefix}S_BASE_URL`` (all three
        required once one is set), ``{prefix}S_EXTRA_<NAME>`` for ``extra[name]`` (e.g.
        ``KSCARRIERS_YTO_EXTRA_CLIENT_ID``) and ``{prefix}S_PUSH_TOLERANCE``. Every knob of
        :class:`Timeouts`, :class:`RetryPolicy` and :class:`IdempotencyPolicy`, and the user
        agent, has a variable of its own (``{prefix}CONNECT_TIMEOUT``, ``{prefix}MAX_ATTEMPTS``,
        ...: the table is in the configuration page of the docs).

        ``{prefix}CONFIG`` is the command line's config file and is left to it.

        Args:
            require_carriers: refuse an environment that configures no carrier (the default);
                ``False`` for callers that add carriers from elsewhere (the command line's
                config file).

        Raises:
            ConfigurationError: a variable is missing or malformed, a variable with the prefix
                is none of the known ones (a typo), or no carrier is configured. The message
                names every variable at fault (never a value of a credential).
        """
        env = dict(os.environ if environ is None else environ)
        return _from_env(cls, env, prefix, require_carriers=require_carriers)


#: The settings other than a carrier's, by variable name (after the prefix): the config field
#: they set, and what a value must be.
_ENVIRONMENT_KNOBS: Dict[str, Tuple[str, str, str]] = {
    "CONNECT_TIMEOUT": ("timeouts", "connect", "positive"),
    "READ_TIMEOUT": ("timeouts", "read", "positive"),
    "MAX_ATTEMPTS": ("retry", "max_attempts", "count"),
    "RETRY_INITIAL": ("retry", "initial", "non-negative"),
    "RETRY_MAX_WAIT": ("retry", "max_wait", "non-negative"),
    "RETRY_TOTAL_TIMEOUT": ("retry", "total_timeout", "positive"),
    "RETRY_BUDGET": ("retry", "budget", "non-negative"),
    "IDEMPOTENCY_CAPACITY": ("idempotency", "capacity", "count"),
    "IDEMPOTENCY_TTL": ("idempotency", "ttl", "positive"),
    "USER_AGENT": ("", "user_agent", "text"),
}

#: A carrier's variables: ``{prefix}<SLUG>_<FIELD>`` (and ``{prefix}<SLUG>_EXTRA_<NAME>``).
_CARRIER_FIELDS = ("APP_KEY", "APP_SECRET", "BASE_URL", "PUSH_TOLERANCE")
_REQUIRED_FIELDS = _CARRIER_FIELDS[:3]


def _parse(name: str, text: str, kind: str) -> Any:
    """One knob's value, or a ConfigurationError naming the variable ``name``."""
    if kind == "text":
        if not text.strip() or "\r" in text or "\n" in text:
            raise ConfigurationError(f"{name} must be a non-empty one-line string, got {text!r}")
        return text
    value: float
    try:
        value = int(text.strip()) if kind == "count" else float(text)
    except ValueError:
        what = "a whole number" if kind == "count" else "a number"
        raise ConfigurationError(f"{name} must be {what}, got {text!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and kind != "non-negative"):
        what = {"count": "at least 1", "positive": "more than 0"}.get(kind, "0 or more")
        raise ConfigurationError(f"{name} must be {what}, got {text!r}")
    return value


def _split(rest: str) -> Optional[Tuple[str, str]]:
    """``ZTO_APP_KEY`` -> ``("zto", "APP_KEY")``; ``YTO_EXTRA_ID`` -> ``("yto", "EXTRA_ID")``; else None."""
    if "_EXTRA_" in rest:
        slug, _, name = rest.partition("_EXTRA_")
        return (slug.lower(), f"EXTRA_{name}") if slug and name else None
    for wanted in _CARRIER_FIELDS:
        if rest.endswith(f"_{wanted}") and len(rest) > len(wanted) + 1:
            return rest[: -len(wanted) - 1].lower(), wanted
    return None


#: Variables with the prefix that belong to the tools around the SDK, not to the client.
_OTHER_VARIABLES = frozenset({"CONFIG"})


def _from_env(
    cls: Type[ClientConfig], env: Dict[str, str], prefix: str, *, require_carriers: bool
) -> ClientConfig:
    problems: List[str] = []
    knobs: Dict[str, Dict[str, Any]] = {"timeouts": {}, "retry": {}, "idempotency": {}, "": {}}
    per_carrier: Dict[str, Dict[str, str]] = {}
    unknown: List[str] = []
    for key in sorted(env):
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        if rest in _OTHER_VARIABLES:
            continue
        if rest in _ENVIRONMENT_KNOBS:
            group, attribute, kind = _ENVIRONMENT_KNOBS[rest]
            try:
                knobs[group][attribute] = _parse(key, env[key], kind)
            except ConfigurationError as exc:
                problems.append(str(exc))
            continue
        split = _split(rest)
        if split is None:
            unknown.append(key)
        else:
            per_carrier.setdefault(split[0], {})[split[1]] = env[key]
    if unknown:
        known = ", ".join(
            [f"{prefix}{name}" for name in _ENVIRONMENT_KNOBS]
            + [f"{prefix}<SLUG>_{name}" for name in (*_CARRIER_FIELDS, "EXTRA_<NAME>")]
        )
        problems.append(f"unknown variable(s) {', '.join(unknown)} (known: {known})")

    carriers: Dict[str, CarrierConfig] = {}
    for slug, fields in sorted(per_carrier.items()):
        head = f"{prefix}{slug.upper()}_"
        missing = [f"{head}{name}" for name in _REQUIRED_FIELDS if not fields.get(name, "").strip()]
        if missing:
            problems.append(f"missing or empty environment variable(s): {', '.join(missing)}")
            continue
        try:
            tolerance = fields.get("PUSH_TOLERANCE")
            push_tolerance = (
                None if tolerance is None else _parse(f"{head}PUSH_TOLERANCE", tolerance, "positive")
            )
            if urlsplit(fields["BASE_URL"]).scheme not in ("http", "https"):
                raise ConfigurationError(f"{head}BASE_URL must be an http(s) URL, got {fields['BASE_URL']!r}")
            extra = {
                name[len("EXTRA_") :].lower(): value
                for name, value in fields.items()
                if name.startswith("EXTRA_")
            }
            credentials = Credentials(app_key=fields["APP_KEY"], app_secret=fields["APP_SECRET"], extra=extra)
            carriers[slug] = CarrierConfig(
                credentials=credentials, base_url=fields["BASE_URL"], push_tolerance=push_tolerance
            )
        except ConfigurationError as exc:
            problems.append(str(exc) if head in str(exc) else f"{head}*: {exc}")
    if not per_carrier and require_carriers:
        problems.append(_no_carrier_hint(env, prefix))
    if problems:
        raise ConfigurationError("; ".join(problems))
    return cls(
        carriers=carriers,
        timeouts=Timeouts(**knobs["timeouts"]),
        retry=RetryPolicy(**knobs["retry"]),
        idempotency=IdempotencyPolicy(**knobs["idempotency"]),
        **knobs[""],
    )


def _no_carrier_hint(env: Mapping[str, str], prefix: str) -> str:
    """What to set when no carrier is configured, and near misses (names only, never values)."""
    hint = (
        f"no carrier configured: set {prefix}<SLUG>_APP_KEY, {prefix}<SLUG>_APP_SECRET and "
        f"{prefix}<SLUG>_BASE_URL for at least one carrier (SLUG is ZTO, YTO, STO, JT or a plug-in's)"
    )
    near = sorted(key for key in env if key.endswith(tuple(f"_{name}" for name in _REQUIRED_FIELDS)))
    if near:
        hint += f"; found {', '.join(near[:6])}, which lack the prefix {prefix!r}"
    return hint
