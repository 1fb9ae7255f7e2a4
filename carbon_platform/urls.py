"""Root URLs: auth pages, browser pages of both apps, the REST API, the PACT host, admin and health check."""

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import security, views

# Swagger UI (its init script served as a file by the split view) and ReDoc come from our static files, but
# both inject <style> elements, and ReDoc runs its search in a blob: worker: only these two pages allow that.
docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

api_v1 = [
    path("", include("accounting.api.urls")),
    path("", include("disclosures.api.urls")),
    path("", include("webhooks.api.urls")),
]

urlpatterns = [
    # First: the API's reads are the most frequent requests, and Django tries patterns in order.
    path("api/v1/", include(api_v1)),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password_reset/", security.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("disclosures.urls")),
    path("", include("accounting.urls")),
    path("", include("webhooks.urls")),
    path("organisation/api-access/", include("carbon_platform.tenancy.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/schema/swagger/",
        docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-swagger",
    ),
    path(
        "api/schema/redoc/", docs_csp(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"
    ),
    path("", include("pact.urls")),
    path("admin/", admin.site.urls),
]
# Uploaded files (EPD PDFs, import files) are never served from MEDIA_URL: the document view checks
# who is asking.
