"""django.contrib.admin with SecureAdminSite as its default site (see admin_site.py)."""

from django.contrib.admin.apps import AdminConfig


class SecureAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.SecureAdminSite"
