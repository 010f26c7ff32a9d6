"""The demo logins named in README; every one has the same password."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

DEMO_PASSWORD = "demo-pass-2026"

DEMO_USERS = [
    # email, display name, platform admin
    ("resident@example.org", "Rita Resident", False),
    ("trustee@example.org", "Tariq Trustee", False),
    ("finance@example.org", "Fiona Finance", False),
    ("funder@example.org", "Femi Funder", False),
    ("admin@example.org", "Ada Admin", True),
]


def demo_user(email: str, name: str, *, platform_admin: bool = False):
    """Get or create a demo user with a verified email address and the demo password."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "display_name": name,
            "is_platform_admin": platform_admin,
            "is_staff": platform_admin,
            "is_superuser": platform_admin,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_users() -> dict[str, object]:
    return {
        email: demo_user(email, name, platform_admin=admin) for email, name, admin in DEMO_USERS
    }
