"""Admin for the supplier side; declarations read-only in their workflow fields."""

from django.contrib import admin

from .models import Declaration, Finding, ImportBatch, Plant, Product, Review


@admin.register(Plant)
class PlantAdmin(admin.ModelAdmin):
    list_display = ["name", "supplier", "province", "city"]
    list_filter = ["province"]
    search_fields = ["name", "name_zh", "supplier__name"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "supplier", "material", "route", "grade", "declared_unit"]
    list_filter = ["route", "material"]
    search_fields = ["name", "grade", "supplier__name"]


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    can_delete = False
    readonly_fields = ["reviewer", "reviewer_organisation", "decision", "comment", "created_at"]


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    readonly_fields = ["code", "severity", "field", "message_en", "message_zh"]


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    list_display = ["registration_number", "version", "product", "status", "issue_date", "valid_until"]
    list_filter = ["status", "standard", "declared_unit", "product__material"]
    search_fields = ["registration_number", "product__name", "product__supplier__name"]
    readonly_fields = ["status", "submitted_at", "decided_at", "created_by", "created_at", "updated_at"]
    raw_id_fields = ["product", "plant", "supersedes"]
    inlines = [FindingInline, ReviewInline]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["declaration", "decision", "reviewer", "created_at"]
    list_filter = ["decision"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "filename",
        "organisation",
        "source_format",
        "status",
        "rows_total",
        "rows_invalid",
        "created_at",
    ]
    list_filter = ["status", "source_format"]
