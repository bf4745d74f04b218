"""Configuration values: validation, and secrets kept out of repr/str/logs."""

from __future__ import annotations

import logging

import pytest

from kscarriers import (
    CarrierConfig,
    Client,
    ClientConfig,
    ConfigurationError,
    ConnectError,
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
        ClientConfig.from_env({**ZTO_ENV, "KSCARRIERS_READ_TIMEOUT": "soon"})


ZTO_ENV = {
    "KSCARRIERS_ZTO_APP_KEY": "zk",
    "KSCARRIERS_ZTO_APP_SECRET": SECRET,
    "KSCARRIERS_ZTO_BASE_URL": "https://japi.zto.com",
}


def test_every_retry_timeout_and_idempotency_knob_and_push_tolerance_comes_from_the_environment():
    env = {
        **ZTO_ENV,
        "KSCARRIERS_ZTO_PUSH_TOLERANCE": "300",
        "KSCARRIERS_CONNECT_TIMEOUT": "1.5",
        "KSCARRIERS_READ_TIMEOUT": "7",
        "KSCARRIERS_MAX_ATTEMPTS": "5",
        "KSCARRIERS_RETRY_INITIAL": "0",
        "KSCARRIERS_RETRY_MAX_WAIT": "2.5",
        "KSCARRIERS_RETRY_TOTAL_TIMEOUT": "12",
        "KSCARRIERS_RETRY_BUDGET": "9",
        "KSCARRIERS_IDEMPOTENCY_CAPACITY": "100",
        "KSCARRIERS_IDEMPOTENCY_TTL": "86400",
        "KSCARRIERS_USER_AGENT": "my-shop/1.0",
    }
    config = ClientConfig.from_env(env)
    assert config.timeouts == Timeouts(connect=1.5, read=7.0)
    assert config.retry == RetryPolicy(
        max_attempts=5, initial=0.0, max_wait=2.5, total_timeout=12.0, budget=9.0
    )
    assert config.idempotency == IdempotencyPolicy(capacity=100, ttl=86400.0)
    assert config.carrier("zto").push_tolerance == 300.0
    assert config.user_agent == "my-shop/1.0"


def test_unset_knobs_keep_their_defaults():
    config = ClientConfig.from_env(ZTO_ENV)
    assert config.timeouts == Timeouts() and config.retry == RetryPolicy()
    assert config.idempotency == IdempotencyPolicy() and config.carrier("zto").push_tolerance is None


@pytest.mark.parametrize(
    "name, value, wanted",
    [
        ("KSCARRIERS_MAX_ATTEMPTS", "2.7", "whole number"),
        ("KSCARRIERS_MAX_ATTEMPTS", "0", "at least 1"),
        ("KSCARRIERS_IDEMPOTENCY_CAPACITY", "lots", "whole number"),
        ("KSCARRIERS_CONNECT_TIMEOUT", "0", "more than 0"),
        ("KSCARRIERS_READ_TIMEOUT", "nan", "more than 0"),
        ("KSCARRIERS_RETRY_TOTAL_TIMEOUT", "inf", "more than 0"),
        ("KSCARRIERS_RETRY_INITIAL", "-1", "0 or more"),
        ("KSCARRIERS_RETRY_BUDGET", "", "a number"),
        ("KSCARRIERS_IDEMPOTENCY_TTL", "1h", "a number"),
        ("KSCARRIERS_ZTO_PUSH_TOLERANCE", "-5", "more than 0"),
        ("KSCARRIERS_USER_AGENT", "a\r\nX-Evil: 1", "one-line"),
        ("KSCARRIERS_ZTO_BASE_URL", "japi.zto.com", "http"),
    ],
)
def test_a_malformed_variable_is_a_configuration_error_naming_it(name, value, wanted):
    with pytest.raises(ConfigurationError, match=wanted) as caught:
        ClientConfig.from_env({**ZTO_ENV, name: value})
    assert name in str(caught.value)


def test_every_malformed_variable_is_named_at_once():
    env = {**ZTO_ENV, "KSCARRIERS_MAX_ATTEMPTS": "2.7", "KSCARRIERS_READ_TIMEOUT": "soon"}
    with pytest.raises(ConfigurationError) as caught:
        ClientConfig.from_env(env)
    assert "KSCARRIERS_MAX_ATTEMPTS" in str(caught.value) and "KSCARRIERS_READ_TIMEOUT" in str(caught.value)


@pytest.mark.parametrize(
    "typo", ["KSCARRIERS_MAX_ATTEMTPS", "KSCARRIERS_ZTO_APP_SECRTE", "KSCARRIERS_TIMEOUT"]
)
def test_a_variable_with_the_prefix_that_matches_nothing_is_named_with_the_known_ones(typo):
    with pytest.raises(ConfigurationError) as caught:
        ClientConfig.from_env({**ZTO_ENV, typo: "3"})
    message = str(caught.value)
    assert typo in message and "KSCARRIERS_MAX_ATTEMPTS" in message and "KSCARRIERS_<SLUG>_APP_KEY" in message


def test_no_carrier_configured_says_which_variables_to_set():
    with pytest.raises(ConfigurationError) as caught:
        ClientConfig.from_env({"UNRELATED": "x"})
    message = str(caught.value)
    assert "no carrier configured" in message
    assert all(f"KSCARRIERS_<SLUG>_{name}" in message for name in ("APP_KEY", "APP_SECRET", "BASE_URL"))


def test_a_prefix_typo_is_reported_with_the_variables_it_left_unread_but_not_their_values():
    env = {key.replace("KSCARRIERS_", "KSCARIERS_"): value for key, value in ZTO_ENV.items()}
    with pytest.raises(ConfigurationError) as caught:
        ClientConfig.from_env(env)
    message = str(caught.value)
    assert "no carrier configured" in message and "KSCARIERS_ZTO_APP_SECRET" in message
    assert SECRET not in message


def test_a_custom_prefix_is_honoured():
    env = {key.replace("KSCARRIERS_", "SHOP_"): value for key, value in ZTO_ENV.items()}
    assert sorted(ClientConfig.from_env({**env, "SHOP_MAX_ATTEMPTS": "1"}, prefix="SHOP_").carriers) == [
        "zto"
    ]


def test_a_blank_credential_is_named_as_missing_and_the_secret_never_shows():
    with pytest.raises(ConfigurationError, match="KSCARRIERS_ZTO_APP_KEY") as caught:
        ClientConfig.from_env({**ZTO_ENV, "KSCARRIERS_ZTO_APP_KEY": "  "})
    assert SECRET not in str(caught.value)


def test_client_from_env_builds_a_client_and_passes_keyword_arguments_through():
    sent, slept = [], []

    class Unreachable:
        def send(self, request, *, timeouts):
            sent.append(request.url)
            raise ConnectError("connection refused")

        def close(self):
            pass

    env = {**ZTO_ENV, "KSCARRIERS_MAX_ATTEMPTS": "2", "KSCARRIERS_RETRY_INITIAL": "0.25"}
    with Client.from_env(env, transport=Unreachable(), sleep=slept.append) as client:
        with pytest.raises(ConnectError):
            client.track("73100130019486")
    assert len(sent) == 2 and sent[0].startswith("https://japi.zto.com/")
    assert len(slept) == 1 and 0 <= slept[0] <= 0.25


def test_client_from_env_reads_os_environ_by_default(monkeypatch):
    for key, value in ZTO_ENV.items():
        monkeypatch.setenv(key, value)
    with Client.from_env() as client:
        assert client.config.carrier("zto").credentials.app_key == "zk"


def test_client_from_env_refuses_a_carrier_the_registry_does_not_know():
    env = {key.replace("_ZTO_", "_ZOT_"): value for key, value in ZTO_ENV.items()}
    with pytest.raises(
        ConfigurationError, match=r"KSCARRIERS_ZOT_\*: no such carrier \(known: jt, sto, yto, zto"
    ):
        Client.from_env(env)


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
