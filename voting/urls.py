"""URLs of the voting app."""

from django.urls import path  # noqa: F401

app_name = "voting"

urlpatterns: list = []
