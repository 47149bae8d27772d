"""Whether a mediator is active is kept for MEDIATOR_STATUS_SECONDS by each warm process (a
mediator's request reads at most one GetItem per period), and a deactivation is seen within
that time: by the process that made it at once."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.dynamo_meter import metered
from chalicelib.adapters.directory_store import MEDIATOR_STATUS_SECONDS, DirectoryStore
from chalicelib.domain.directory import Mediator
from tests.support import moto_stack

CREATED = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def stores():
    """Two warm processes' stores on one table, each on its own clock."""
    with moto_stack():
        clocks = [[1000.0], [1000.0]]
        first, second = (DirectoryStore(monotonic=lambda c=c: c[0]) for c in clocks)
        first.add_mediator(Mediator(mediator_id="M-1", name="王调解", phone="13812345678", org_id="V-CN",
                                    created_at=CREATED))
        yield first, second, clocks[0]


def test_a_mediators_status_is_read_once_a_period_then_kept(stores):
    first, _, clock = stores
    with metered() as meter:
        for _ in range(50):
            assert first.mediator_is_active("M-1")
    assert dict(meter.calls) == {"GetItem": 1}
    clock[0] += MEDIATOR_STATUS_SECONDS
    with metered() as meter:
        assert first.mediator_is_active("M-1")
        assert first.mediator_is_active("M-1")
    assert dict(meter.calls) == {"GetItem": 1}


def test_a_mediator_deactivated_elsewhere_is_refused_once_its_time_is_up(stores):
    first, second, clock = stores
    assert first.mediator_is_active("M-1")
    second.update_mediator(second.mediator("M-1"), {"active": False})
    clock[0] += MEDIATOR_STATUS_SECONDS - 0.1
    assert first.mediator_is_active("M-1")  # kept still
    clock[0] += 0.1
    assert not first.mediator_is_active("M-1")  # read again


def test_a_deactivation_made_in_this_process_is_seen_at_once(stores):
    first, _, _ = stores
    assert first.mediator_is_active("M-1")
    first.update_mediator(first.mediator("M-1"), {"active": False})
    with metered() as meter:
        assert not first.mediator_is_active("M-1")
    assert dict(meter.calls) == {}


def test_an_unknown_mediator_is_not_active(stores):
    first, _, _ = stores
    assert not first.mediator_is_active("M-NONE")
