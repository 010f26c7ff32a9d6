"""Background exports: started from the workspace, queued through the outbox, run once by a
task (a duplicate delivery does nothing), progress shown, the file downloaded from private
storage by those who may see it, a failure explained with "Try again"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.models import Role
from funds import services
from funds.exports.csvstream import rows_to_text
from funds.exports.ledger import ledger_rows
from funds.models import ExportJob, Fund, Grant
from funds.services import exports as export_services
from funds.storage import export_storage
from funds.tasks import export_job_run_task, export_job_start_task
from outbox.models import OutboxMessage
from tests.communities.factories import role_holder
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory

from .factories import grant, item, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_back(monkeypatch):
    """Queued work waits in the outbox (a worker runs it later), whatever the broker."""
    import outbox.services

    monkeypatch.setattr(outbox.services, "outbox_dispatch", lambda **kwargs: 0)


def _paid_claim(world, amount=20_000):
    g = grant(world, amount_pence=100_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_create(actor=world.contact, grant=g, items=[item(amount)])
    services.claim_submit(actor=world.contact, claim=claim)
    services.claim_approve(actor=world.trustees[2], claim=claim)
    services.claim_pay(actor=world.finance, claim=claim)


def _start(client, world, kind, user=None, callbacks=None):
    client.force_login(user or world.auditor)
    with callbacks(execute=True):
        response = client.post(reverse("funds:export_start", args=[world.fund.pk]), {"kind": kind})
    assert response.status_code == 302
    return ExportJob.objects.latest("pk"), response


def test_the_workspace_button_queues_a_job_and_the_task_writes_the_file_once(
    client, world, held_back, django_capture_on_commit_callbacks
):
    _paid_claim(world)
    job, response = _start(
        client, world, "ledger-csv", callbacks=django_capture_on_commit_callbacks
    )
    assert response["Location"] == reverse("funds:export_job", args=[job.pk])
    assert job.state == ExportJob.State.QUEUED and job.requester == world.auditor
    queued = OutboxMessage.objects.get(task=export_job_start_task.name)
    assert queued.args == [job.pk]
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and "Waiting to start" in page
    assert f'href="{reverse("funds:export_job", args=[job.pk])}"' in page  # Refresh, no JS
    assert "js/export-progress.js" in page
    assert reverse("funds:export_status", args=[job.pk]) in page

    # when a worker runs it
    assert export_job_run_task(job.pk) is True
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE and job.finished_at and job.attempts == 1
    expected = rows_to_text(ledger_rows(fund_id=world.fund.pk))
    assert job.done == job.total == len(expected.splitlines())
    with export_storage().open(job.file_name, "rb") as handle:
        assert handle.read().decode() == expected

    # then a duplicate delivery does nothing: no second file, no change
    name = job.file_name
    assert export_job_run_task(job.pk) is False
    job.refresh_from_db()
    assert job.file_name == name and job.attempts == 1

    # and the page offers the download, which streams the same file
    status = client.get(reverse("funds:export_status", args=[job.pk])).json()
    assert status["state"] == "done" and status["percent"] == 100
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert (
        download["Content-Disposition"]
        == f'attachment; filename="ledger-csv-fund-{world.fund.pk}.csv"'
    )
    assert b"".join(download.streaming_content).decode() == expected


def test_a_job_already_running_is_left_alone_by_a_second_delivery(world):
    job = ExportJob.objects.create(kind="statement-csv", fund=world.fund, requester=world.auditor)
    assert export_services.export_job_claim(job_id=job.pk)
    assert export_job_run_task(job.pk) is False
    job.refresh_from_db()
    assert job.state == ExportJob.State.RUNNING and job.file_name == "" and job.attempts == 1


def test_progress_is_saved_as_the_file_is_written(world, monkeypatch):
    for _ in range(3):
        _paid_claim(world, 1_000)
    monkeypatch.setattr(export_services, "PROGRESS_EVERY", 2)
    seen = []
    real = export_storage()

    class Spy:
        """The real private storage, noting the job's progress when the file is saved."""

        def save(self, name, content, *args, **kwargs):
            seen.append(ExportJob.objects.values_list("state", "done", "total").get())
            return real.save(name, content, *args, **kwargs)

        def __getattr__(self, attr):
            return getattr(real, attr)

    monkeypatch.setattr(export_services, "export_storage", Spy)
    job = ExportJob.objects.create(kind="ledger-csv", fund=world.fund, requester=world.auditor)
    export_job_run_task(job.pk)
    job.refresh_from_db()
    state, done, total = seen[0]
    assert state == "running" and total == job.total > 4
    assert done == total - total % 2  # the last multiple of PROGRESS_EVERY before the end


