"""Administrative-name normalisation, region comparison, and the optional cpca resolver."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kscarriers.errors import ConfigurationError
from kscarriers.rules import (
    MUNICIPALITIES,
    PROVINCES,
    CpcaResolver,
    Region,
    RegionMatch,
    city_key,
    compare_regions,
    normalise_province,
)


def test_there_are_34_provincial_level_divisions() -> None:
    assert len(PROVINCES) == 34
    assert len(set(PROVINCES.values())) == 34
    for official, short in PROVINCES.items():
        assert normalise_province(official) == official
        assert normalise_province(short) == official


@pytest.mark.parametrize(
    ("name", "official"),
    [
        ("广东", "广东省"),
        (" 广东省 ", "广东省"),
        ("上海", "上海市"),
        ("北京市", "北京市"),
        ("天津", "天津市"),
        ("重庆", "重庆市"),
        ("内蒙古", "内蒙古自治区"),
        ("广西", "广西壮族自治区"),
        ("广西自治区", "广西壮族自治区"),
        ("西藏", "西藏自治区"),
        ("宁夏回族自治区", "宁夏回族自治区"),
        ("新疆", "新疆维吾尔自治区"),
        ("香港", "香港特别行政区"),
        ("澳门特别行政区", "澳门特别行政区"),
    ],
)
def test_province_names(name: str, official: str) -> None:
    assert normalise_province(name) == official


@pytest.mark.parametrize("name", ["", "Guangdong", "广州", "火星"])
def test_unknown_provinces(name: str) -> None:
    assert normalise_province(name) is None
    assert Region.of(name, "广州") is None


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("广州市", "广州"),
        ("广州", "广州"),
        ("阿里地区", "阿里"),
        ("锡林郭勒盟", "锡林郭勒"),
        ("延边朝鲜族自治州", "延边"),
        ("黔东南苗族侗族自治州", "黔东南"),
        ("博尔塔拉蒙古自治州", "博尔塔拉"),
        ("海西蒙古族藏族自治州", "海西"),
        ("市辖区", ""),
        ("省直辖县级行政区划", ""),
    ],
)
def test_city_keys(name: str, key: str) -> None:
    assert city_key(name) == key


def test_municipalities_compare_at_province_level() -> None:
    assert {"北京市", "天津市", "上海市", "重庆市"} <= MUNICIPALITIES
    assert Region.of("上海", "浦东新区") == Region(province="上海市")
    assert (
        compare_regions(Region.of("上海市", "市辖区"), Region.of("上海", "上海市"))
        is RegionMatch.SAME_PROVINCE
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        (("广东省", "广州市"), ("广东", "广州"), RegionMatch.SAME_CITY),
        (("广东省", "广州市"), ("广东", "深圳市"), RegionMatch.DIFFERENT_CITY),
        (("广东省", "广州市"), ("浙江省", "杭州市"), RegionMatch.DIFFERENT_PROVINCE),
        (("广东省", ""), ("广东", "深圳"), RegionMatch.SAME_PROVINCE),
        (("吉林省", "延边朝鲜族自治州"), ("吉林", "延边州"), RegionMatch.SAME_CITY),
        (("内蒙古自治区", "锡林郭勒盟"), ("内蒙古", "锡林郭勒"), RegionMatch.SAME_CITY),
    ],
)
def test_compare(a: tuple[str, str], b: tuple[str, str], match: RegionMatch) -> None:
    ra, rb = Region.of(*a), Region.of(*b)
    assert ra is not None and rb is not None
    assert compare_regions(ra, rb) is match
    assert compare_regions(rb, ra) is match
    assert match.is_mismatch is (match in (RegionMatch.DIFFERENT_CITY, RegionMatch.DIFFERENT_PROVINCE))


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("【郑州市】快件已到达【郑州高新区】", Region(province="河南省", city="郑州")),
        ("广东省广州市天河区体育西路1号", Region(province="广东省", city="广州")),
        ("上海浦东新区张江路", Region(province="上海市")),
        ("内蒙古呼和浩特市", Region(province="内蒙古自治区", city="呼和浩特")),
    ],
)
def test_cpca_resolves_free_text(text: str, region: Region) -> None:
    assert CpcaResolver().resolve(text) == region


def test_cpca_gives_none_for_text_without_a_place() -> None:
    resolver = CpcaResolver()
    assert resolver.resolve("快件已签收") is None
    assert resolver.resolve("   ") is None


def test_missing_cpca_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cpca", None)  # makes "import cpca" raise ImportError
    with pytest.raises(ConfigurationError, match=r"kscarriers\[address\]"):
        CpcaResolver()


def test_importing_the_rules_does_not_import_cpca_or_pandas() -> None:
    code = (
        "import sys, kscarriers.rules;"
        "assert 'cpca' not in sys.modules and 'pandas' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
