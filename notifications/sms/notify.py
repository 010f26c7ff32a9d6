"""GOV.UK Notify through its own Python client (`POST /v2/notifications/sms`).

The service has one text template whose content is `((body))`: the message is written here,
so every notice reads the same on every provider.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from requests import RequestException

from . import SmsError


class NotifyProvider:
    name = "notify"

    def __init__(self, *, api_key: str, template_id: str, base_url: str, timeout: float):
        if not api_key or not template_id:
            raise ImproperlyConfigured(
                "COMMONPURSE_SMS_PROVIDER=notify needs NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID."
            )
        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=timeout)
        self.template_id = template_id

    def send(self, *, to: str, body: str, reference: str) -> str:
        try:
            response = self.client.send_sms_notification(
                phone_number=to,
                template_id=self.template_id,
                personalisation={"body": body},
                reference=reference,
            )
        except (APIError, RequestException) as exc:  # the client wraps connection errors too
            raise SmsError(f"GOV.UK Notify did not take the text: {exc}") from exc
        return str(response.get("id", "")) if isinstance(response, dict) else ""
