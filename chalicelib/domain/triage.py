"""Triage (分诊): classify a dispute's category from its title and description.

The policy is a keyword table: each category lists Chinese keywords with a
weight. A text scores the sum of the weights of the keywords it contains
(title hits count double, as titles are written to name the dispute); the
highest score wins, ties go to the category listed first, and a text that
hits nothing is `other`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .enums import Category

TITLE_WEIGHT = 2

CATEGORY_KEYWORDS: dict[Category, dict[str, int]] = {
    Category.MARRIAGE_FAMILY: {
        "离婚": 3, "婚姻": 3, "家暴": 3, "夫妻": 2, "赡养": 3, "抚养": 3, "抚养费": 3,
        "彩礼": 3, "继承": 3, "遗产": 3, "分家": 2, "婆媳": 3, "子女": 1, "老人": 1,
        "家庭": 2, "丈夫": 2, "妻子": 2, "儿媳": 2, "探视": 2,
    },
    Category.NEIGHBOR: {
        "邻居": 3, "邻里": 3, "楼上": 2, "楼下": 2, "漏水": 2, "噪音": 2, "噪声": 2,
        "宅基地": 2, "通行": 1, "排水": 1, "采光": 2, "堆放": 1, "养狗": 2, "犬": 1,
        "争吵": 1, "隔壁": 2, "围墙": 2,
    },
    Category.PROPERTY_MANAGEMENT: {
        "物业": 3, "物业费": 3, "业委会": 3, "小区": 1, "停车位": 2, "车位": 1,
        "保安": 1, "电梯故障": 2, "公共维修": 2, "维修基金": 3,
    },
    Category.LAND_RESOURCES: {
        "土地": 3, "承包地": 3, "土地流转": 3, "流转": 2, "青苗": 3, "青苗补偿": 3,
        "山林": 3, "林地": 3, "草场": 3, "耕地": 3, "地界": 3, "征地": 3, "租地": 2,
        "鱼塘": 2,
    },
    Category.LABOR_WAGES: {
        "欠薪": 3, "工资": 3, "拖欠工资": 3, "讨薪": 3, "劳动": 2, "劳务": 2,
        "工伤": 3, "辞退": 3, "加班": 2, "社保": 2, "农民工": 3, "包工头": 3,
        "用人单位": 3, "劳动合同": 3, "工钱": 3,
    },
    Category.MEDICAL: {
        "医院": 3, "医疗": 3, "医患": 3, "医生": 2, "手术": 2, "误诊": 3,
        "医疗事故": 3, "诊所": 2, "护士": 2, "治疗": 1, "药": 1,
    },
    Category.TRAFFIC_ACCIDENT: {
        "交通事故": 3, "车祸": 3, "追尾": 3, "撞": 2, "电动车": 2, "肇事": 3,
        "交警": 2, "保险理赔": 2, "剐蹭": 3, "碰撞": 2,
    },
    Category.CONSUMER_CONTRACT: {
        "消费": 3, "退款": 3, "退货": 3, "商家": 2, "合同": 1, "购买": 2, "预付卡": 3,
        "充值": 2, "质量问题": 2, "装修公司": 2, "欠款": 2, "借款": 2, "买卖": 2,
        "培训机构": 3, "健身": 2,
    },
    Category.HOUSING_CONSTRUCTION: {
        "拆迁": 3, "征收": 3, "加装电梯": 3, "装电梯": 3, "违建": 3, "违章建筑": 3,
        "房屋质量": 3, "施工": 2, "工地": 2, "开发商": 3, "安置": 2, "住建": 3,
        "交房": 3, "房屋裂缝": 3,
    },
}
"""Every category but `other` has keywords; `other` is what nothing matches."""


@dataclass(frozen=True)
class TriageResult:
    category: Category
    score: int
    matched: tuple[str, ...]


def classify(title: str, description: str) -> TriageResult:
    """Pick the category whose keywords best match the text."""
    best = TriageResult(Category.OTHER, 0, ())
    for category, keywords in CATEGORY_KEYWORDS.items():
        score = 0
        matched: list[str] = []
        for keyword, weight in keywords.items():
            hits = TITLE_WEIGHT * weight * (keyword in title) + weight * (keyword in description)
            if hits:
                score += hits
                matched.append(keyword)
        if score > best.score:
            best = TriageResult(category, score, tuple(matched))
    return best
