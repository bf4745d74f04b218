"""Client configuration: per-carrier credentials and base URLs, timeouts and the retry policy."""

from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional
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
        cls, environ: Optional[Mapping[str, str]] = None, *, prefix: str = "KSCARRIERS_"
    ) -> ClientConfig:
        """Build a config from environment variables (12-factor style).

        For each carrier slug ``S`` (``ZTO``, ``YTO``, ``STO``, ``JT`` or a plug-in's):
        ``{prefix}S_APP_KEY``, ``{prefix}S_APP_SECRET`` and ``{prefix}S_BASE_URL`` (all three
        required once one is set), and ``{prefix}S_EXTRA_<NAME>`` for ``extra[name]`` (e.g.
        ``KSCARRIERS_YTO_EXTRA_CLIENT_ID``). Optional: ``{prefix}CONNECT_TIMEOUT``,
        ``{prefix}READ_TIMEOUT`` and ``{prefix}MAX_ATTEMPTS``.

        Raises:
            ConfigurationError: a variable is missing or malformed; the message names it.
        """
        env = dict(os.environ if environ is None else environ)
        slugs = sorted(
            {
                key[len(prefix) :].split("_", 1)[0].lower()
                for key in env
                if key.startswith(prefix) and key.endswith(("_APP_KEY", "_APP_SECRET", "_BASE_URL"))
            }
        )
        carriers: Dict[str, CarrierConfig] = {}
        for slug in slugs:
            head = f"{prefix}{slug.upper()}_"
            needed = (f"{head}APP_KEY", f"{head}APP_SECRET", f"{head}BASE_URL")
            missing = [name for name in needed if not env.get(name)]
            if missing:
                raise ConfigurationError(f"missing environment variable(s): {', '.join(missing)}")
            extra = {
                key[len(f"{head}EXTRA_") :].lower(): value
                for key, value in env.items()
                if key.startswith(f"{head}EXTRA_")
            }
            carriers[slug] = CarrierConfig(
                credentials=Credentials(
                    app_key=env[f"{head}APP_KEY"], app_secret=env[f"{head}APP_SECRET"], extra=extra
                ),
                base_url=env[f"{head}BASE_URL"],
            )

        def number(name: str, default: float) -> float:
            text = env.get(f"{prefix}{name}")
            if text is None:
                return default
            try:
                return float(text)
            except ValueError:
                raise ConfigurationError(f"{prefix}{name} must be a number, got {text!r}") from None

        defaults = Timeouts()
        return cls(
            carriers=carriers,
            timeouts=Timeouts(
                connect=number("CONNECT_TIMEOUT", defaults.connect),
                read=number("READ_TIMEOUT", defaults.read),
            ),
            retry=RetryPolicy(max_attempts=int(number("MAX_ATTEMPTS", RetryPolicy().max_attempts))),
        )
