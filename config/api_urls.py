"""/api/v1/: the apps' REST addresses, included by name (config imports no app module)."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("communities.api_urls")),
    path("", include("proposals.api_urls")),
    path("", include("voting.api_urls")),
]
