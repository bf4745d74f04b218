"""Rights tags, payment methods and flag colours: Chinese labels with stable English names."""

from __future__ import annotations

import pytest
from rules_builders import order

from kscarriers.errors import ValidationError
from kscarriers.rules import FlagColor, PaymentMethod, PaymentMethodKind, RightsTag, RightsTagKind, RightsTags

#: The platform's list of rights tags, in the order platform-rules §2 gives it.
PLATFORM_LABELS = [
    "买贵必赔",
    "主播实在宝",
    "晚发立赔",
    "7天价保",
    "退款不退货",
    "坏了包退",
    "破损包退",
    "过敏包退",
    "退货补运费",
    "假一赔九",
    "七天无理由",
    "极速退款",
]


def test_all_twelve_platform_labels_are_known_in_the_platforms_order() -> None:
    tags = RightsTags.of(PLATFORM_LABELS)
    assert [t.label_zh for t in tags] == PLATFORM_LABELS
    assert [t.kind for t in tags] == list(RightsTagKind)
    assert len(tags.known) == 12 and tags.unknown == ()


def test_every_kind_has_a_distinct_stable_name_and_a_rule() -> None:
    names = [kind.value for kind in RightsTagKind]
    assert len(set(names)) == 12
    assert all(name.isascii() and name == name.lower() for name in names)
    assert all(kind.rule for kind in RightsTagKind)
    assert RightsTagKind.EXPRESS_REFUND.value == "express_refund"
    assert RightsTagKind("no_reason_return_7d").label_zh == "七天无理由"


def test_an_unknown_label_is_kept_not_dropped() -> None:
    tags = RightsTags.of(["新品试用", "极速退款"])
    assert [t.label_zh for t in tags] == ["极速退款", "新品试用"]
    unknown = tags.tags[1]
    assert unknown.kind is None and unknown.name is None and not unknown.known
    assert tags.unknown == ("新品试用",)
    assert "新品试用" in tags


def test_tags_are_a_set_duplicates_collapse_and_spellings_agree() -> None:
    tags = RightsTags.of(["七天价保", "7天价保", RightsTagKind.PRICE_PROTECTION_7D, "price_protection_7d"])
    assert len(tags) == 1
    assert RightsTagKind.PRICE_PROTECTION_7D in tags and "7天价保" in tags and "七天价保" in tags
    assert RightsTags.of(["7天无理由退货"]).known == {RightsTagKind.NO_REASON_RETURN_7D}


def test_membership_of_anything_else_is_false() -> None:
    tags = RightsTags.of(["极速退款"])
    assert RightsTagKind.RETURN_IF_BROKEN not in tags
    assert "" not in tags and 3 not in tags


def test_an_order_takes_rights_tags_as_labels_and_refuses_a_bare_string() -> None:
    assert RightsTagKind.EXPRESS_REFUND in order(rights_tags=["极速退款"]).rights_tags
    with pytest.raises(ValidationError, match="rights_tags: must be a list of labels, not a str"):
        order(rights_tags="极速退款")
    with pytest.raises(ValidationError, match="rights_tags: must not be empty"):
        order(rights_tags=["  "])


def test_a_tag_links_to_its_rule_when_the_caller_gives_the_url() -> None:
    tag = RightsTag.of("极速退款")
    data = tag.to_dict({"express_refund": "https://example.invalid/rules/express-refund"})
    assert data == {
        "name": "express_refund",
        "label_zh": "极速退款",
        "known": True,
        "rule": RightsTagKind.EXPRESS_REFUND.rule,
        "rule_url": "https://example.invalid/rules/express-refund",
    }
    assert RightsTag.of("新品试用").to_dict({"新品试用": "u"})["rule_url"] == "u"
    assert tag.to_dict()["rule_url"] is None


def test_payment_methods_are_named_and_unknown_ones_kept() -> None:
    assert PaymentMethod.of("微信支付").kind is PaymentMethodKind.WECHAT_PAY
    assert PaymentMethod.of("alipay").label_zh == "支付宝"
    other = PaymentMethod.of("数字人民币")
    assert other.kind is None and other.to_dict() == {"name": None, "label_zh": "数字人民币", "known": False}
    assert order(payment_method="先用后付").payment_method == PaymentMethod.of(PaymentMethodKind.PAY_LATER)


def test_flag_colours_have_chinese_labels_and_grey_is_the_platform_default() -> None:
    assert FlagColor("grey") is FlagColor.GREY
    assert [c.label_zh for c in FlagColor] == ["灰旗", "红旗", "黄旗", "绿旗", "蓝旗", "紫旗"]
