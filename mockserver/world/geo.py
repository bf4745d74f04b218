"""Carrier-neutral geography for generated routes: Chinese cities, their sorting hubs and outlets."""

from __future__ import annotations

import hashlib
from typing import Optional

from attrs import frozen

__all__ = ["CITIES", "COURIER_NAMES", "City", "Place", "Site", "city_for", "outlet_site"]


@frozen(kw_only=True)
class Place:
    """A province and city, e.g. ``Place(province="浙江省", city="杭州市")``."""

    province: str
    city: str

    def to_dict(self) -> dict[str, str]:
        return {"province": self.province, "city": self.city}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Place:
        return cls(province=data["province"], city=data["city"])


@frozen(kw_only=True)
class Site:
    """A network site that scans parcels (outlet, hub or locker)."""

    name: str
    code: str
    province: str
    city: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "code": self.code, "province": self.province, "city": self.city}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Site:
        return cls(name=data["name"], code=data["code"], province=data["province"], city=data["city"])


@frozen(kw_only=True)
class City:
    """A city of the route generator: its hub and the districts its outlets sit in."""

    province: str
    city: str
    area_code: str
    districts: tuple[str, ...]

    @property
    def place(self) -> Place:
        return Place(province=self.province, city=self.city)

    @property
    def short(self) -> str:
        """The city name without its 市 suffix, as hub names use it (杭州转运中心)."""
        return self.city[:-1] if self.city.endswith("市") else self.city

    @property
    def hub(self) -> Site:
        return Site(
            name=f"{self.short}转运中心",
            code=f"{self.area_code}00",
            province=self.province,
            city=self.city,
        )


def _city(province: str, city: str, area_code: str, *districts: str) -> City:
    return City(province=province, city=city, area_code=area_code, districts=districts)


CITIES: tuple[City, ...] = (
    _city("北京市", "北京市", "010", "朝阳区", "海淀区", "丰台区"),
    _city("上海市", "上海市", "021", "浦东新区", "闵行区", "徐汇区"),
    _city("广东省", "广州市", "020", "天河区", "白云区", "番禺区"),
    _city("广东省", "深圳市", "0755", "南山区", "宝安区", "龙岗区"),
    _city("广东省", "东莞市", "0769", "长安镇", "虎门镇", "南城街道"),
    _city("浙江省", "杭州市", "0571", "西湖区", "余杭区", "萧山区"),
    _city("浙江省", "金华市", "0579", "义乌市", "婺城区", "东阳市"),
    _city("浙江省", "宁波市", "0574", "鄞州区", "海曙区", "北仑区"),
    _city("江苏省", "南京市", "025", "江宁区", "鼓楼区", "玄武区"),
    _city("江苏省", "苏州市", "0512", "工业园区", "吴中区", "昆山市"),
    _city("四川省", "成都市", "028", "武侯区", "高新区", "双流区"),
    _city("重庆市", "重庆市", "023", "渝北区", "九龙坡区", "江北区"),
    _city("湖北省", "武汉市", "027", "洪山区", "江夏区", "汉阳区"),
    _city("湖南省", "长沙市", "0731", "岳麓区", "雨花区", "开福区"),
    _city("河南省", "郑州市", "0371", "金水区", "中原区", "管城回族区"),
    _city("山东省", "济南市", "0531", "历下区", "槐荫区", "章丘区"),
    _city("山东省", "临沂市", "0539", "兰山区", "罗庄区", "河东区"),
    _city("福建省", "厦门市", "0592", "思明区", "湖里区", "集美区"),
    _city("陕西省", "西安市", "029", "雁塔区", "未央区", "长安区"),
    _city("天津市", "天津市", "022", "南开区", "河西区", "滨海新区"),
    _city("安徽省", "合肥市", "0551", "蜀山区", "包河区", "庐阳区"),
    _city("河北省", "石家庄市", "0311", "长安区", "裕华区", "桥西区"),
    _city("辽宁省", "沈阳市", "024", "和平区", "浑南区", "铁西区"),
    _city("云南省", "昆明市", "0871", "五华区", "官渡区", "盘龙区"),
)

#: Cities big enough to act as transit hubs between two other cities.
TRANSIT_CITIES: tuple[City, ...] = tuple(
    c
    for c in CITIES
    if c.city
    in {
        "上海市",
        "广州市",
        "杭州市",
        "武汉市",
        "郑州市",
        "北京市",
        "成都市",
        "南京市",
        "长沙市",
        "西安市",
        "临沂市",
    }
)

COURIER_NAMES: tuple[str, ...] = (
    "王军",
    "李强",
    "张伟",
    "刘洋",
    "陈杰",
    "杨磊",
    "赵勇",
    "黄涛",
    "周斌",
    "吴刚",
    "徐明",
    "孙浩",
    "马超",
    "朱峰",
    "胡平",
    "郭亮",
    "何鑫",
    "林海",
    "罗兵",
    "高翔",
)

_BY_CITY = {c.city: c for c in CITIES}


def city_for(place: Place) -> City:
    """Return the generator's city for ``place``, inventing one for cities it does not know.

    An unknown city gets a hub named after it and a stable numeric code derived from its name,
    so any province/city pair given by a QA engineer yields a usable route.
    """
    known = _BY_CITY.get(place.city)
    if known is not None and known.province == place.province:
        return known
    digest = hashlib.sha256(f"{place.province}/{place.city}".encode()).hexdigest()
    area_code = "9" + str(int(digest[:8], 16) % 1000).zfill(3)
    return City(
        province=place.province, city=place.city, area_code=area_code, districts=("城区", "开发区", "新区")
    )


def outlet_site(city: City, index: int, *, district: Optional[str] = None) -> Site:
    """Return the delivery/pickup outlet number ``index`` of ``city`` (in ``district`` if given)."""
    name = f"{city.short}{district or city.districts[index % len(city.districts)]}营业部"
    # The code is derived from the name so that one outlet always has one code.
    number = int(hashlib.sha256(name.encode()).hexdigest()[:6], 16) % 90 + 10
    return Site(name=name, code=f"{city.area_code}{number:02d}", province=city.province, city=city.city)
