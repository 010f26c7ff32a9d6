"""/api/v1/ addresses of the communities app."""

from django.urls import path

from . import api

urlpatterns = [
    path("neighbourhoods/", api.NeighbourhoodList.as_view(), name="neighbourhoods"),
    path("neighbourhoods/<slug:slug>/", api.NeighbourhoodDetail.as_view(), name="neighbourhood"),
    path("neighbourhoods/<slug:slug>/join/", api.NeighbourhoodJoin.as_view(), name="join"),
]
