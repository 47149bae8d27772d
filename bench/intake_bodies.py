"""Realistic `POST /v1/cases` bodies (受理) for the load test and the intake CPU bench.

Villages of the local stack's demo directory, the categories partners file under (and now and
then none, so the service classifies the text itself), one to three parties with valid mainland
mobile numbers, about a third of the applicants with a GB 11643 ID number, an amount and a risk
indicator on some. Drawn from a `random.Random`, so a seed gives the same bodies.
"""

from __future__ import annotations

import random
from typing import Any

from chalicelib.domain.identity import id_number_check_char
from devstack.demo_directory import REGIONS

VILLAGES = [region["code"] for region in REGIONS if len(region["code"]) == 12]
"""The demo directory's villages and communities (村社), where a case is filed."""

DISPUTES = {  # category: (title, description) pairs as a 12345 operator writes them
    "neighbor": [("楼上漏水引发邻里纠纷", "楼上住户卫生间漏水，渗到楼下天花板，多次协商未果，请求调解。"),
                 ("空调外机噪音扰民", "邻居空调外机正对卧室窗户，夜间噪音大，沟通无果。"),
                 ("楼道堆物引发争执", "邻居长期在楼道堆放杂物，影响通行和消防安全，双方发生口角。")],
    "marriage_family": [("离婚后子女探视纠纷", "双方离婚后，对孩子的探视时间和方式争执不下。"),
                        ("赡养老人费用分担", "三兄妹对父母的赡养费用和轮流照顾安排意见不一。"),
                        ("彩礼返还纠纷", "婚约解除后，男方要求女方返还彩礼八万元，女方不同意。")],
    "property_management": [("物业费收取纠纷", "业主认为物业服务不到位，拒交物业费，物业公司催缴。"),
                            ("小区停车位管理争议", "物业调整停车收费标准，部分业主不认可。")],
    "land_resources": [("宅基地界址争议", "两户村民对宅基地界址有争议，一方砌墙占用通道。"),
                       ("承包地流转费用纠纷", "流转方拖欠土地流转费两年，农户多次催要无果。")],
    "labor_wages": [("装修工人欠薪", "包工头拖欠六名装修工人工资共三万余元。")],
    "consumer_contract": [("预付卡退费纠纷", "健身房停业，会员要求退还预付卡余额，商家推脱。")],
    "housing_construction": [("加装电梯意见不一", "老旧小区加装电梯，低楼层住户担心采光，不同意施工。")],
    "traffic_accident": [("电动车剐蹭赔偿", "电动车与行人发生剐蹭，双方对医药费赔偿金额有分歧。")],
}
CATEGORIES = list(DISPUTES)
CHANNELS = ["hotline_12345", "police_110", "grid_patrol", "walk_in", "online"]
INDICATORS = ["threat_of_violence", "vulnerable_party", "long_standing", "group_dispute"]
SURNAMES = "张李王赵钱孙周吴郑陈沈顾徐朱"
GIVEN = ["伟", "芳", "秀英", "建国", "丽娟", "志强", "美华", "国平", "小妹", "振华"]
MOBILE_PREFIXES = ["138", "139", "150", "151", "186", "187", "135", "177"]


def mobile(rng: random.Random) -> str:
    """A valid mainland mobile number (11 digits, a carrier's prefix)."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def id_number(rng: random.Random) -> str:
    """A GB 11643 resident ID number of 吴江 (320584), born 1950–1999, with its check character."""
    first17 = f"320584{rng.randrange(1950, 2000)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
    return first17 + id_number_check_char(first17)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def intake_body(rng: random.Random, external_ref: str) -> dict[str, Any]:
    """One case as a partner files it."""
    category = rng.choice(CATEGORIES)
    title, description = rng.choice(DISPUTES[category])
    applicant: dict[str, Any] = {"role": "applicant", "name": person(rng), "phone": mobile(rng)}
    if rng.random() < 0.35:
        applicant["id_number"] = id_number(rng)
    parties = [applicant, {"role": "respondent", "name": person(rng)}]
    if rng.random() < 0.5:
        parties[1]["phone"] = mobile(rng)
    if rng.random() < 0.15:
        parties.append({"role": "respondent", "name": person(rng), "phone": mobile(rng)})
    body: dict[str, Any] = {
        "external_ref": external_ref, "channel": rng.choice(CHANNELS), "title": title, "description": description,
        "region_code": rng.choice(VILLAGES), "address": f"{rng.randrange(1, 40)}幢{rng.randrange(1, 30)}0{rng.randrange(1, 5)}室",
        "parties": parties, "risk_indicators": [],
    }
    if rng.random() < 0.9:  # else the service classifies the text (分诊)
        body["category"] = category
    if rng.random() < 0.6:
        body["amount_cny"] = rng.randrange(1, 200) * 500
    if rng.random() < 0.1:
        body["risk_indicators"] = [rng.choice(INDICATORS)]
    return body
