"""Top-level URLs."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from . import views
from .middleware import content_security_policy

# The API docs are a developer page: Redoc comes from its CDN and styles itself inline. Still
# no inline script (RULINGS: later served from the site, with a nonce for its start-up).
API_DOCS_CSP = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://cdn.jsdelivr.net; "
    "worker-src blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("accounts/preferences/", views.preferences, name="preferences"),
    path("admin/", admin.site.urls),
    path("neighbourhoods/", include("communities.urls")),
    path("proposals/", include("proposals.urls")),
    path("votes/", include("voting.urls")),
    path("funds/", include("funds.urls")),
    path("prospects/", include("prospects.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        content_security_policy(API_DOCS_CSP)(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
