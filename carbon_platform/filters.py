"""Filters shared by the FilterSets of every app."""

import django_filters
from django import forms

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
