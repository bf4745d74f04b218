"""Labelled facts of an order (platform-rules §2): rights tags, payment method, note flags.

The platform labels these in Chinese. Each known label has a stable English name (the enum
value) for code and JSON; a label the SDK does not know is *kept* with no name, never dropped,
so a support view still shows everything the platform sent.
"""

from __future__ import annotations

import enum
from typing import (
    Any,
    Dict,
    FrozenSet,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from attrs import frozen

from kscarriers.errors import ValidationError
from kscarriers.rules import _checks

__all__ = [
    "FlagColor",
    "PaymentMethod",
    "PaymentMethodKind",
    "RightsTag",
    "RightsTagKind",
    "RightsTags",
]


class RightsTagKind(str, enum.Enum):
    """The platform's twelve rights tags (权益标签), in the order the rules list them."""

    OVERPAY_COMPENSATION = "overpay_compensation"
    STREAMER_GUARANTEE = "streamer_guarantee"
    LATE_SHIPMENT_COMPENSATION = "late_shipment_compensation"
    PRICE_PROTECTION_7D = "price_protection_7d"
    REFUND_WITHOUT_RETURN = "refund_without_return"
    RETURN_IF_BROKEN = "return_if_broken"
    RETURN_IF_DAMAGED = "return_if_damaged"
    RETURN_IF_ALLERGIC = "return_if_allergic"
    RETURN_SHIPPING_COMPENSATION = "return_shipping_compensation"
    COUNTERFEIT_COMPENSATION = "counterfeit_compensation"
    NO_REASON_RETURN_7D = "no_reason_return_7d"
    EXPRESS_REFUND = "express_refund"

    @property
    def label_zh(self) -> str:
        """The platform's Chinese label."""
        return _RIGHTS[self][0]

    @property
    def rule(self) -> str:
        """A one-line English summary of the rule behind the tag."""
        return _RIGHTS[self][1]


_RIGHTS: Dict[RightsTagKind, Tuple[str, str]] = {
    RightsTagKind.OVERPAY_COMPENSATION: (
        "买贵必赔",
        "paid more than the qualifying lower price: the difference is paid back",
    ),
    RightsTagKind.STREAMER_GUARANTEE: (
        "主播实在宝",
        "the streamer's promises about the goods are guaranteed",
    ),
    RightsTagKind.LATE_SHIPMENT_COMPENSATION: (
        "晚发立赔",
        "shipped later than promised: the buyer is compensated",
    ),
    RightsTagKind.PRICE_PROTECTION_7D: ("7天价保", "price drop within 7 days: the difference is refunded"),
    RightsTagKind.REFUND_WITHOUT_RETURN: (
        "退款不退货",
        "a qualifying refund is paid without returning the goods",
    ),
    RightsTagKind.RETURN_IF_BROKEN: ("坏了包退", "goods that arrive spoiled or broken are refunded"),
    RightsTagKind.RETURN_IF_DAMAGED: ("破损包退", "goods damaged in transit are refunded"),
    RightsTagKind.RETURN_IF_ALLERGIC: ("过敏包退", "a buyer allergic to the product may return it"),
    RightsTagKind.RETURN_SHIPPING_COMPENSATION: ("退货补运费", "the buyer's return shipping is compensated"),
    RightsTagKind.COUNTERFEIT_COMPENSATION: ("假一赔九", "counterfeit goods are compensated nine-fold"),
    RightsTagKind.NO_REASON_RETURN_7D: ("七天无理由", "returns within 7 days of receipt need no reason"),
    RightsTagKind.EXPRESS_REFUND: ("极速退款", "a qualifying refund is approved at once"),
}

#: Other spellings seen for the same label (digits or words for "seven", a trailing 退货).
_ALIASES: Dict[str, RightsTagKind] = {
    "七天价保": RightsTagKind.PRICE_PROTECTION_7D,
    "7天无理由": RightsTagKind.NO_REASON_RETURN_7D,
    "七天无理由退货": RightsTagKind.NO_REASON_RETURN_7D,
    "7天无理由退货": RightsTagKind.NO_REASON_RETURN_7D,
}

_BY_LABEL: Dict[str, RightsTagKind] = {kind.label_zh: kind for kind in RightsTagKind}
_BY_LABEL.update(_ALIASES)

_Kind = TypeVar("_Kind", bound=enum.Enum)


def _kind_of(
    field: str, value: Any, by_label: Mapping[str, _Kind], kinds: Type[_Kind]
) -> Tuple[str, Optional[_Kind]]:
    """The label given and its kind: by Chinese label or alias, else by English name, else None."""
    label = _checks.text(field, value)
    kind = by_label.get(label)
    if kind is None and label in kinds._value2member_map_:
        kind = kinds(label)
    return label, kind


@frozen(kw_only=True)
class RightsTag:
    """One rights tag: the platform's label, and its kind when the SDK knows it (else None)."""

    label_zh: str
    kind: Optional[RightsTagKind] = None

    @classmethod
    def of(cls, value: Union[str, RightsTagKind, RightsTag]) -> RightsTag:
        """A tag from a Chinese label, an English name, a kind or a tag; unknown labels are kept."""
        if isinstance(value, RightsTag):
            return value
        if isinstance(value, RightsTagKind):
            return cls(label_zh=value.label_zh, kind=value)
        label, kind = _kind_of("rights_tags", value, _BY_LABEL, RightsTagKind)
        return cls(label_zh=kind.label_zh if kind is not None else label, kind=kind)

    @property
    def name(self) -> Optional[str]:
        """The stable English name, or None for a label the SDK does not know."""
        return None if self.kind is None else self.kind.value

    @property
    def known(self) -> bool:
        """Whether the SDK knows this label."""
        return self.kind is not None

    def to_dict(self, rule_links: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
        """JSON-ready: name (None if unknown), label_zh, known, rule, rule_url.

        ``rule_links`` maps a tag's English name (or, for an unknown tag, its label) to the URL
        of the platform's rule page; the SDK ships no URLs of its own.
        """
        links = rule_links or {}
        url = links.get(self.name or "") or links.get(self.label_zh)
        return {
            "name": self.name,
            "label_zh": self.label_zh,
            "known": self.known,
            "rule": "" if self.kind is None else self.kind.rule,
            "rule_url": url,
        }


_ORDER = {kind: number for number, kind in enumerate(RightsTagKind)}


@frozen
class RightsTags:
    """The set of rights tags an order qualifies for: known ones in the platform's order, then
    unknown labels in the order given. Duplicates collapse.

    ``RightsTagKind.EXPRESS_REFUND in tags`` and ``"极速退款" in tags`` both work.
    """

    tags: Tuple[RightsTag, ...] = ()

    @classmethod
    def of(cls, values: Union[RightsTags, Iterable[Union[str, RightsTagKind, RightsTag]]]) -> RightsTags:
        """Tags from labels, names or kinds (a str alone is refused: pass a list)."""
        if isinstance(values, RightsTags):
            return values
        if isinstance(values, str):
            raise ValidationError(field="rights_tags", reason="must be a list of labels, not a str")
        seen: Dict[str, RightsTag] = {}
        for value in values:
            tag = RightsTag.of(value)
            seen.setdefault(tag.label_zh, tag)
        known = sorted((t for t in seen.values() if t.kind is not None), key=lambda t: _ORDER[t.kind])  # type: ignore[index]
        unknown = [t for t in seen.values() if t.kind is None]
        return cls(tuple(known + unknown))

    def __iter__(self) -> Iterator[RightsTag]:
        return iter(self.tags)

    def __len__(self) -> int:
        return len(self.tags)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, RightsTagKind):
            return item in self.known
        if isinstance(item, RightsTag):
            return item in self.tags
        if isinstance(item, str):
            try:
                return RightsTag.of(item) in self.tags
            except ValidationError:
                return False
        return False

    @property
    def known(self) -> FrozenSet[RightsTagKind]:
        """The kinds of the known tags."""
        return frozenset(t.kind for t in self.tags if t.kind is not None)

    @property
    def unknown(self) -> Tuple[str, ...]:
        """The labels the SDK does not know, as given."""
        return tuple(t.label_zh for t in self.tags if t.kind is None)

    def to_list(self, rule_links: Optional[Mapping[str, str]] = None) -> List[Dict[str, Any]]:
        """JSON-ready: one :meth:`RightsTag.to_dict` per tag."""
        return [tag.to_dict(rule_links) for tag in self.tags]


def rights_tags(values: Union[RightsTags, Iterable[Union[str, RightsTagKind, RightsTag]]]) -> RightsTags:
    """Converter for facts: :meth:`RightsTags.of`."""
    return RightsTags.of(values)


class PaymentMethodKind(str, enum.Enum):
    """Payment methods the SDK names; any other label is kept as it is."""

    WECHAT_PAY = "wechat_pay"
    ALIPAY = "alipay"
    BANK_CARD = "bank_card"
    PAY_LATER = "pay_later"

    @property
    def label_zh(self) -> str:
        """The Chinese label."""
        return _PAYMENT_LABELS[self]


_PAYMENT_LABELS = {
    PaymentMethodKind.WECHAT_PAY: "微信支付",
    PaymentMethodKind.ALIPAY: "支付宝",
    PaymentMethodKind.BANK_CARD: "银行卡",
    PaymentMethodKind.PAY_LATER: "先用后付",
}
_PAYMENT_BY_LABEL = {kind.label_zh: kind for kind in PaymentMethodKind}
_PAYMENT_BY_LABEL.update({"微信": PaymentMethodKind.WECHAT_PAY, "支付宝支付": PaymentMethodKind.ALIPAY})


@frozen(kw_only=True)
class PaymentMethod:
    """How the buyer paid: the label, and its kind when the SDK knows it (else None)."""

    label_zh: str
    kind: Optional[PaymentMethodKind] = None

    @classmethod
    def of(cls, value: Union[str, PaymentMethodKind, PaymentMethod]) -> PaymentMethod:
        """A payment method from a Chinese label, an English name or a kind; unknown labels kept."""
        if isinstance(value, PaymentMethod):
            return value
        if isinstance(value, PaymentMethodKind):
            return cls(label_zh=value.label_zh, kind=value)
        label, kind = _kind_of("payment_method", value, _PAYMENT_BY_LABEL, PaymentMethodKind)
        return cls(label_zh=kind.label_zh if kind is not None else label, kind=kind)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: name (None if unknown), label_zh, known."""
        return {
            "name": None if self.kind is None else self.kind.value,
            "label_zh": self.label_zh,
            "known": self.kind is not None,
        }


def payment_method(value: Union[str, PaymentMethodKind, PaymentMethod, None]) -> Optional[PaymentMethod]:
    """Converter for facts: None stays None, anything else :meth:`PaymentMethod.of`."""
    return None if value is None else PaymentMethod.of(value)


class FlagColor(str, enum.Enum):
    """The colour of a flag note (插旗备注).

    Kuaishou's ``open.seller.order.note.add`` says a flag cannot be cleared and defaults to
    GREY, and that notes are appended; the colours are the usual back-office set.
    """

    GREY = "grey"
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"
    PURPLE = "purple"

    @property
    def label_zh(self) -> str:
        """The Chinese label."""
        return _FLAG_LABELS[self]


_FLAG_LABELS = {
    FlagColor.GREY: "灰旗",
    FlagColor.RED: "红旗",
    FlagColor.YELLOW: "黄旗",
    FlagColor.GREEN: "绿旗",
    FlagColor.BLUE: "蓝旗",
    FlagColor.PURPLE: "紫旗",
}
