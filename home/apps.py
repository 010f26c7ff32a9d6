"""The home page: above every other app, so config imports none of them (STYLE.md)."""

from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Home page"
