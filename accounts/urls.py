"""Account pages of our own (allauth's are under /accounts/ too)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.api_tokens, name="api_tokens"),
    path("<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