@pytest.mark.parametrize(
    "kind", ["360giving-json", "360giving-csv", "statement-csv", "statement-pdf", "audit-jsonl"]
)
def test_every_kind_writes_a_file_that_matches_the_direct_download(client, world, kind):
    _paid_claim(world)
    job = ExportJob.objects.create(kind=kind, fund=world.fund, requester=world.auditor)
    export_job_run_task(job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE
    client.force_login(world.auditor)
    direct = client.get(
        reverse(
            f"funds_exports:{kind.replace('360giving', 'fund-360giving')}", args=[world.fund.pk]
        )
    )
    direct_body = b"".join(direct.streaming_content) if direct.streaming else direct.content
    with export_storage().open(job.file_name, "rb") as handle:
        stored = handle.read()
    if kind == "statement-pdf":
        assert stored.startswith(b"%PDF")  # a PDF carries the moment it was made
    else:
        assert stored == direct_body


def test_a_failed_job_says_why_and_can_be_tried_again(client, world, held_back):
    proposed = make_world(status=Fund.Status.PROPOSED, received=0)
    job = ExportJob.objects.create(
        kind="360giving-json", fund=proposed.fund, requester=proposed.auditor
    )
    assert export_job_run_task(job.pk) is False
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED and job.file_name == ""
    assert "no agreement yet" in job.error
    client.force_login(proposed.auditor)
    page = client.get(reverse("funds:export_job", args=[job.pk])).content.decode()
    assert "The export failed" in page and "no agreement yet" in page and "Try again" in page
    assert client.get(reverse("funds:export_download", args=[job.pk])).status_code == 409
    again = client.post(reverse("funds:export_retry", args=[job.pk]))
    new = ExportJob.objects.latest("pk")
    assert new.pk != job.pk and new.kind == job.kind and new.state == ExportJob.State.QUEUED
    assert again["Location"] == reverse("funds:export_job", args=[new.pk])


def test_an_unexpected_error_fails_the_job_in_plain_english(world, monkeypatch):
    def boom(job):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(export_services, "_chunks", boom)
    job = ExportJob.objects.create(kind="ledger-csv", fund=world.fund, requester=world.auditor)
    assert export_job_run_task(job.pk) is False
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED
    assert job.error == "Something went wrong while writing the file."


def test_who_may_start_see_and_download(client, world, held_back):
    job = ExportJob.objects.create(kind="ledger-csv", fund=world.fund, requester=world.finance)
    export_job_run_task(job.pk)
    resident = UserFactory(mfa=True)
    MembershipFactory(user=resident, neighbourhood=world.neighbourhood)
    other_auditor = role_holder(NeighbourhoodFactory(), Role.FUNDER_AUDITOR)
    allowed = {
        "requester (finance officer)": world.finance,
        "auditor": world.auditor,
        "trustee": world.trustees[1],
    }
    refused = {
        "other finance officer": world.finance2,
        "resident": resident,
        "other funder's auditor": other_auditor,
        "grantee contact": world.contact,
    }
    urls = [
        reverse(name, args=[job.pk])
        for name in ("funds:export_job", "funds:export_status", "funds:export_download")
    ]
    for who, user in allowed.items():
        client.force_login(user)
        assert [client.get(u).status_code for u in urls] == [200, 200, 200], who
    for who, user in refused.items():
        client.force_login(user)
        assert [client.get(u).status_code for u in urls] == [403, 403, 403], who
    client.logout()
    assert [client.get(u).status_code for u in urls] == [302, 302, 302]
    # starting one: the books' readers only; the audit trail not for the finance officer
    start = reverse("funds:export_start", args=[world.fund.pk])
    for user, kind, code in [
        (resident, "ledger-csv", 403),
        (other_auditor, "ledger-csv", 403),
        (world.finance, "audit-jsonl", 403),
        (world.finance, "ledger-csv", 302),
        (world.auditor, "no-such-kind", 404),
    ]:
        client.force_login(user)
        assert client.post(start, {"kind": kind}).status_code == code, (user, kind)
    assert ExportJob.objects.count() == 2


def test_the_embedded_default_runs_the_export_inline(
    client, world, django_capture_on_commit_callbacks
):
    """No Redis: CELERY_TASK_ALWAYS_EAGER, so the job is done when the button's redirect lands."""
    app = export_job_run_task.app
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        job, response = _start(
            client, world, "statement-csv", callbacks=django_capture_on_commit_callbacks
        )
    finally:
        app.conf.task_always_eager = eager
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE
    page = client.get(response["Location"]).content.decode()
    assert "Download the file" in page
    assert OutboxMessage.objects.get(task=export_job_start_task.name).done_at is not None
