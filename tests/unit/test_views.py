"""The directory's JSON views (§4): the fields, values and nulls the API has always given."""

from __future__ import annotations

import datetime as dt
import json

from chalicelib.api.views import mediator_view, org_view, partner_view, region_view
from chalicelib.domain.directory import Mediator, Org, Partner, Region
from chalicelib.domain.enums import Category, MediationType, Tier

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
CREATED = dt.datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=SHANGHAI)
SHOWN_CREATED = "2026-11-23T01:00:00.123456+00:00"


def test_a_region_view():
    region = Region(code="320509", name="吴江区", created_at=CREATED)
    assert region_view(region) == {"code": "320509", "name": "吴江区", "parent_code": None,
                                   "created_at": SHOWN_CREATED}


def test_an_org_view_has_plain_values_and_no_index_key():
    org = Org(org_id="T-TL", name="同里镇人民调解委员会", region_code="320509103", tier=Tier.TOWN,
              mediation_type=MediationType.PEOPLE, categories=(Category.MARRIAGE_FAMILY, Category.NEIGHBOR),
              created_at=CREATED)
    view = org_view(org)
    assert view == {"org_id": "T-TL", "name": "同里镇人民调解委员会", "region_code": "320509103", "tier": "town",
                    "mediation_type": "people", "categories": ["marriage_family", "neighbor"], "head_phone": None,
                    "created_at": SHOWN_CREATED}
    assert all(type(value) in (str, list, type(None)) for value in view.values())


def test_a_mediator_view_before_and_after_a_change():
    mediator = Mediator(mediator_id="M-CN-9", name="孙调解", phone="13900000209", org_id="V-CN", created_at=CREATED)
    assert mediator_view(mediator) == {
        "mediator_id": "M-CN-9", "name": "孙调解", "phone": "13900000209", "org_id": "V-CN", "specialties": [],
        "active": True, "open_cases": 0, "created_at": SHOWN_CREATED, "updated_at": None}
    changed = Mediator(mediator_id="M-CN-9", name="孙调解", phone="13900000209", org_id="V-CN",
                       specialties=(Category.MEDICAL,), active=False, open_cases=2, created_at=CREATED,
                       updated_at=CREATED + dt.timedelta(hours=1))
    assert {k: v for k, v in mediator_view(changed).items() if k in ("specialties", "active", "open_cases",
                                                                       "updated_at")} == {
        "specialties": ["medical"], "active": False, "open_cases": 2, "updated_at": "2026-11-23T02:00:00.123456+00:00"}


def test_a_partner_view():
    partner = Partner(partner_id="grid-1", name="网格系统", key_id="hk_1", created_at=CREATED)
    assert partner_view(partner) == {"partner_id": "grid-1", "name": "网格系统", "callback_url": None,
                                     "key_id": "hk_1", "enabled": True, "created_at": SHOWN_CREATED}


def test_views_list_their_fields_alphabetically_as_the_api_always_has():
    region = Region(code="320509", name="吴江区", created_at=CREATED)
    assert list(region_view(region)) == ["code", "created_at", "name", "parent_code"]
    assert json.dumps(region_view(region), ensure_ascii=False) == (
        '{"code": "320509", "created_at": "2026-11-23T01:00:00.123456+00:00", "name": "吴江区", "parent_code": null}')
