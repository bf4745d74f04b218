"""Client configuration: per-carrier credentials and base URLs, timeouts and the retry policy."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional
from urllib.parse import urlsplit

from attrs import evolve, field, frozen

from .errors import ConfigurationError

__all__ = ["CarrierConfig", "ClientConfig", "Credentials", "RetryPolicy", "Timeouts"]


def _carriers(value: Mapping[str, CarrierConfig]) -> Dict[str, CarrierConfig]:
    return dict(value)


def _extra(value: Mapping[str, str]) -> Dict[str, str]:
    return dict(value)


def _non_empty(name: str) -> Any:
    def check(instance: object, attribute: Any, value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(f"{name} must be a non-empty string")

    return check


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
        max_wait: cap on one backoff (and on a carrier's Retry-After we are willing to honour).
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
    user_agent: str = "kscarriers/0.1"

    def carrier(self, slug: str) -> CarrierConfig:
        """The configuration of one carrier, or a ConfigurationError naming it."""
        try:
            return self.carriers[slug]
        except KeyError:
            configured = ", ".join(sorted(self.carriers)) or "none"
            raise ConfigurationError(
                f"no configuration for carrier {slug!r} (configured: {configured})"
            ) from None

    def with_carrier(self, slug: str, carrier: CarrierConfig) -> ClientConfig:
        """A copy with one carrier added or replaced."""
        return evolve(self, carriers={**self.carriers, slug: carrier})

    @classmethod
    def for_base_urls(
        cls,
        accounts: Mapping[str, Credentials],
        base_urls: Mapping[str, str],
        *,
        timeouts: Optional[Timeouts] = None,
        retry: Optional[RetryPolicy] = None,
    ) -> ClientConfig:
        """Build a config from credentials and base URLs keyed by carrier slug."""
        missing = sorted(set(accounts) - set(base_urls))
        if missing:
            raise ConfigurationError(f"no base URL for {', '.join(missing)}")
        return cls(
            carriers={
                slug: CarrierConfig(credentials=creds, base_url=base_urls[slug])
                for slug, creds in accounts.items()
            },
            timeouts=timeouts or Timeouts(),
            retry=retry or RetryPolicy(),
        )
