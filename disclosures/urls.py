"""Browser routes of the supplier and auditor pages."""

from django.urls import path

from . import views

app_name = "disclosures"
urlpatterns = [
    path("declarations/", views.declaration_list, name="declaration-list"),
    path("declarations/new/", views.declaration_create, name="declaration-create"),
    path("declarations/<int:pk>/", views.declaration_detail, name="declaration-detail"),
    path("declarations/<int:pk>/submit/", views.declaration_submit, name="declaration-submit"),
    path("declarations/<int:pk>/decide/", views.declaration_decide, name="declaration-decide"),
    path("reviews/", views.review_queue, name="review-queue"),
]
