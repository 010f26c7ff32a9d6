"""/api/v1/: the apps' REST addresses, included by name (config imports no app module)."""

from django.urls import include, path, register_converter

from .api import ApiIdConverter

app_name = "api"

register_converter(ApiIdConverter, "api_id")

urlpatterns = [
    path("", include("communities.api_urls")),
    path("", include("proposals.api_urls")),
    path("", include("voting.api_urls")),
    path("", include("funds.api_urls")),
]
