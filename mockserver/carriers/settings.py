"""Carrier settings kept in an account's ``extra``: read with a fixed set of values, refused clearly.

A carrier that lets QA choose between shapes (docs/carriers/<slug>.md) reads the choice with
:func:`account_setting`; a value outside the set makes every call of that account answer the
mock's own error (:func:`setting_fault`), which names the account, the setting and the values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from mockserver.carriers.exchange import CarrierFault
from mockserver.world import Account

__all__ = ["SettingError", "account_setting", "setting_fault"]


class SettingError(ValueError):
    """An account setting names none of its values."""

    def __init__(self, *, account: Account, name: str, value: str, choices: Sequence[str]) -> None:
        super().__init__(
            f"{account.carrier} account {account.app_key!r}: setting extra[{name!r}] must be one of "
            f"{', '.join(choices)}, not {value!r}"
        )
        self.name = name


def account_setting(account: Optional[Account], name: str, choices: Sequence[str]) -> str:
    """``account.extra[name]`` if it is one of ``choices``; the first choice when unset or empty.

    Raises:
        SettingError: the setting is another value.
    """
    value = account.extra.get(name) if account is not None else None
    if account is None or value is None or value == "":
        return choices[0]
    if value not in choices:
        raise SettingError(account=account, name=name, value=str(value), choices=choices)
    return str(value)


def setting_fault(problem: SettingError) -> CarrierFault:
    """The mock's answer to a call of a misconfigured account: HTTP 500 ``invalid_account_setting``."""
    message = str(problem)
    return CarrierFault(
        code="invalid_account_setting",
        message=message,
        http_status=500,
        body={"error": "invalid_account_setting", "message": message, "field": problem.name},
    )
