"""Prospects: is it working? Indicators against matched areas, a member survey, spend by theme."""

from django.apps import AppConfig


class ProspectsConfig(AppConfig):
    name = "prospects"
    verbose_name = "Prospects (is it working?)"
