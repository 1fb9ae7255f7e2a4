"""What must hold of the footprints whatever broke: no duplicate revision, no half-written footprint."""

from decimal import Decimal
from itertools import groupby

from django.db.models import Count, Sum

from accounting.models import Footprint

RELATIVE_TOLERANCE = Decimal("1e-9")


def assert_footprints_consistent(model_ids: list[int]) -> dict[int, list[int]]:
    """Each model: exactly one current footprint, the latest; revisions 1..n with no gap or repeat; no two
    revisions in a row with the same input fingerprint; the current one's contributions add up to its total.
    Returns the revision numbers of each model."""
    rows = (
        Footprint.objects.filter(vehicle_model_id__in=model_ids)
        .order_by("vehicle_model_id", "revision", "id")
        .values_list("vehicle_model_id", "revision", "is_current", "input_fingerprint")
    )
    revisions: dict[int, list[int]] = {}
    for model_id, group in groupby(rows, key=lambda row: row[0]):
        group = list(group)
        numbers = [row[1] for row in group]
        assert numbers == list(range(1, len(group) + 1)), f"model {model_id}: revisions {numbers}"
        current = [row[1] for row in group if row[2]]
        assert current == [len(group)], f"model {model_id}: current revisions {current} of {numbers}"
        fingerprints = [row[3] for row in group]
        repeats = [
            n
            for n, (a, b) in enumerate(zip(fingerprints[:-1], fingerprints[1:], strict=True), start=2)
            if a == b
        ]
        assert not repeats, f"model {model_id}: revisions {repeats} repeat the input fingerprint before them"
        revisions[model_id] = numbers
    assert sorted(revisions) == sorted(model_ids), "some models have no footprint at all"

    current = Footprint.objects.filter(vehicle_model_id__in=model_ids, is_current=True).annotate(
        contributions_total=Sum("contributions__kg_co2e"), contributions_count=Count("contributions")
    )
    for footprint in current:
        assert footprint.contributions_count > 0, f"footprint {footprint.pk} has no contributions"
        difference = abs(footprint.contributions_total - footprint.total_kg_co2e)
        assert difference <= RELATIVE_TOLERANCE * abs(footprint.total_kg_co2e), (
            f"footprint {footprint.pk} of model {footprint.vehicle_model_id}: contributions add up to "
            f"{footprint.contributions_total}, its total is {footprint.total_kg_co2e}"
        )
    return revisions
