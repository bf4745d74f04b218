"""Chinese administrative names: province/city normalisation, comparison and free-text lookup."""

from __future__ import annotations

import enum
import re
from typing import Any, Dict, Optional, Protocol

from attrs import frozen

from kscarriers.errors import ConfigurationError

__all__ = [
    "MUNICIPALITIES",
    "PROVINCES",
    "AddressResolver",
    "CpcaResolver",
    "Region",
    "RegionMatch",
    "city_key",
    "compare_regions",
    "normalise_province",
]

#: The 34 provincial-level divisions: official name -> common short name.
PROVINCES: Dict[str, str] = {
    "北京市": "北京",
    "天津市": "天津",
    "上海市": "上海",
    "重庆市": "重庆",
    "河北省": "河北",
    "山西省": "山西",
    "辽宁省": "辽宁",
    "吉林省": "吉林",
    "黑龙江省": "黑龙江",
    "江苏省": "江苏",
    "浙江省": "浙江",
    "安徽省": "安徽",
    "福建省": "福建",
    "江西省": "江西",
    "山东省": "山东",
    "河南省": "河南",
    "湖北省": "湖北",
    "湖南省": "湖南",
    "广东省": "广东",
    "海南省": "海南",
    "四川省": "四川",
    "贵州省": "贵州",
    "云南省": "云南",
    "陕西省": "陕西",
    "甘肃省": "甘肃",
    "青海省": "青海",
    "台湾省": "台湾",
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}

#: Municipalities and SARs have no prefecture-level city between them and their districts, so
#: they are compared at province level only.
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市", "香港特别行政区", "澳门特别行政区"})

_BY_NAME: Dict[str, str] = {}
for _full, _short in PROVINCES.items():
    _BY_NAME[_full] = _full
    _BY_NAME[_short] = _full
    _BY_NAME[_short + "省"] = _full
    _BY_NAME[_short + "市"] = _full
    _BY_NAME[_short + "自治区"] = _full
_BY_NAME.update({"台湾": "台湾省", "香港特区": "香港特别行政区", "澳门特区": "澳门特别行政区"})

# Placeholders used by gazetteers (cpca among them) where a municipality or a county-level city
# directly under a province has no prefecture-level city: they carry no city information.
_CITY_PLACEHOLDERS = frozenset(
    {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖县级行政单位"}
)
_CITY_SUFFIXES = ("自治州", "地区", "盟", "市")
# The peoples named in the 30 autonomous prefectures: "延边朝鲜族自治州" -> "延边",
# "黔东南苗族侗族自治州" -> "黔东南", "博尔塔拉蒙古自治州" -> "博尔塔拉" (Xinjiang omits 族).
_ETHNIC_TAIL = re.compile(
    r"(?:(?:朝鲜|土家|苗|藏|羌|彝|侗|布依|哈尼|壮|傣|白|景颇|傈僳|回|蒙古|柯尔克孜|哈萨克)族?)+$"
)
_SPACE = re.compile(r"\s+")


def normalise_province(name: str) -> Optional[str]:
    """Return the official name of a provincial-level division, or None if unrecognised.

    ``"广东"``, ``"广东省"`` -> ``"广东省"``; ``"上海"`` -> ``"上海市"``; ``"内蒙古"`` ->
    ``"内蒙古自治区"``; ``"广西"`` -> ``"广西壮族自治区"``; ``"香港"`` -> ``"香港特别行政区"``.
    """
    return _BY_NAME.get(_SPACE.sub("", name or ""))


def city_key(name: str) -> str:
    """Return the comparison key of a prefecture-level name; ``""`` when there is none.

    The suffixes 市 / 地区 / 自治州 / 盟 and a trailing ethnic designation are dropped:
    ``"广州市"`` and ``"广州"`` -> ``"广州"``; ``"延边朝鲜族自治州"`` -> ``"延边"``;
    ``"锡林郭勒盟"`` -> ``"锡林郭勒"``. Gazetteer placeholders such as ``"市辖区"`` give ``""``.
    """
    key = _SPACE.sub("", name or "")
    if key in _CITY_PLACEHOLDERS:
        return ""
    autonomous = key.endswith("自治州") or key.endswith("族")
    for suffix in _CITY_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            key = key[: -len(suffix)]
            break
    if autonomous:
        stripped = _ETHNIC_TAIL.sub("", key)
        if len(stripped) >= 2:
            key = stripped
    return key


@frozen(kw_only=True)
class Region:
    """A province (official name) and a city key, normalised for comparison.

    ``city`` is ``""`` when unknown, and always ``""`` for municipalities and SARs.
    """

    province: str
    city: str = ""

    @classmethod
    def of(cls, province: str, city: str = "") -> Optional[Region]:
        """Normalise raw names into a Region; None when the province is unrecognised."""
        official = normalise_province(province)
        if official is None:
            return None
        return cls(province=official, city="" if official in MUNICIPALITIES else city_key(city))

    def __str__(self) -> str:
        return f"{self.province}{self.city}" if self.city else self.province


class RegionMatch(str, enum.Enum):
    """How two regions compare at province and city level."""

    SAME_CITY = "same_city"
    SAME_PROVINCE = "same_province"
    DIFFERENT_CITY = "different_city"
    DIFFERENT_PROVINCE = "different_province"

    @property
    def is_mismatch(self) -> bool:
        """Whether the two regions are certainly different places."""
        return self in (RegionMatch.DIFFERENT_CITY, RegionMatch.DIFFERENT_PROVINCE)


def _same_city(a: str, b: str) -> bool:
    return a == b or a.startswith(b) or b.startswith(a)


def compare_regions(a: Region, b: Region) -> RegionMatch:
    """Compare two regions: provinces first, then cities when both cities are known.

    ``SAME_PROVINCE`` means the provinces agree and at least one city is unknown (or the province
    is a municipality), so no city-level verdict is possible.
    """
    if a.province != b.province:
        return RegionMatch.DIFFERENT_PROVINCE
    if not a.city or not b.city:
        return RegionMatch.SAME_PROVINCE
    return RegionMatch.SAME_CITY if _same_city(a.city, b.city) else RegionMatch.DIFFERENT_CITY


class AddressResolver(Protocol):
    """Resolves a free-text address or scan description to a region."""

    def resolve(self, text: str) -> Optional[Region]:
        """Return the region named in ``text``, or None when it names none."""
        ...


class CpcaResolver:
    """Free-text resolution with ``cpca`` (the optional ``kscarriers[address]`` extra).

    ``cpca`` loads pandas and a gazetteer, so it is imported here, when resolution is first
    asked for, never when :mod:`kscarriers.rules` is imported.

    Raises:
        ConfigurationError: if ``cpca`` is not installed.
    """

    def __init__(self) -> None:
        try:
            import cpca
        except ImportError as exc:
            raise ConfigurationError(
                "free-text address resolution needs the optional extra: pip install 'kscarriers[address]'"
            ) from exc
        self._cpca: Any = cpca
        self._cache: Dict[str, Optional[Region]] = {}

    def resolve(self, text: str) -> Optional[Region]:
        """Return the province and city named in ``text`` (such as a scan description)."""
        if text not in self._cache:
            self._cache[text] = self._lookup(text)
        return self._cache[text]

    def _lookup(self, text: str) -> Optional[Region]:
        if not text.strip():
            return None
        row = self._cpca.transform([text]).iloc[0]
        province, city = row["省"], row["市"]
        # cpca fills the gaps with NaN (a float), hence the isinstance checks.
        if not isinstance(province, str) or not province:
            return None
        return Region.of(province, city if isinstance(city, str) else "")
