"""The receiver's phone: masked by default, a virtual number as is, plain only with a reason."""

from __future__ import annotations

import pytest

from kscarriers.errors import ValidationError
from kscarriers.rules import PhoneReveal, Receiver, mask_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 13812345678", "+86 138****5678"),
        ("0086-13812345678", "0086-138****5678"),
        ("020-88881234", "020-****1234"),
        ("12345", "*2345"),
        ("1234", "****"),
    ],
)
def test_a_phone_is_masked_keeping_only_what_identifies_it(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_the_receivers_phone_is_not_in_its_repr() -> None:
    receiver = Receiver(name="张三", phone="13812345678")
    assert "13812345678" not in repr(receiver)


def test_a_reveal_must_say_who_asks_and_why() -> None:
    with pytest.raises(ValidationError, match=r"reveal_phone\.reason: must not be empty"):
        PhoneReveal(agent="小王", reason=" ")
    with pytest.raises(ValidationError, match=r"reveal_phone\.agent: must not be empty"):
        PhoneReveal(agent="", reason="courier needs to call")


def test_a_used_up_decryption_quota_refuses_the_reveal_and_says_who_can_fix_it() -> None:
    assert PhoneReveal(agent="小王", reason="call", quota_remaining=1).quota_remaining == 1
    with pytest.raises(ValidationError) as caught:
        PhoneReveal(agent="小王", reason="call", quota_remaining=0)
    assert caught.value.field == "reveal_phone.quota_remaining"
    assert "an administrator must ask the platform for more" in caught.value.reason
    with pytest.raises(ValidationError, match="must be an int >= 0"):
        PhoneReveal(agent="小王", reason="call", quota_remaining=-1)


def test_a_receiver_needs_a_name_and_a_phone() -> None:
    with pytest.raises(ValidationError, match=r"receiver\.phone: must not be empty"):
        Receiver(name="张三", phone="")
