"""Triage (分诊): keyword classification of title and description (§5 create)."""

from __future__ import annotations

import pytest

from chalicelib.domain.enums import Category
from chalicelib.domain.triage import CATEGORY_KEYWORDS, TITLE_WEIGHT, classify

TYPICAL_COMPLAINTS = {
    Category.MARRIAGE_FAMILY: ("要求离婚并分割财产", "丈夫长期酗酒,妻子要求离婚,双方就子女抚养费争执不下。"),
    Category.NEIGHBOR: ("楼上漏水引发邻里纠纷", "楼上住户卫生间漏水,多次协商未果。"),
    Category.PROPERTY_MANAGEMENT: ("物业费收取争议", "业主认为物业服务不到位,拒交物业费,物业公司停了门禁卡。"),
    Category.LAND_RESOURCES: ("承包地流转纠纷", "村民反映承包地流转后租金未按约支付,青苗补偿也没有到位。"),
    Category.LABOR_WAGES: ("讨要拖欠工资", "包工头拖欠农民工工资三个月。"),
    Category.MEDICAL: ("手术后并发症引发医患纠纷", "患者家属认为医院手术存在误诊,要求赔偿。"),
    Category.TRAFFIC_ACCIDENT: ("电动车与轿车追尾", "双方在路口发生交通事故,就维修费用协商不成。"),
    Category.CONSUMER_CONTRACT: ("健身房预付卡退款难", "商家闭店,消费者要求退还预付卡余额。"),
    Category.HOUSING_CONSTRUCTION: ("老旧小区加装电梯意见不一", "低层住户反对加装电梯,认为影响采光和通行。"),
}


def test_every_category_but_other_has_keywords():
    assert set(CATEGORY_KEYWORDS) == set(Category) - {Category.OTHER}
    for category, keywords in CATEGORY_KEYWORDS.items():
        assert keywords, category
        assert all(weight > 0 for weight in keywords.values()), category


def test_every_category_has_a_typical_complaint_in_this_test():
    assert set(TYPICAL_COMPLAINTS) == set(CATEGORY_KEYWORDS)


@pytest.mark.parametrize("category", list(TYPICAL_COMPLAINTS), ids=lambda c: c.value)
def test_a_typical_complaint_classifies_to_its_category(category):
    title, description = TYPICAL_COMPLAINTS[category]
    result = classify(title, description)
    assert result.category is category
    assert result.score > 0
    assert result.matched and all(k in title + description for k in result.matched)


@pytest.mark.parametrize(
    ("title", "description"),
    [("咨询", "想了解一下办事流程"), ("", ""), ("Hello", "nothing in Chinese at all")],
)
def test_nothing_matched_is_other_with_score_zero(title, description):
    result = classify(title, description)
    assert (result.category, result.score, result.matched) == (Category.OTHER, 0, ())


def test_title_hits_count_double():
    # "工资" (labor, 3) in the title outweighs "离婚" (marriage, 3) in the description
    result = classify("工资", "离婚")
    assert result.category is Category.LABOR_WAGES
    assert result.score == TITLE_WEIGHT * CATEGORY_KEYWORDS[Category.LABOR_WAGES]["工资"]
    assert classify("离婚", "工资").category is Category.MARRIAGE_FAMILY


def test_ties_go_to_the_category_listed_first():
    # "离婚" (marriage_family, 3) and "邻居" (neighbor, 3): equal scores, marriage_family is listed first
    assert classify("", "离婚 邻居").category is Category.MARRIAGE_FAMILY
