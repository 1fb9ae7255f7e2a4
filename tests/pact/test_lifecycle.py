"""The ProductFootprint lifecycle (PACT 2.3 "Product Footprint Lifecycle"): a recompute that changes a
footprint is a major change: a new PF with a new id lists the old one in `precedingPfIds`, and the old PF
gets a new version (+1, `updated` set) with status Deprecated. A recompute that changes nothing is no change.
Supplier declarations follow the same rules when a new version supersedes one, and on expiry or withdrawal."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from accounting.models import Footprint
from disclosures import services as disclosure_services
from disclosures.models import Declaration
from pact.serializers import pact_datetime
from tests.factories import BomLineFactory

from .conftest import recompute
from .spec import assert_product_footprint


def pf_of(client, urn_suffix: str) -> dict:
    (pf,) = [
        pf for pf in client.get("/2/footprints").json()["data"] if pf["productIds"][0].endswith(urn_suffix)
    ]
    return pf


def test_a_recompute_that_changes_the_footprint_makes_a_new_pf_and_deprecates_the_old(
    world, carmaker_a, materials
):
    client = carmaker_a.client()
    old = pf_of(client, f"vehicle-model-{world.vehicle_a.pk}")
    assert (old["version"], old["status"]) == (1, "Active")
    assert "updated" not in old and "precedingPfIds" not in old

    BomLineFactory(
        vehicle_model=world.vehicle_a, material=materials["steel.cold_rolled_coil"], mass_kg=Decimal("10")
    )
    recompute(world.vehicle_a)

    new = pf_of(client, f"vehicle-model-{world.vehicle_a.pk}")
    assert new["id"] != old["id"]
    assert new["precedingPfIds"] == [old["id"]]
    assert (new["version"], new["status"]) == (1, "Active")
    assert "updated" not in new
    assert new["pcf"]["pCfExcludingBiogenic"] != old["pcf"]["pCfExcludingBiogenic"]

    deprecated = client.get(f"/2/footprints/{old['id']}").json()["data"]
    assert (deprecated["version"], deprecated["status"]) == (2, "Deprecated")
    assert deprecated["updated"] == new["created"]  # deprecated when the new revision was computed
    assert deprecated["created"] == old["created"]
    assert new["id"] in deprecated["statusComment"]
    assert deprecated["pcf"] == old["pcf"]  # a deprecated PF keeps its values
    assert_product_footprint(deprecated)
    assert_product_footprint(new)


def test_a_recompute_that_changes_nothing_keeps_the_pf(world, carmaker_a):
    client = carmaker_a.client()
    before = pf_of(client, f"vehicle-model-{world.vehicle_a.pk}")
    recompute(world.vehicle_a)
    assert Footprint.objects.filter(vehicle_model=world.vehicle_a).count() == 1
    assert pf_of(client, f"vehicle-model-{world.vehicle_a.pk}") == before


def test_a_chain_of_revisions_links_each_to_the_one_before(world, carmaker_a, materials):
    client = carmaker_a.client()
    seen = [pf_of(client, f"vehicle-model-{world.vehicle_a.pk}")["id"]]
    for mass in ("10", "20"):
        BomLineFactory(
            vehicle_model=world.vehicle_a, material=materials["steel.cold_rolled_coil"], mass_kg=Decimal(mass)
        )
        recompute(world.vehicle_a)
        current = pf_of(client, f"vehicle-model-{world.vehicle_a.pk}")
        assert current["precedingPfIds"] == [seen[-1]]
        seen.append(current["id"])
    middle = client.get(f"/2/footprints/{seen[1]}").json()["data"]
    assert (middle["status"], middle["precedingPfIds"]) == ("Deprecated", [seen[0]])


def test_a_new_epd_version_supersedes_the_old_pf(
    world, actors, carmaker_a, django_capture_on_commit_callbacks
):
    client = carmaker_a.client()
    old = pf_of(client, f"product-{world.product.pk}")
    draft = disclosure_services.declaration_new_version(
        actor=actors.supplier_a, declaration=world.declaration
    )
    disclosure_services.declaration_update(
        actor=actors.supplier_a, declaration=draft, data={"gwp_a1_a3_kg_co2e": Decimal("1900")}
    )
    disclosure_services.declaration_submit(actor=actors.supplier_a, declaration=draft)
    with django_capture_on_commit_callbacks(execute=True):  # the approval recomputes vehicle A
        disclosure_services.declaration_decide(actor=actors.auditor, declaration=draft, decision="approve")

    new = pf_of(client, f"product-{world.product.pk}")
    assert new["id"] != old["id"]
    assert new["precedingPfIds"] == [old["id"]]
    assert new["pcf"]["pCfExcludingBiogenic"] == "1.9"
    superseded = client.get(f"/2/footprints/{old['id']}").json()["data"]
    assert (superseded["status"], superseded["version"]) == ("Deprecated", 2)
    assert new["id"] in superseded["statusComment"]
    assert_product_footprint(superseded)
    # The vehicle that uses the product got a new revision too: 400 kg x 1.9 + 2,000 = 2,760 kg CO2e.
    vehicle = pf_of(client, f"vehicle-model-{world.vehicle_a.pk}")
    assert vehicle["pcf"]["pCfExcludingBiogenic"] == "1.533333"
    assert len(vehicle["precedingPfIds"]) == 1


def test_a_withdrawn_or_expired_declaration_is_deprecated(world, actors, carmaker_a):
    client = carmaker_a.client()
    active = pf_of(client, f"product-{world.product.pk}")
    disclosure_services.declaration_withdraw(
        actor=actors.supplier_a, declaration=world.declaration, reason="Plant closed"
    )
    withdrawn = client.get(f"/2/footprints/{active['id']}").json()["data"]
    assert (withdrawn["status"], withdrawn["version"]) == ("Deprecated", 2)
    assert withdrawn["statusComment"] == "Withdrawn by the supplier."
    declaration = Declaration.objects.get(pk=world.declaration.pk)
    assert withdrawn["updated"] == pact_datetime(declaration.updated_at)

    Declaration.objects.filter(pk=declaration.pk).update(status="approved")
    disclosure_services.declarations_expire(
        today=declaration.valid_until.replace(year=declaration.valid_until.year + 1)
    )
    expired = client.get(f"/2/footprints/{active['id']}").json()["data"]
    assert expired["status"] == "Deprecated"
    assert "expired" in expired["statusComment"]
    assert date.fromisoformat(expired["updated"][:10]) == timezone.now().date()
