"""Module-scoped fixtures of a demo world with two partners (the 12345 hotline and a court):
a test module imports them to share one world among its tests."""

from __future__ import annotations

import pytest

from tests.integration.module_env import demo_env
from tests.support import Partner, Staff


@pytest.fixture(scope="module")
def env():
    with demo_env("demo-12345", "court-1") as env:
        yield env


@pytest.fixture(scope="module")
def partner(env) -> Partner:
    return env.partners["demo-12345"]


@pytest.fixture(scope="module")
def other_partner(env) -> Partner:
    return env.partners["court-1"]


@pytest.fixture(scope="module")
def admin(env) -> Staff:
    return env.admin
