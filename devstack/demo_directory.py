"""Demo directory of the local stack (演示数据): 吴江区, two towns, six villages.

Every entry is the exact body of a directory request (contract §4), posted by
the seeder in this order. Region codes below the district and all names of
people are invented; every phone number is a fake but valid mainland mobile
number (1390000xxxx), so no SMS can reach a real person.
"""

from __future__ import annotations

from typing import Any

Payload = dict[str, Any]

DISTRICT = "320509"

REGIONS: list[Payload] = [
    {"code": DISTRICT, "name": "吴江区"},
    {"code": "320509001", "name": "松陵街道"},
    {"code": "320509001001", "name": "流虹社区"},
    {"code": "320509001002", "name": "鲈乡社区"},
    {"code": "320509001003", "name": "三联村"},
    {"code": "320509102", "name": "震泽镇"},
    {"code": "320509102001", "name": "宝塔社区"},
    {"code": "320509102002", "name": "齐心村"},
    {"code": "320509102003", "name": "众安桥村"},
]
"""Parents before children: the API requires a region's parent to exist."""

_COMMUNITY = ["neighbor", "marriage_family", "property_management", "other"]
_VILLAGE = ["neighbor", "marriage_family", "land_resources", "other"]
_TOWN = [
    "neighbor", "marriage_family", "property_management", "land_resources",
    "consumer_contract", "housing_construction", "other",
]


def _org(org_id: str, name: str, region_code: str, tier: str, mediation_type: str,
         categories: list[str], head_phone: str) -> Payload:
    return {"org_id": org_id, "name": name, "region_code": region_code, "tier": tier,
            "mediation_type": mediation_type, "categories": categories, "head_phone": head_phone}


ORGS: list[Payload] = [
    # 村社前哨: people's mediation committees of villages and communities.
    _org("org-320509001001-tw", "流虹社区人民调解委员会", "320509001001", "village", "people", _COMMUNITY, "13900001001"),
    _org("org-320509001002-tw", "鲈乡社区人民调解委员会", "320509001002", "village", "people", _COMMUNITY, "13900001002"),
    _org("org-320509001003-tw", "三联村人民调解委员会", "320509001003", "village", "people", _VILLAGE, "13900001003"),
    _org("org-320509102001-tw", "宝塔社区人民调解委员会", "320509102001", "village", "people", _COMMUNITY, "13900001004"),
    _org("org-320509102002-tw", "齐心村人民调解委员会", "320509102002", "village", "people", _VILLAGE, "13900001005"),
    _org("org-320509102003-tw", "众安桥村人民调解委员会", "320509102003", "village", "people", _VILLAGE, "13900001006"),
    # 镇街主战: town committees, police stations (治安调解), a town labour committee.
    _org("org-320509001-tw", "松陵街道人民调解委员会", "320509001", "town", "people", _TOWN, "13900001011"),
    _org("org-320509001-pcs", "松陵派出所治安调解室", "320509001", "town", "administrative", ["traffic_accident"], "13900001012"),
    _org("org-320509102-tw", "震泽镇人民调解委员会", "320509102", "town", "people", _TOWN, "13900001013"),
    _org("org-320509102-pcs", "震泽派出所治安调解室", "320509102", "town", "administrative", ["traffic_accident"], "13900001014"),
    _org("org-320509102-labor", "震泽镇劳动争议调解委员会", "320509102", "town", "administrative", ["labor_wages"], "13900001015"),
    # 区级终结: the district centre takes every category; specialised bodies name theirs.
    _org("org-320509-center", "吴江区矛盾纠纷调处化解中心", DISTRICT, "district", "people", [], "13900001021"),
    _org("org-320509-court", "吴江区人民法院诉调对接中心", DISTRICT, "district", "judicial",
         ["consumer_contract", "housing_construction", "traffic_accident"], "13900001022"),
    _org("org-320509-medical", "吴江区医疗纠纷人民调解委员会", DISTRICT, "district", "industry", ["medical"], "13900001023"),
    _org("org-320509-labor", "吴江区劳动人事争议调解中心", DISTRICT, "district", "administrative", ["labor_wages"], "13900001024"),
    _org("org-320509-property", "吴江区物业纠纷人民调解委员会", DISTRICT, "district", "industry",
         ["property_management"], "13900001025"),
    _org("org-320509-laoniangjiu", "吴江区“老娘舅”调解工作室", DISTRICT, "district", "social_org",
         ["marriage_family", "neighbor"], "13900001026"),
]


def _mediator(number: int, name: str, org_id: str, specialties: list[str], active: bool = True) -> Payload:
    return {"mediator_id": f"med-{number:03d}", "name": name, "phone": f"139000000{number:02d}",
            "org_id": org_id, "specialties": specialties, "active": active}


MEDIATORS: list[Payload] = [
    _mediator(1, "周海燕", "org-320509001001-tw", ["neighbor", "property_management"]),
    _mediator(2, "陈志明", "org-320509001002-tw", ["marriage_family"]),
    _mediator(3, "沈阿根", "org-320509001003-tw", ["land_resources"]),
    _mediator(4, "吴秀英", "org-320509102001-tw", ["neighbor"]),
    _mediator(5, "钱卫东", "org-320509102001-tw", ["marriage_family"]),
    _mediator(6, "徐建林", "org-320509102002-tw", ["land_resources", "neighbor"]),
    _mediator(7, "顾美华", "org-320509102003-tw", ["marriage_family"]),
    _mediator(8, "朱国平", "org-320509102003-tw", [], active=False),
    _mediator(9, "王丽娟", "org-320509001-tw", ["marriage_family", "neighbor"]),
    _mediator(10, "蒋志强", "org-320509001-tw", ["housing_construction", "consumer_contract"]),
    _mediator(11, "陆振华", "org-320509001-pcs", ["traffic_accident"]),
    _mediator(12, "费雪琴", "org-320509102-tw", ["property_management", "land_resources"]),
    _mediator(13, "杨永明", "org-320509102-tw", ["neighbor"]),
    _mediator(14, "金伟", "org-320509102-pcs", ["traffic_accident"]),
    _mediator(15, "孙红梅", "org-320509102-labor", ["labor_wages"]),
    _mediator(16, "张伯元", "org-320509-center", ["housing_construction", "land_resources"]),
    _mediator(17, "许静", "org-320509-center", ["marriage_family"]),
    _mediator(18, "潘立群", "org-320509-court", ["consumer_contract", "traffic_accident"]),
    _mediator(19, "唐晓东", "org-320509-medical", ["medical"]),
    _mediator(20, "邵桂芳", "org-320509-labor", ["labor_wages"]),
    _mediator(21, "姚建新", "org-320509-property", ["property_management"]),
    _mediator(22, "俞阿大", "org-320509-laoniangjiu", ["marriage_family", "neighbor"]),
    _mediator(23, "倪小妹", "org-320509-laoniangjiu", ["marriage_family"]),
]
"""One mediator (med-008) is inactive, to show that routing skips them."""

PARTNER_ID = "demo-12345"
PARTNER_NAME = "12345热线"


def partner_payload(callback_url: str) -> Payload:
    """The demo partner: the 12345 hotline, calling back the runner's sink."""
    return {"partner_id": PARTNER_ID, "name": PARTNER_NAME, "callback_url": callback_url}
