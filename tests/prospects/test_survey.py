"""The residents' survey: members answer once per wave (the database refuses a second, also
two at once on PostgreSQL); trustees enter paper forms; results only in aggregate, and a wave
with fewer than 10 answers is shown nowhere (page or CSV)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from audit.models import AuditEvent
from config.errors import ApplicationError, ForbiddenError
from prospects.models import SurveyParticipation, SurveyResponse, SurveyWave
from prospects.services import survey_paper_enter, survey_respond
from prospects.services.survey import AlreadyAnsweredError
from tests.factories import NeighbourhoodFactory, UserFactory, resident, trustee

ANSWERS = {"belonging": 4, "satisfaction": 3, "influence": 2, "hope": 5, "places_to_meet": 1}


def _wave(nb, **kwargs) -> SurveyWave:
    now = timezone.now()
    return SurveyWave.objects.create(
        neighbourhood=nb,
        year=now.year,
        opens_at=kwargs.get("opens_at", now - dt.timedelta(days=1)),
        closes_at=kwargs.get("closes_at", now + dt.timedelta(days=30)),
    )


@pytest.mark.django_db
def test_a_member_answers_once_and_a_second_response_is_refused():
    nb = NeighbourhoodFactory()
    wave = _wave(nb)
    member = resident(nb)
    survey_respond(actor=member, wave=wave, answers=ANSWERS)
    with pytest.raises(AlreadyAnsweredError, match="already answered"):
        survey_respond(actor=member, wave=wave, answers=ANSWERS)
    assert SurveyResponse.objects.count() == 1
    assert SurveyParticipation.objects.get().channel == "online"


@pytest.mark.django_db
def test_the_database_itself_refuses_a_second_participation():
    nb = NeighbourhoodFactory()
    wave = _wave(nb)
    member = resident(nb)
    SurveyParticipation.objects.create(wave=wave, user=member, channel="online")
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyParticipation.objects.create(wave=wave, user=member, channel="paper")


@pytest.mark.django_db
def test_answers_are_stored_without_the_member_and_no_audit_event_links_them():
    nb = NeighbourhoodFactory()
    wave = _wave(nb)
    member = resident(nb)
    events = AuditEvent.objects.count()
    survey_respond(actor=member, wave=wave, answers=ANSWERS)
    assert {f.name for f in SurveyResponse._meta.get_fields()} >= {"wave", "belonging"}
    assert "user" not in {f.name for f in SurveyResponse._meta.get_fields()}
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_non_members_closed_waves_and_bad_answers_are_refused():
    nb = NeighbourhoodFactory()
    wave = _wave(nb)
    with pytest.raises(ForbiddenError):
        survey_respond(actor=UserFactory(), wave=wave, answers=ANSWERS)
    with pytest.raises(ApplicationError, match="choose one of the five"):
        survey_respond(actor=resident(nb), wave=wave, answers={**ANSWERS, "hope": 6})
    now = timezone.now()
    closed = SurveyWave.objects.create(
        neighbourhood=nb,
        year=now.year - 1,
        opens_at=now - dt.timedelta(days=400),
        closes_at=now - dt.timedelta(days=300),
    )
    with pytest.raises(ApplicationError, match="not open"):
        survey_respond(actor=resident(nb), wave=closed, answers=ANSWERS)


@pytest.mark.django_db
def test_a_trustee_enters_a_paper_form_once_per_member_and_others_cannot():
    nb = NeighbourhoodFactory()
    wave = _wave(nb)
    member = resident(nb)
    chair = trustee(nb)
    survey_paper_enter(actor=chair, wave=wave, member=member, answers=ANSWERS)
    participation = SurveyParticipation.objects.get()
    assert (participation.channel, participation.entered_by) == ("paper", chair)
    assert AuditEvent.objects.filter(action="prospects.survey_paper_entered").count() == 1
    # The member cannot then also answer online.
    with pytest.raises(AlreadyAnsweredError):
        survey_respond(actor=member, wave=wave, answers=ANSWERS)
    with pytest.raises(ForbiddenError):
        survey_paper_enter(actor=resident(nb), wave=wave, member=resident(nb), answers=ANSWERS)


@pytest.mark.django_db
def test_the_online_form_records_an_answer(client):
    nb = NeighbourhoodFactory()
    wave = _wave(nb)
    member = resident(nb)
    client.force_login(member)
    assert client.get(f"/prospects/{nb.slug}/survey/").status_code == 200
    response = client.post(f"/prospects/{nb.slug}/survey/", ANSWERS)
    assert response.status_code == 302
    assert SurveyResponse.objects.filter(wave=wave).count() == 1
    assert "You have answered" in client.get(f"/prospects/{nb.slug}/survey/").content.decode()


@pytest.mark.django_db
def test_the_paper_form_is_for_trustees(client):
    nb = NeighbourhoodFactory()
    _wave(nb)
    member = resident(nb)
    client.force_login(trustee(nb))
    response = client.post(f"/prospects/{nb.slug}/survey/paper/", {**ANSWERS, "member": member.pk})
    assert response.status_code == 302
    assert SurveyParticipation.objects.get().user == member
    client.force_login(resident(nb))
    assert client.get(f"/prospects/{nb.slug}/survey/paper/").status_code == 403


def _answers(nb, wave, n):
    for _ in range(n):
        survey_respond(actor=resident(nb), wave=wave, answers=ANSWERS)


@pytest.mark.django_db
def test_nine_answers_are_shown_nowhere_and_ten_are_shown_in_aggregate(client):
    nb = NeighbourhoodFactory()
    wave = _wave(nb)
    _answers(nb, wave, 9)
    page = client.get(f"/prospects/{nb.slug}/").content.decode()
    csv = client.get(f"/prospects/{nb.slug}/prospects.csv").content.decode()
    assert "fewer than 10 answers, so the results are not shown" in page
    assert "9 answers" not in page
    assert "suppressed: fewer than 10 answers" in csv
    assert "survey,answers" not in csv and "belonging_mean" not in csv

    _answers(nb, wave, 1)
    page = client.get(f"/prospects/{nb.slug}/").content.decode()
    csv = client.get(f"/prospects/{nb.slug}/prospects.csv").content.decode()
    assert f"{wave.year}: 10 answers" in page
    assert f"survey,answers,{nb.name},,{wave.year},10" in csv
    assert f"survey,belonging_4_or_5,{nb.name},,{wave.year},100.0,percent" in csv
    assert f"survey,influence_mean,{nb.name},,{wave.year},2.0" in csv


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent inserts")
def test_two_responses_from_one_member_at_once_record_one():
    nb = NeighbourhoodFactory()
    wave = _wave(nb)
    member = resident(nb)
    go = threading.Event()
    results, errors = [], []

    def answer(_):
        go.wait()
        try:
            user = get_user_model().objects.get(pk=member.pk)
            results.append(survey_respond(actor=user, wave=wave, answers=ANSWERS))
        except ApplicationError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(answer, i) for i in range(2)]
        go.set()
        for future in futures:
            future.result()
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], AlreadyAnsweredError)
    assert SurveyParticipation.objects.filter(wave=wave, user=member).count() == 1
    assert SurveyResponse.objects.filter(wave=wave).count() == 1


@pytest.mark.django_db
def test_a_trustee_opens_this_years_wave_once_and_a_member_cannot(client):
    nb = NeighbourhoodFactory()
    client.force_login(resident(nb))
    assert client.post(f"/prospects/{nb.slug}/survey/open/").status_code == 403
    assert not SurveyWave.objects.exists()
    client.force_login(trustee(nb))
    assert client.post(f"/prospects/{nb.slug}/survey/open/").status_code == 302
    wave = SurveyWave.objects.get()
    assert wave.year == timezone.now().year and wave.closes_at > timezone.now()
    client.post(f"/prospects/{nb.slug}/survey/open/")
    assert SurveyWave.objects.count() == 1
