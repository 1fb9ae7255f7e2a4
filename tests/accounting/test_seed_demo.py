"""seed_demo: deterministic, safe to run twice, shaped like the reference data, and rolled up."""

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounting.models import BomLine, DefaultFactor, Footprint, VehicleModel
from carbon_platform.tenancy.models import Organisation
from carbon_platform.tenancy.services import audit_chain_verify
from disclosures.choices import DeclarationStatus
from disclosures.models import Declaration

MODELS = 60


@pytest.fixture
def seeded(db, capsys):
    call_command("seed_demo", models=MODELS, seed=7)
    return capsys.readouterr().out


def test_seed_creates_the_demo_and_its_first_rollup(seeded):
    assert f"Seeded {MODELS} vehicle models" in seeded
    assert "First full rollup" in seeded
    assert VehicleModel.objects.count() == MODELS
    assert Footprint.objects.filter(is_current=True).count() == MODELS
    assert Organisation.objects.filter(kind="supplier").count() >= 40
    assert Declaration.objects.count() >= 300
    assert set(Declaration.objects.values_list("status", flat=True)) == set(DeclarationStatus.values)
    assert audit_chain_verify().intact


def test_second_run_changes_nothing(seeded, capsys):
    before = (VehicleModel.objects.count(), BomLine.objects.count(), Declaration.objects.count())
    call_command("seed_demo", models=MODELS, seed=7)
    assert "already present" in capsys.readouterr().out
    assert (VehicleModel.objects.count(), BomLine.objects.count(), Declaration.objects.count()) == before


def test_boms_follow_the_reference_masses(seeded):
    for model in VehicleModel.objects.annotate(lines=Count("bom_lines")):
        assert 80 <= model.lines <= 200
    kg = Counter()
    for line in BomLine.objects.select_related("vehicle_model", "material"):
        kg[(line.vehicle_model, line.material.family)] += float(line.mass_kg * (line.share or Decimal(1)))
    aluminium_range = {
        "BEV": (300, 400),
        "PHEV": (220, 300),
        "HEV": (190, 240),
        "ICE": (180, 220),
        "FCEV": (260, 340),
    }
    steel = []
    for model in VehicleModel.objects.all():
        low, high = aluminium_range[model.powertrain]
        assert low - 0.01 <= kg[(model, "aluminium")] <= high + 0.01
        curb = float(model.curb_mass_kg)
        assert 0.38 * curb - 0.01 <= kg[(model, "steel")] <= 0.60 * curb + 0.01
        # The BOM's mass adds up to the curb mass.
        assert kg[(model, "steel")] + kg[(model, "aluminium")] + kg[(model, "other")] == pytest.approx(
            curb, rel=1e-3
        )
        steel.append(kg[(model, "steel")])
    assert 650 <= sum(steel) / len(steel) <= 1100  # about 900 kg per passenger car (worldsteel)
    assert set(VehicleModel.objects.values_list("powertrain", flat=True)) >= {"BEV", "PHEV", "ICE"}


def test_approved_declarations_are_inside_the_reference_ranges(seeded):
    from accounting.demo_data import _a1_a3_range
    from disclosures.selectors import kg_co2e_per_kg_a1_a3

    for declaration in Declaration.objects.select_related("product__material"):
        low, high = _a1_a3_range(declaration.product.material.code, declaration.product.route)
        assert low <= float(kg_co2e_per_kg_a1_a3(declaration)) <= high


def test_every_default_factor_names_its_source(seeded):
    assert DefaultFactor.objects.filter(source="").count() == 0
    assert DefaultFactor.objects.get(
        material__code="steel.hot_rolled_coil", basis="conservative"
    ).kg_co2e_per_kg == (Decimal("3.509"))


def test_same_seed_gives_the_same_data(seeded, django_db_blocker):
    totals = sorted(Footprint.objects.values_list("vehicle_model__external_id", "total_kg_co2e"))
    for model in (Footprint, BomLine, VehicleModel):
        model.objects.all().delete()
    Declaration.objects.all().update(supersedes=None)
    from django.contrib.auth import get_user_model

    from carbon_platform.tenancy.models import AuditEvent, Membership
    from disclosures.models import Plant, Product

    AuditEvent.objects.all()._raw_delete(AuditEvent.objects.db)
    Declaration.objects.all().delete()
    Product.objects.all().delete()
    Plant.objects.all().delete()
    Membership.objects.all().delete()
    get_user_model().objects.all().delete()
    Organisation.objects.all().delete()
    call_command("seed_demo", models=MODELS, seed=7)
    assert sorted(Footprint.objects.values_list("vehicle_model__external_id", "total_kg_co2e")) == totals


def test_demo_supplier_has_an_undeclared_product_that_the_demo_carmaker_buys(seeded):
    """What a new user tries first: the demo supplier declares it, and the demo carmaker's models move."""
    from django.contrib.auth import get_user_model

    from carbon_platform.tenancy.selectors import organisation_of

    users = get_user_model().objects
    supplier = organisation_of(users.get(username="supplier"))
    carmaker = organisation_of(users.get(username="carmaker"))
    undeclared = [p for p in supplier.products.all() if not p.declarations.exists()]
    assert len(undeclared) == 1
    without_approval = supplier.products.exclude(declarations__status="approved")
    assert list(without_approval) == undeclared  # the one product a new user will pick
    buying = BomLine.objects.filter(supplier_product=undeclared[0], vehicle_model__carmaker=carmaker)
    assert buying.exists()
    assert Declaration.objects.filter(product__supplier=supplier, status="approved").exists()
