"""factory_boy factories for every model the tests build."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounting.models import BomLine, DefaultFactor, Material, VehicleModel
from carbon_platform.tenancy.models import Membership, Organisation
from carbon_platform.tenancy.validators import uscc_check_character
from disclosures.models import Declaration, Plant, Product


def _uscc(n: int) -> str:
    first_17 = f"91310000{n:09d}"
    return first_17 + uscc_check_character(first_17)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = "supplier"
    uscc = factory.Sequence(_uscc)
    province = "SH"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def organisation(self, create, extracted, **kwargs):
        if create and extracted is not None:
            Membership.objects.create(user=self, organisation=extracted, role=kwargs.get("role", "member"))
        if create:
            self.save()


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"steel.test_{n}")
    family = "steel"
    name_en = factory.LazyAttribute(lambda o: o.code)
    name_zh = factory.LazyAttribute(lambda o: o.code)


class DefaultFactorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DefaultFactor

    material = factory.SubFactory(MaterialFactory)
    route = ""
    province = ""
    basis = "conservative"
    kg_co2e_per_kg = Decimal("3.509")
    source = "test"
    year = 2026


class PlantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plant

    supplier = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Plant {n}")
    province = "HE"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    supplier = factory.SubFactory(OrganisationFactory)
    plant = None
    material = factory.SubFactory(MaterialFactory)
    route = "bf_bof"
    name = factory.Sequence(lambda n: f"Product {n}")


class DeclarationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Declaration

    product = factory.SubFactory(ProductFactory)
    registration_number = factory.Sequence(lambda n: f"EPD-TEST-{n:05d}")
    status = "draft"
    issue_date = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
    valid_until = factory.LazyFunction(lambda: date.today() + timedelta(days=365 * 4))
    declared_unit = "t"
    declared_amount = Decimal(1)
    gwp_a1_a3_kg_co2e = Decimal("2100")


class VehicleModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VehicleModel

    carmaker = factory.SubFactory(OrganisationFactory, kind="carmaker")
    brand = "Testbrand"
    model_name = factory.Sequence(lambda n: f"Model {n}")
    model_year = 2026
    segment = "B"
    body_type = "sedan"
    powertrain = "BEV"
    curb_mass_kg = Decimal("1800.0")
    external_id = factory.Sequence(lambda n: f"EXT-{n}")


class BomLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BomLine

    vehicle_model = factory.SubFactory(VehicleModelFactory)
    component = factory.Sequence(lambda n: f"Component {n}")
    system = "body_in_white"
    material = factory.SubFactory(MaterialFactory)
    mass_kg = Decimal("100")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "webhooks.Subscription"

    organisation = factory.SubFactory(OrganisationFactory, kind="carmaker")
    target_url = factory.Sequence(lambda n: f"https://hooks{n}.carmaker.example/carbon")
    event_types = factory.LazyFunction(
        lambda: ["footprint.changed", "declaration.approved", "declaration.expired"]
    )
    secret = factory.Sequence(lambda n: f"test-secret-{n}")


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "webhooks.Delivery"

    subscription = factory.SubFactory(SubscriptionFactory)
    event_type = "webhook.test"
    payload = factory.LazyFunction(lambda: {"type": "webhook.test", "data": {"message": "hello"}})
    next_attempt_at = factory.LazyFunction(timezone.now)


@dataclass
class AluminiumSupplyChain:
    """A supplier's aluminium extrusion in one vehicle model's BOM (120 kg), a submitted declaration of it
    (3,800 kg CO2e per t) and an auditor to decide it: what the real-worker and fault tests approve."""

    auditor: object
    vehicle: object
    declaration: object


def aluminium_supply_chain() -> AluminiumSupplyChain:
    from accounting.demo_data import load_reference_data

    extrusion = load_reference_data()["aluminium.extrusion"]
    product = ProductFactory(
        supplier=OrganisationFactory(kind="supplier"), material=extrusion, route="primary_hydro"
    )
    vehicle = VehicleModelFactory()
    BomLineFactory(vehicle_model=vehicle, material=extrusion, supplier_product=product, mass_kg="120")
    return AluminiumSupplyChain(
        auditor=UserFactory(organisation=OrganisationFactory(kind="auditor")),
        vehicle=vehicle,
        declaration=DeclarationFactory(product=product, status="submitted", gwp_a1_a3_kg_co2e="3800"),
    )
