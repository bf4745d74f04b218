"""Amounts with their breakdowns (platform-rules §2): what the buyer paid and what the shop receives.

Money is integer fen throughout. A breakdown is a list of :class:`AmountLine` values, each a
:class:`AmountPart` that adds to or subtracts from the total; :func:`check_breakdown` refuses a
breakdown that does not add up to its stated total, naming every part.
"""

from __future__ import annotations

import enum
from typing import Any, Dict, Iterable, Tuple

from attrs import field, frozen

from kscarriers.errors import ValidationError
from kscarriers.rules import _checks

__all__ = ["AmountLine", "AmountPart", "AmountView", "check_breakdown"]


class AmountPart(str, enum.Enum):
    """One kind of line in an amount's breakdown; ``sign`` says whether it adds or subtracts."""

    GOODS_TOTAL = "goods_total"
    SHIPPING_FEE = "shipping_fee"
    TAX = "tax"
    PLATFORM_SUBSIDY = "platform_subsidy"
    SHOP_DISCOUNT = "shop_discount"
    PLATFORM_DISCOUNT = "platform_discount"
    STREAMER_DISCOUNT = "streamer_discount"
    PAYMENT_DISCOUNT = "payment_discount"
    PRICE_CHANGE_DISCOUNT = "price_change_discount"
    SERVICE_FEE = "service_fee"
    COMMISSION = "commission"
    OTHER_ADDITION = "other_addition"
    OTHER_DEDUCTION = "other_deduction"

    @property
    def label_zh(self) -> str:
        """The Chinese label shown in the platform's back office."""
        return _PART_LABELS[self][0]

    @property
    def sign(self) -> int:
        """+1 when the line adds to the total, -1 when it is taken off."""
        return _PART_LABELS[self][1]


_PART_LABELS: Dict[AmountPart, Tuple[str, int]] = {
    AmountPart.GOODS_TOTAL: ("商品总价", 1),
    AmountPart.SHIPPING_FEE: ("运费", 1),
    AmountPart.TAX: ("税费", 1),
    AmountPart.PLATFORM_SUBSIDY: ("平台补贴", 1),
    AmountPart.SHOP_DISCOUNT: ("店铺优惠", -1),
    AmountPart.PLATFORM_DISCOUNT: ("平台优惠", -1),
    AmountPart.STREAMER_DISCOUNT: ("主播优惠", -1),
    AmountPart.PAYMENT_DISCOUNT: ("支付优惠", -1),
    AmountPart.PRICE_CHANGE_DISCOUNT: ("改价优惠", -1),
    AmountPart.SERVICE_FEE: ("技术服务费", -1),
    AmountPart.COMMISSION: ("达人佣金", -1),
    AmountPart.OTHER_ADDITION: ("其他加项", 1),
    AmountPart.OTHER_DEDUCTION: ("其他减项", -1),
}

_OTHER = frozenset({AmountPart.OTHER_ADDITION, AmountPart.OTHER_DEDUCTION})


def _part(value: Any) -> AmountPart:
    try:
        return AmountPart(value)
    except ValueError:
        known = ", ".join(part.value for part in AmountPart)
        raise ValidationError(field="part", reason=f"unknown part {value!r}; known: {known}") from None


@frozen(kw_only=True)
class AmountLine:
    """One line of a breakdown: a part and its (non-negative) amount in fen.

    ``label`` is what the back office calls the line; it defaults to the part's Chinese label and
    is required for ``OTHER_ADDITION`` / ``OTHER_DEDUCTION``, which have no fixed meaning.
    """

    part: AmountPart = field(converter=_part)
    amount_fen: int
    label: str = ""

    def __attrs_post_init__(self) -> None:
        _checks.fen(f"{self.part.value}.amount_fen", self.amount_fen)
        if not isinstance(self.label, str):
            raise ValidationError(field=f"{self.part.value}.label", reason="must be a str")
        if self.part in _OTHER and not self.label.strip():
            raise ValidationError(field=f"{self.part.value}.label", reason="say what the line is")

    @property
    def signed_fen(self) -> int:
        """The line's contribution to the total: negative for a deduction."""
        return self.part.sign * self.amount_fen

    @property
    def shown_label(self) -> str:
        """The label to show: the given one, else the part's Chinese label."""
        return self.label.strip() or self.part.label_zh

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: part, label_zh, sign (``"+"`` / ``"-"``), amount in fen and in yuan."""
        return {
            "part": self.part.value,
            "label_zh": self.shown_label,
            "sign": "+" if self.part.sign > 0 else "-",
            "amount_fen": self.amount_fen,
            "amount_yuan": str(_checks.fen_to_yuan(self.amount_fen)),
        }


def _lines(values: Iterable[AmountLine]) -> Tuple[AmountLine, ...]:
    return tuple(values)


def check_breakdown(field_name: str, total_fen: int, lines: Iterable[AmountLine]) -> Tuple[AmountLine, ...]:
    """Return ``lines`` as a tuple if they add up to ``total_fen``; else raise ValidationError.

    The error names every part with its amount and the sum they make, e.g.
    ``paid_breakdown: goods_total 100.00 + shipping_fee 8.00 - shop_discount 10.00 = 98.00 yuan,
    not the stated 99.00 yuan``. An empty breakdown (not known) passes.
    """
    found = _lines(lines)
    for line in found:
        if not isinstance(line, AmountLine):
            raise ValidationError(field=field_name, reason="must hold AmountLine values")
    if not found:
        return found
    total = sum(line.signed_fen for line in found)
    if total != total_fen:
        terms = []
        for number, line in enumerate(found):
            sign = "-" if line.part.sign < 0 else ("+" if number else "")
            terms.append(f"{sign} {line.part.value} {_checks.fen_to_yuan(line.amount_fen)}".strip())
        shown = f"{'-' if total < 0 else ''}{_checks.fen_to_yuan(abs(total))}"
        raise ValidationError(
            field=field_name,
            reason=f"{' '.join(terms)} = {shown} yuan, not the stated {_checks.fen_to_yuan(total_fen)} yuan",
        )
    return found


@frozen(kw_only=True)
class AmountView:
    """An amount as the view shows it: the total and the lines that make it up (may be empty)."""

    total_fen: int
    lines: Tuple[AmountLine, ...] = field(factory=tuple, converter=_lines)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: total in fen and in yuan (a decimal string), and the lines."""
        return {
            "total_fen": self.total_fen,
            "total_yuan": str(_checks.fen_to_yuan(self.total_fen)),
            "lines": [line.to_dict() for line in self.lines],
        }
