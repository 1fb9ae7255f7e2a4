"""Filters shared by the FilterSets of every app."""

from datetime import UTC

import django_filters
from django import forms
from django.utils.translation import gettext as _

# The range of a 64-bit signed integer: ids (BigAutoField), and what SQLite and PostgreSQL can compare with.
BIGINT_MAX = 2**63 - 1


class IntegerFilter(django_filters.NumberFilter):
    """A whole number within bounds (an id by default): `?supplier=1e130` or `?model_year=2.5` is a 400 that
    names the parameter, not a query the database cannot run (django-filter's NumberFilter takes any decimal)."""

    field_class = forms.IntegerField

    def __init__(self, *args, min_value: int = 0, max_value: int = BIGINT_MAX, **kwargs):
        kwargs.setdefault("min_value", min_value)
        kwargs.setdefault("max_value", max_value)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None  # the field's own max_value


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, handed to the database in UTC. Python allows UTC offsets up to ±23:59 and
    PostgreSQL only ±15:59, so `2026-01-01T00:00:00+18:24` would reach the database as an error (a 500); in
    UTC it is an ordinary instant, and one that UTC cannot hold (year 1 minus an offset) is a 400."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(
                _("Enter a date and time between the years 1 and 9999 in UTC.")
            ) from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField
