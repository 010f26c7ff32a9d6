"""A task for the worker-killed test only (the worker loads it with `--include`).

It writes an audit event, says it has started (a file, outside the database), then waits while
the hold file exists: the test kills the worker during that wait, inside the task.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery import shared_task

from audit.services import audit_record

TASK_NAME = "tests.faults.slow_audited"


@shared_task(name=TASK_NAME, ignore_result=True)
def slow_audited_task(key: str, folder: str) -> None:
    here = Path(folder)
    audit_record(action="test.worker_killed", stream=f"test:{key}", changes={"key": key})
    (here / f"started-{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while (here / "hold").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
