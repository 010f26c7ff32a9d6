"""The embedded default: texts are written to the log (like the console email backend)."""

from __future__ import annotations

import logging
import uuid

logger = logging.getLogger("commonpurse.sms")


class ConsoleProvider:
    name = "console"

    def send(self, *, to: str, body: str, reference: str) -> str:
        # WARNING so it shows with the default log level, as console emails do on a laptop.
        logger.warning("Text to %s (ref %s): %s", to, reference, body)
        return f"console-{uuid.uuid4()}"
