"""A generic HTTP SMS gateway: JSON `{"to", "body", "reference"}` POSTed to SMS_HTTP_URL with
`Authorization: Bearer SMS_HTTP_TOKEN`; any 2xx answer is accepted (its JSON `id`, if any, kept).
"""

from __future__ import annotations

import requests
from django.core.exceptions import ImproperlyConfigured

from . import SmsError


class HttpProvider:
    name = "http"

    def __init__(self, *, url: str, token: str, timeout: float):
        if not url or not token:
            raise ImproperlyConfigured(
                "COMMONPURSE_SMS_PROVIDER=http needs SMS_HTTP_URL and SMS_HTTP_TOKEN."
            )
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, *, to: str, body: str, reference: str) -> str:
        try:
            response = requests.post(
                self.url,
                json={"to": to, "body": body, "reference": reference},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
            response.raise_for_status()
        except requests.RequestException as exc:
            raise SmsError(f"The SMS gateway did not take the text: {exc}") from exc
        try:
            data = response.json()
        except ValueError:
            return ""
        return str(data.get("id", "")) if isinstance(data, dict) else ""
