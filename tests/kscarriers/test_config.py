"""Configuration values: validation, and secrets kept out of repr/str/logs."""

from __future__ import annotations

import logging

import pytest

from kscarriers import (
    CarrierConfig,
    Client,
    ClientConfig,
    ConfigurationError,
    Credentials,
    IdempotencyPolicy,
    RetryPolicy,
    Timeouts,
)

SECRET = "very-secret-value-42"


def test_secret_is_absent_from_repr_and_str():
    creds = Credentials(app_key="key", app_secret=SECRET)
    config = ClientConfig(carriers={"zto": CarrierConfig(credentials=creds, base_url="https://x.test")})
    for text in (repr(creds), str(creds), repr(config), str(config), repr(Client(config))):
        assert SECRET not in text


def test_secret_never_reaches_logs_or_errors(caplog):
    from ksfakes import ScriptedTransport, SleepRecorder, json_response

    creds = Credentials(app_key="key", app_secret=SECRET)
    config = ClientConfig(carriers={"zto": CarrierConfig(credentials=creds, base_url="https://x.test")})
    transport = ScriptedTransport(
        json_response('{"status":false,"statusCode":"S203","message":"服务暂不可用","result":null}'),
        json_response('{"status":false,"statusCode":"S211","message":"签名错误","result":null}'),
    )
    client = Client(config, transport=transport, sleep=SleepRecorder())
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as info:
        client.track("73100130019486")
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert SECRET not in caplog.text


@pytest.mark.parametrize("kwargs", [{"app_key": "", "app_secret": "s"}, {"app_key": "k", "app_secret": "  "}])
def test_empty_credentials_are_a_configuration_error(kwargs):
    with pytest.raises(ConfigurationError):
        Credentials(**kwargs)


def test_base_url_must_be_http():
    with pytest.raises(ConfigurationError, match="base_url"):
        CarrierConfig(credentials=Credentials(app_key="k", app_secret="s"), base_url="ftp://x")


def test_unconfigured_carrier_error_lists_configured_ones():
    config = ClientConfig(
        carriers={
            "zto": CarrierConfig(
                credentials=Credentials(app_key="k", app_secret="s"), base_url="https://x.test"
            )
        }
    )
    with pytest.raises(ConfigurationError, match="configured: zto"):
        config.carrier("jt")


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"initial": -1}, {"total_timeout": 0}])
def test_bad_retry_policy_is_rejected(kwargs):
    with pytest.raises(ConfigurationError):
        RetryPolicy(**kwargs)


@pytest.mark.parametrize(
    "kwargs", [{"capacity": 0}, {"capacity": 2.5}, {"capacity": True}, {"ttl": 0}, {"ttl": "1h"}, {"ttl": -5}]
)
def test_bad_idempotency_policy_is_rejected_naming_the_knob(kwargs):
    with pytest.raises(ConfigurationError, match=next(iter(kwargs))):
        IdempotencyPolicy(**kwargs)


def test_timeouts_must_be_positive():
    with pytest.raises(ConfigurationError):
        Timeouts(connect=0)


def test_config_from_environment_variables():
    env = {
        "KSCARRIERS_ZTO_APP_KEY": "zk",
        "KSCARRIERS_ZTO_APP_SECRET": "zs",
        "KSCARRIERS_ZTO_BASE_URL": "https://japi.zto.com",
        "KSCARRIERS_YTO_APP_KEY": "yk",
        "KSCARRIERS_YTO_APP_SECRET": "ys",
        "KSCARRIERS_YTO_BASE_URL": "https://yto.test",
        "KSCARRIERS_YTO_EXTRA_CLIENT_ID": "C1",
        "KSCARRIERS_READ_TIMEOUT": "4.5",
        "KSCARRIERS_MAX_ATTEMPTS": "2",
        "UNRELATED": "x",
    }
    config = ClientConfig.from_env(env)
    assert sorted(config.carriers) == ["yto", "zto"]
    assert config.carrier("yto").credentials.extra == {"client_id": "C1"}
    assert config.timeouts.read == 4.5 and config.retry.max_attempts == 2
    assert "ys" not in repr(config)


def test_config_from_environment_names_the_missing_variable():
    with pytest.raises(ConfigurationError, match="KSCARRIERS_JT_BASE_URL"):
        ClientConfig.from_env({"KSCARRIERS_JT_APP_KEY": "k", "KSCARRIERS_JT_APP_SECRET": "s"})


def test_config_from_environment_rejects_a_bad_number():
    with pytest.raises(ConfigurationError, match="KSCARRIERS_READ_TIMEOUT"):
        ClientConfig.from_env({"KSCARRIERS_READ_TIMEOUT": "soon"})


def test_the_default_user_agent_names_the_package_version():
    import kscarriers

    assert ClientConfig().user_agent == f"kscarriers/{kscarriers.__version__}"


@pytest.mark.parametrize("agent", ["", "  ", "evil\r\nX-Injected: 1", None])
def test_a_user_agent_that_cannot_be_a_header_is_a_configuration_error(agent):
    with pytest.raises(ConfigurationError, match="user_agent"):
        ClientConfig(user_agent=agent)


def test_the_installed_distribution_has_the_package_version():
    from importlib import metadata

    import kscarriers

    assert metadata.version("kscarriers") == kscarriers.__version__
