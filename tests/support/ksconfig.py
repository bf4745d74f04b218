"""Ready-made SDK configurations for tests (secrets are test values)."""

from __future__ import annotations

from kscarriers import CarrierConfig, ClientConfig, Credentials, RetryPolicy

ZTO_KEY = "zto-test-key"
ZTO_SECRET = "zto-test-secret-0123"


def zto_config(base_url: str = "https://zto.test", *, retry: RetryPolicy | None = None) -> ClientConfig:
    return ClientConfig(
        carriers={
            "zto": CarrierConfig(
                credentials=Credentials(app_key=ZTO_KEY, app_secret=ZTO_SECRET),
                base_url=base_url,
            )
        },
        retry=retry or RetryPolicy(max_attempts=3, initial=0.5, max_wait=8.0),
    )
