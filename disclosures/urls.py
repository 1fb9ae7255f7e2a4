"""Browser routes of the supplier and auditor pages."""

from django.urls import path

from . import views

app_name = "disclosures"
urlpatterns = [
    path("supplier/", views.supplier_dashboard, name="dashboard"),
    path("declarations/", views.declaration_list, name="declaration-list"),
    path("declarations/new/", views.declaration_create, name="declaration-create"),
    path("declarations/<int:pk>/", views.declaration_detail, name="declaration-detail"),
    path("declarations/<int:pk>/edit/", views.declaration_edit, name="declaration-edit"),
    path("declarations/<int:pk>/submit/", views.declaration_submit, name="declaration-submit"),
    path("declarations/<int:pk>/new-version/", views.declaration_new_version, name="declaration-new-version"),
    path("declarations/<int:pk>/withdraw/", views.declaration_withdraw, name="declaration-withdraw"),
    path("declarations/<int:pk>/document/", views.declaration_document, name="declaration-document"),
    path("declarations/<int:pk>/decide/", views.declaration_decide, name="declaration-decide"),
    path("reviews/", views.review_queue, name="review-queue"),
    path("plants/new/", views.plant_create, name="plant-create"),
    path("plants/<int:pk>/edit/", views.plant_edit, name="plant-edit"),
    path("products/new/", views.product_create, name="product-create"),
    path("products/<int:pk>/edit/", views.product_edit, name="product-edit"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/template.<str:fmt>", views.import_template, name="import-template"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import-progress"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import-commit"),
]
