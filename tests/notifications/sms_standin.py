"""Local stand-in servers that speak the SMS providers' HTTP APIs, started by the tests.

`NotifyStandIn` answers GOV.UK Notify's `POST /v2/notifications/sms` as Notify does: it checks
the client's JWT (HS256, issuer = service id, signed with the key's secret part, `iat` recent)
and the body, and answers 201 with Notify's response shape. `HttpStandIn` answers the generic
provider's JSON POST with a bearer token. Both record each accepted message.

A stand-in can be stopped and started again on the same port (the provider's configured URL
stays valid), which is how the tests take the provider "down". Ports come from the OS (port 0),
so parallel runs never collide.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
NOTIFY_API_KEY = f"commonpurse_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
HTTP_TOKEN = "standin-http-token"


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


class _StandIn:
    path = "/"

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.refused: list[int] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> _StandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, payload = stand_in.handle(self.path, dict(self.headers), raw)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _record(self, message: dict) -> None:
        with self._lock:
            self.messages.append(message)

    def handle(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict]:
        raise NotImplementedError


class NotifyStandIn(_StandIn):
    def _error(self, status: int, error: str, message: str) -> tuple[int, dict]:
        self.refused.append(status)
        return status, {"status_code": status, "errors": [{"error": error, "message": message}]}

    def handle(self, path, headers, raw):
        if path != "/v2/notifications/sms":
            return self._error(404, "NotFound", "Not found")
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return self._error(
                401, "AuthError", "Unauthorized: authentication token must be provided"
            )
        try:
            claims = jwt.decode(
                auth[7:], SECRET, algorithms=["HS256"], options={"verify_iat": True}
            )
        except jwt.PyJWTError:
            return self._error(403, "AuthError", "Invalid token: signature, api token not found")
        if claims.get("iss") != SERVICE_ID or abs(time.time() - int(claims.get("iat", 0))) > 30:
            return self._error(403, "AuthError", "Invalid token: iss or iat")
        data = json.loads(raw or b"{}")
        missing = [k for k in ("phone_number", "template_id") if not data.get(k)]
        if missing or data["template_id"] != TEMPLATE_ID:
            return self._error(400, "ValidationError", f"template_id or {missing} is wrong")
        body = (data.get("personalisation") or {}).get("body", "")
        self._record({"to": data["phone_number"], "body": body, "reference": data.get("reference")})
        notification_id = str(uuid.uuid4())
        return 201, {
            "id": notification_id,
            "reference": data.get("reference"),
            "content": {"body": body, "from_number": "CommonPurse"},
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {"id": TEMPLATE_ID, "version": 1, "uri": f"{self.url}/t/{TEMPLATE_ID}"},
        }


class HttpStandIn(_StandIn):
    path = "/sms"

    def handle(self, path, headers, raw):
        if path != self.path:
            self.refused.append(404)
            return 404, {"error": "not found"}
        if headers.get("Authorization") != f"Bearer {HTTP_TOKEN}":
            self.refused.append(401)
            return 401, {"error": "bad token"}
        data = json.loads(raw or b"{}")
        if not data.get("to") or not data.get("body"):
            self.refused.append(400)
            return 400, {"error": "to and body are required"}
        self._record({"to": data["to"], "body": data["body"], "reference": data.get("reference")})
        return 200, {"id": str(uuid.uuid4()), "status": "queued"}
