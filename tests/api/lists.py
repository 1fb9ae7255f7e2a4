"""Every list endpoint of /api/v1/, found in the URLconf, and for each a way to fill it with n rows someone sees.

A new list endpoint is picked up by `api_list_routes()` and fails the tests until it has a row maker here."""

from datetime import timedelta
from decimal import Decimal

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounting.models import Contribution, Footprint, RollupChunk, RollupRun
from disclosures.models import Finding, ImportBatch, Review
from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    DefaultFactorFactory,
    DeliveryFactory,
    MaterialFactory,
    OrganisationFactory,
    PlantFactory,
    ProductFactory,
    SubscriptionFactory,
    VehicleModelFactory,
)

API_PREFIX = "api/v1/"


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def api_routes() -> list[tuple[str, URLPattern]]:
    """(route, pattern) of every URL under /api/v1/, the router's format-suffix twins left out."""
    return [
        (route, pattern)
        for route, pattern in _walk(get_resolver().url_patterns)
        if route.lstrip("^").startswith(API_PREFIX) and "(?P<format>" not in route
    ]


def api_list_routes() -> list[str]:
    """URL names of every list endpoint: a view whose GET is a viewset's `list`."""
    names = {
        pattern.name
        for _route, pattern in api_routes()
        if getattr(pattern.callback, "actions", {}).get("get") == "list"
    }
    return sorted(names)


def footprint(vehicle_model, *, revision=1, is_current=True, run=None, total="100", by_supplier=None):
    """A footprint revision written directly (no rollup): what the read endpoints need."""
    total = Decimal(total)
    return Footprint.objects.create(
        vehicle_model=vehicle_model,
        revision=revision,
        is_current=is_current,
        computed_at=timezone.now() - timedelta(minutes=100 - revision),
        run=run,
        total_kg_co2e=total,
        module_d_kg_co2e=Decimal("-12.5"),
        by_material={"steel.hot_rolled_coil": float(total)},
        by_module={"A1-A3": float(total), "D": -12.5},
        by_data_source={"1": float(total)},
        by_supplier=by_supplier or {"": float(total)},
        primary_data_share=Decimal("1"),
        mass_total_kg=Decimal("50"),
        mass_by_data_source={"1": 50.0},
        input_fingerprint=f"fp-{vehicle_model.pk}-{revision}",
    )


def contribution(fp, material, *, supplier=None, declaration=None, kg="10", level=1):
    return Contribution.objects.create(
        footprint=fp,
        material=material,
        supplier=supplier,
        data_source_level=level,
        declaration=declaration,
        mass_kg=Decimal("5"),
        kg_co2e_per_kg=Decimal("2"),
        kg_co2e=Decimal(kg),
    )


def _org(actor):
    return actor.membership.organisation


def _vehicle_models(actors, materials, n):
    for index in range(n):
        vehicle = VehicleModelFactory(carmaker=_org(actors.carmaker_a))
        footprint(vehicle, total=str(100 + index))
    return actors.carmaker_a, "/api/v1/vehicle-models/"


def _history(actors, materials, n):
    vehicle = VehicleModelFactory(carmaker=_org(actors.carmaker_a))
    coil = materials["steel.hot_rolled_coil"]
    for revision in range(1, n + 1):
        supplier = OrganisationFactory(kind="supplier")
        declaration = DeclarationFactory(
            product=ProductFactory(supplier=supplier, material=coil), status="approved"
        )
        run = RollupRun.objects.create(
            trigger="declaration_approved", trigger_object=f"declaration:{declaration.pk}"
        )
        fp = footprint(
            vehicle, revision=revision, is_current=revision == n, run=run, total=str(100 + revision)
        )
        contribution(fp, coil, supplier=supplier, declaration=declaration, kg=str(100 + revision))
    return actors.carmaker_a, f"/api/v1/vehicle-models/{vehicle.pk}/history/"


def _contributions(actors, materials, n):
    vehicle = VehicleModelFactory(carmaker=_org(actors.carmaker_a))
    fp = footprint(vehicle)
    coil = materials["steel.hot_rolled_coil"]
    for index in range(n):
        supplier = OrganisationFactory(kind="supplier")
        declaration = DeclarationFactory(
            product=ProductFactory(supplier=supplier, material=coil), status="approved"
        )
        contribution(fp, coil, supplier=supplier, declaration=declaration, kg=str(10 + index))
    return actors.carmaker_a, f"/api/v1/vehicle-models/{vehicle.pk}/contributions/"


def _bom(actors, materials, n):
    vehicle = VehicleModelFactory(carmaker=_org(actors.carmaker_a))
    coil = materials["steel.hot_rolled_coil"]
    for _index in range(n):
        product = ProductFactory(supplier=OrganisationFactory(kind="supplier"), material=coil)
        BomLineFactory(vehicle_model=vehicle, material=coil, supplier_product=product)
    return actors.carmaker_a, f"/api/v1/vehicle-models/{vehicle.pk}/bom/"


