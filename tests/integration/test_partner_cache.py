"""A partner found by its key is kept for PARTNER_CACHE_SECONDS by each warm process (the signed
request's hot path reads no directory row then), and a change is seen within that time."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.dynamo_meter import metered
from chalicelib.adapters.directory_store import PARTNER_CACHE_SECONDS, DirectoryStore
from chalicelib.domain.directory import Partner
from tests.support import moto_stack

CREATED = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def stores():
    """Two warm processes' stores on one table, each on its own clock."""
    with moto_stack():
        clocks = [[1000.0], [1000.0]]
        first, second = (DirectoryStore(monotonic=lambda c=c: c[0]) for c in clocks)
        first.add_partner(Partner(partner_id="p-1", name="12345热线", key_id="KEY-1", created_at=CREATED))
        yield first, second, clocks[0]


def test_a_partner_is_read_once_then_kept(stores):
    first, _, _ = stores
    with metered() as meter:
        assert first.partner_by_key("KEY-1").enabled
        assert first.partner_by_key("KEY-1").enabled
    assert dict(meter.calls) == {"Query": 1}


def test_a_partner_disabled_elsewhere_is_refused_once_its_time_is_up(stores):
    first, second, clock = stores
    assert first.partner_by_key("KEY-1").enabled
    second.update_partner(second.partner_by_key("KEY-1"), {"enabled": False})
    clock[0] += PARTNER_CACHE_SECONDS - 0.1
    assert first.partner_by_key("KEY-1").enabled  # kept still
    clock[0] += 0.1
    assert not first.partner_by_key("KEY-1").enabled  # read again


def test_a_change_made_in_this_process_is_seen_at_once(stores):
    first, _, _ = stores
    first.update_partner(first.partner_by_key("KEY-1"), {"enabled": False})
    assert not first.partner_by_key("KEY-1").enabled


def test_an_unknown_key_is_not_kept(stores):
    first, second, _ = stores
    assert first.partner_by_key("KEY-2") is None
    second.add_partner(Partner(partner_id="p-2", name="110", key_id="KEY-2", created_at=CREATED))
    assert first.partner_by_key("KEY-2").partner_id == "p-2"
