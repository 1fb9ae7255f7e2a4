"""DRF serializers that build their fields once per class instead of once per instance.

A DRF serializer deep-copies (and for a ModelSerializer, re-derives from the model) every field each time it
is instantiated; on the API's hottest reads (a footprint, a page of 50 vehicle models) that costs more than
the database. `FastRepresentation` binds the fields once, on a prototype instance, and renders with them:
the same `get_attribute` / `to_representation` calls in the same order as DRF's `Serializer.to_representation`,
so the output is identical (tests/api/test_fast_serializers.py compares the two). SerializerMethodFields are
called on the real instance, so they see its context.

Only for flat, read-only serializers: nested serializers would read the prototype's context, so a class with
one is refused when its fields are first built.
"""

from collections import OrderedDict

from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject


class FastRepresentation:
    _fast_fields: list | None = None

    @classmethod
    def _bound_fields(cls) -> list:
        if cls.__dict__.get("_fast_fields") is None:
            prototype = cls()
            fields = []
            for field in prototype._readable_fields:
                if isinstance(field, serializers.BaseSerializer):
                    raise TypeError(f"{cls.__name__}.{field.field_name}: FastRepresentation takes no nesting")
                method = field.method_name if isinstance(field, serializers.SerializerMethodField) else None
                fields.append((field, method))
            cls._fast_fields = fields
        return cls._fast_fields

    def to_representation(self, instance):
        representation = OrderedDict()
        for field, method in self._bound_fields():
            if method is not None:
                representation[field.field_name] = getattr(self, method)(instance)
                continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            representation[field.field_name] = (
                None if check_for_none is None else field.to_representation(attribute)
            )
        return representation
