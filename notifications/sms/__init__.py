"""Text message providers behind one small interface, chosen by COMMONPURSE_SMS_PROVIDER.

A provider has one method, `send(to, body, reference) -> str` (the provider's id for the
message), and raises `SmsError` when the message was not accepted: the outbox row that asked
for the text then fails and is retried later (outbox.services), so a provider that is down
never blocks a page and nothing is lost. Choices are never sent or received by text.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SmsError(Exception):
    """The provider did not accept the message (down, refused, timed out): try again later."""


class SmsProvider(Protocol):
    name: str

    def send(self, *, to: str, body: str, reference: str) -> str: ...


def sms_provider() -> SmsProvider:
    """The provider the environment names (read per call, so settings overrides apply)."""
    name = settings.SMS_PROVIDER
    if name == "console":
        from .console import ConsoleProvider

        return ConsoleProvider()
    if name == "notify":
        from .notify import NotifyProvider

        return NotifyProvider(
            api_key=settings.NOTIFY_API_KEY,
            template_id=settings.NOTIFY_TEMPLATE_ID,
            base_url=settings.NOTIFY_BASE_URL,
            timeout=settings.SMS_TIMEOUT_SECONDS,
        )
    if name == "http":
        from .http import HttpProvider

        return HttpProvider(
            url=settings.SMS_HTTP_URL,
            token=settings.SMS_HTTP_TOKEN,
            timeout=settings.SMS_TIMEOUT_SECONDS,
        )
    raise ImproperlyConfigured(
        f"COMMONPURSE_SMS_PROVIDER is “{name}”: choose console, notify or http."
    )
