"""Top-level URLs."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from home.views import home

from . import api, views

urlpatterns = [
    path("", home, name="home"),
    path("about/", views.about, name="about"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("accounts/preferences/", views.preferences, name="preferences"),
    path("accounts/", include("privacy.urls")),
    path("admin/", admin.site.urls),
    path("", include("notifications.urls")),
    path("neighbourhoods/", include("communities.urls")),
    path("proposals/", include("proposals.urls")),
    path("votes/", include("voting.urls")),
    path("funds/", include("funds.urls")),
    path("accounts/tokens/", include("accounts.urls")),
    path("api/v1/", include("config.api_urls")),
    path("funds/", include("funds.urls_exports")),
    path("prospects/", include("prospects.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api.api_docs, name="api-docs"),
]

handler404 = "config.api.not_found"
handler500 = "config.api.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
