"""Shared fixtures: reference data and the base actors (two suppliers, two carmakers, an auditor, an outsider)."""

from dataclasses import dataclass

import pytest
from django.utils import translation

from accounting.demo_data import load_reference_data
from tests.factories import OrganisationFactory, UserFactory


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: ids are reused once a test's transaction rolls back, so a
    cached answer keyed by them could leak into the next test."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def english_by_default():
    """A request in Chinese leaves its language active in the thread; every test starts in English."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def materials(db):
    """The real material taxonomy and default factors from accounting/data, keyed by code."""
    return load_reference_data()


@dataclass
class Actors:
    supplier_a: object
    supplier_b: object
    carmaker_a: object
    carmaker_b: object
    auditor: object
    outsider: object


@pytest.fixture
def actors(db):
    """One user per organisation; `.organisation` of each is reachable through its membership."""
    orgs = {
        "supplier_a": OrganisationFactory(name="Supplier A", kind="supplier", province="HE"),
        "supplier_b": OrganisationFactory(name="Supplier B", kind="supplier", province="YN"),
        "carmaker_a": OrganisationFactory(name="Carmaker A", kind="carmaker"),
        "carmaker_b": OrganisationFactory(name="Carmaker B", kind="carmaker"),
        "auditor": OrganisationFactory(name="Auditor", kind="auditor"),
    }
    users = {role: UserFactory(username=role, organisation=org) for role, org in orgs.items()}
    users["outsider"] = UserFactory(username="outsider")
    return Actors(**users)