def _materials(actors, materials, n):
    MaterialFactory.create_batch(n)
    return actors.supplier_a, "/api/v1/materials/"


def _default_factors(actors, materials, n):
    DefaultFactorFactory.create_batch(n)
    return actors.carmaker_b, "/api/v1/default-factors/"


def _rollup_runs(actors, materials, n):
    for _index in range(n):
        run = RollupRun.objects.create(trigger="full", models_total=4)
        RollupChunk.objects.create(
            run=run, index=0, model_ids=[1, 2], models_total=2, models_done=2, status="succeeded"
        )
        RollupChunk.objects.create(run=run, index=1, model_ids=[3, 4], models_total=2)
    return actors.auditor, "/api/v1/rollup-runs/"


def _plants(actors, materials, n):
    PlantFactory.create_batch(n, supplier=_org(actors.supplier_a))
    return actors.supplier_a, "/api/v1/plants/"


def _products(actors, materials, n):
    supplier = _org(actors.supplier_a)
    for _index in range(n):
        ProductFactory(
            supplier=supplier,
            plant=PlantFactory(supplier=supplier),
            material=materials["steel.hot_rolled_coil"],
        )
    return actors.supplier_a, "/api/v1/products/"


def _declarations(actors, materials, n):
    supplier = _org(actors.supplier_a)
    for _index in range(n):
        product = ProductFactory(supplier=supplier, material=materials["steel.hot_rolled_coil"])
        declaration = DeclarationFactory(
            product=product, status="approved", submitted_at=timezone.now(), gwp_d_kg_co2e=Decimal("-150.5")
        )
        Finding.objects.create(
            declaration=declaration,
            code="document.missing",
            severity="info",
            message_en="No EPD",
            message_zh="无",
        )
        Review.objects.create(
            declaration=declaration,
            reviewer=actors.auditor,
            reviewer_organisation=_org(actors.auditor),
            decision="approve",
        )
    return actors.auditor, "/api/v1/declarations/"


def _imports(actors, materials, n):
    supplier = _org(actors.supplier_a)
    for index in range(n):
        ImportBatch.objects.create(
            organisation=supplier,
            uploaded_by=actors.supplier_a,
            source_format="csv",
            filename=f"epds-{index}.csv",
            status="validated",
            product=ProductFactory(supplier=supplier, material=materials["steel.hot_rolled_coil"]),
            records=[{"row": 2, "fields": {}, "errors": [], "findings": []}],
        )
    return actors.supplier_a, "/api/v1/imports/"


def _webhook_subscriptions(actors, materials, n):
    carmaker = _org(actors.carmaker_a)
    for index in range(n):
        subscription = SubscriptionFactory(
            organisation=carmaker, created_by=actors.carmaker_a, threshold_pct=Decimal(index)
        )
        DeliveryFactory(subscription=subscription, status="failed")
    SubscriptionFactory(organisation=_org(actors.carmaker_b))
    return actors.carmaker_a, "/api/v1/webhook-subscriptions/"


def _webhook_deliveries(actors, materials, n):
    subscription = SubscriptionFactory(organisation=_org(actors.carmaker_a))
    for index in range(n):
        failed = DeliveryFactory(
            subscription=subscription,
            status="failed",
            attempts=2,
            last_status_code=503,
            response_body_excerpt="=busy",
            error="HTTP 503",
            attempt_log=[
                {
                    "attempt": 1,
                    "at": "2026-03-02T10:15:01+08:00",
                    "status_code": None,
                    "error": "timeout",
                    "duration_ms": 10000,
                },
                {
                    "attempt": 2,
                    "at": "2026-03-02T10:15:11+08:00",
                    "status_code": 503,
                    "error": "HTTP 503",
                    "duration_ms": 40,
                },
            ],
        )
        if index % 2:
            DeliveryFactory(subscription=subscription, redelivery_of=failed, event_id=failed.event_id)
    return actors.carmaker_a, f"/api/v1/webhook-subscriptions/{subscription.pk}/deliveries/"


ROW_MAKERS = {
    "vehicle-model-list": _vehicle_models,
    "vehicle-model-history": _history,
    "vehicle-model-contributions": _contributions,
    "vehicle-model-bom": _bom,
    "material-list": _materials,
    "default-factor-list": _default_factors,
    "rollup-run-list": _rollup_runs,
    "plant-list": _plants,
    "product-list": _products,
    "declaration-list": _declarations,
    "import-batch-list": _imports,
    "webhook-subscription-list": _webhook_subscriptions,
    "webhook-delivery-list": _webhook_deliveries,
}
