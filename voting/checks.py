"""System checks of the voting app: the receipt key must not be the development fallback."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


def receipt_key_refusal() -> str | None:
    """Why the configured receipt key is unfit for production, or None."""
    if settings.DEBUG:
        return None
    key = getattr(settings, "RECEIPT_KEY", "")
    if not key or key == getattr(settings, "RECEIPT_KEY_DEVELOPMENT_DEFAULT", None):
        return (
            "COMMONPURSE_RECEIPT_KEY is not set: the development receipt key is public, and "
            "with it anyone could test receipt codes and identity keys. Set a long random value."
        )
    if len(key) < 32:
        return "COMMONPURSE_RECEIPT_KEY is too short: use at least 32 random characters."
    return None


@register(Tags.security, deploy=True)
def check_receipt_key(app_configs=None, **kwargs) -> list[Error]:
    """`manage.py check --deploy` fails with the development receipt key (like SECRET_KEY)."""
    reason = receipt_key_refusal()
    return [Error(reason, id="voting.E001")] if reason else []
