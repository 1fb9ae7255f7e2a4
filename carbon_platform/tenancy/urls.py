"""Browser routes of the API access pages, under /organisation/api-access/."""

from django.urls import path

from . import views

app_name = "tenancy"
urlpatterns = [
    path("", views.api_access, name="api-access"),
    path("clients/new/", views.api_client_create, name="api-client-create"),
    path("clients/<int:pk>/revoke/", views.api_client_revoke, name="api-client-revoke"),
    path("tokens/<int:user_id>/revoke/", views.member_token_revoke, name="member-token-revoke"),
    path("my-token/", views.personal_token, name="personal-token"),
    path("my-token/new/", views.personal_token_create, name="personal-token-create"),
    path("my-token/revoke/", views.personal_token_revoke, name="personal-token-revoke"),
]
