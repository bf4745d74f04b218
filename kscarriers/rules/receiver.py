"""The receiver of an order and how their phone is shown (platform-rules §2).

The phone is masked by default; a virtual number (the platform's privacy number) is shown as
it is, since it is not the buyer's real number. The plain number is shown only when the caller
asks with a :class:`PhoneReveal` that says who asks and why: the platform counts plain-text
look-ups against a decryption quota, and when that quota is used up an administrator has to
ask the platform for more.
"""

from __future__ import annotations

import enum
import re
from typing import Any, Optional

from attrs import field, frozen

from kscarriers.errors import ValidationError
from kscarriers.rules import _checks

__all__ = ["PhoneReveal", "PhoneShownAs", "Receiver", "mask_phone"]


def _name(value: Any) -> str:
    return _checks.text("receiver.name", value)


def _phone(value: Any) -> str:
    return _checks.text("receiver.phone", value)


@frozen(kw_only=True)
class Receiver:
    """Who receives the order: name and phone (the place is the order's ``buyer_address``).

    Args:
        name: The receiver's name.
        phone: The phone as the merchant holds it: the plain number, or a virtual number.
        phone_is_virtual: Whether ``phone`` is a platform virtual (privacy) number.
    """

    name: str = field(converter=_name)
    phone: str = field(converter=_phone, repr=False)
    phone_is_virtual: bool = False


def _reason(value: Any) -> str:
    return _checks.text("reveal_phone.reason", value)


def _agent(value: Any) -> str:
    return _checks.text("reveal_phone.agent", value)


@frozen(kw_only=True)
class PhoneReveal:
    """Permission to show a receiver's phone in plain text, and why.

    Args:
        agent: Who asks (the support agent's nickname or id).
        reason: Why the plain number is needed (for the audit trail).
        quota_remaining: The decryption look-ups left, if the caller tracks them; 0 refuses.
    """

    agent: str = field(converter=_agent)
    reason: str = field(converter=_reason)
    quota_remaining: Optional[int] = None

    def __attrs_post_init__(self) -> None:
        if self.quota_remaining is not None:
            value = self.quota_remaining
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(field="reveal_phone.quota_remaining", reason="must be an int >= 0")
            if value == 0:
                raise ValidationError(
                    field="reveal_phone.quota_remaining",
                    reason="the decryption quota is used up; an administrator must ask the platform for more",
                )


class PhoneShownAs(str, enum.Enum):
    """How the view shows the phone."""

    MASKED = "masked"
    VIRTUAL = "virtual"
    PLAIN = "plain"


_COUNTRY_CODE = re.compile(r"(\+86|0086)[\s-]*")


def mask_phone(phone: str) -> str:
    """Mask a phone number, keeping only what identifies it to the buyer.

    With 11 or more digits the first 3 and last 4 stay (``13812345678`` -> ``138****5678``);
    with fewer only the last 4 (``020-8888 1234`` keeps ``1234``), and 4 digits or fewer are
    all masked. A China country code (``+86``, ``0086``) is kept and not counted. Other
    characters (spaces, hyphens) stay where they are.
    """
    code = _COUNTRY_CODE.match(phone)
    if code is not None:
        return code.group(0) + mask_phone(phone[code.end() :])
    digits = [i for i, char in enumerate(phone) if char.isdigit()]
    count = len(digits)
    if count >= 11:
        shown = set(digits[:3] + digits[-4:])
    elif count > 4:
        shown = set(digits[-4:])
    else:
        shown = set()
    return "".join(char if (i in shown or not char.isdigit()) else "*" for i, char in enumerate(phone))
