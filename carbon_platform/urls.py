"""Root URLs: auth pages, browser pages of both apps, the REST API, the PACT host, admin and health check."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views

api_v1 = [
    path("", include("accounting.api.urls")),
    path("", include("disclosures.api.urls")),
    path("", include("webhooks.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("disclosures.urls")),
    path("", include("accounting.urls")),
    path("", include("webhooks.urls")),
    path("organisation/api-access/", include("carbon_platform.tenancy.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/schema/swagger/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-swagger"),
    path("api/schema/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("pact.urls")),
    path("admin/", admin.site.urls),
]
# Uploaded files (EPD PDFs, import files) are never served from MEDIA_URL: the document view checks
# who is asking.
