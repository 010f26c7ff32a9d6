"""Demo data: idempotent, the demo people in their roles, a healthy partnership, TOTP codes."""

import io

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from communities import permissions as p
from communities.models import Neighbourhood
from communities.selectors import partnership_health

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_changes_nothing(settings):
    settings.DEBUG = True  # seed_demo refuses to run in production
    from django.contrib.auth import get_user_model

    call_command("seed_demo", stdout=io.StringIO())
    events = AuditEvent.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert AuditEvent.objects.count() == events
    User = get_user_model()
    first = Neighbourhood.objects.get(slug="hollin-bank")
    second = Neighbourhood.objects.get(slug="riverside-park")
    assert first.status == "active" and first.left_behind
    assert not second.left_behind
    assert partnership_health(first).healthy

    def user(email):
        return User.objects.get(email=email)

    assert p.is_resident(user("resident@example.org"), first)
    assert p.is_resident(user("trustee@example.org"), first)
    assert p.is_trustee(user("trustee@example.org"), first)
    assert p.can_use_powers(user("trustee@example.org"), first, "chair")
    assert p.is_trustee(user("trustee2@example.org"), first)
    assert p.can_use_powers(user("finance@example.org"), first, "finance_officer")
    assert p.can_use_powers(user("funder@example.org"), first, "funder_auditor")
    assert p.is_platform_admin(user("admin@example.org"))
    assert first.interests.filter(user__email="trustee@example.org").exists()


def test_demo_totp_prints_the_current_code(settings):
    settings.DEBUG = True  # seed_demo refuses to run in production
    from allauth.mfa.totp.internal.auth import validate_totp_code

    from communities.demo import DEMO_TOTP_SECRET

    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_totp", "trustee@example.org", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    assert validate_totp_code(DEMO_TOTP_SECRET, code)
    with pytest.raises(CommandError, match="Only demo accounts"):
        call_command("demo_totp", "someone@gmail.com")
    with pytest.raises(CommandError, match="no two-factor"):
        call_command("demo_totp", "resident@example.org")
