"""Plain English on resident pages (issue 13): the Flesch-Kincaid grade of each resident
template's words, with the thresholds and formula in tests/e2e/readability.py. No browser: this
runs in every test run, and `make e2e` prints the scores."""

from __future__ import annotations

from . import checks
from .readability import (
    AVERAGE_LIMIT,
    LONG_SENTENCE_LIMIT,
    PAGE_LIMIT,
    RESIDENT_TEMPLATES,
    grade_of,
    score,
    template_text,
)


def test_resident_pages_read_at_about_age_nine():
    scores = [score(name) for name in RESIDENT_TEMPLATES]
    checks.REPORT.readability = [(s.name, s.grade, s.words) for s in scores]
    too_hard = {s.name: s.grade for s in scores if s.grade > PAGE_LIMIT}
    assert not too_hard, f"pages above grade {PAGE_LIMIT}: {too_hard}"
    average = sum(s.grade for s in scores) / len(scores)
    assert average <= AVERAGE_LIMIT, average
    long_and_hard = [
        (s.name, round(grade, 1), sentence)
        for s in scores
        for grade, sentence in s.hardest
        if grade > LONG_SENTENCE_LIMIT
    ]
    assert not long_and_hard, long_and_hard


def test_the_grade_tells_plain_from_officialese():
    # The measure itself: a plain sentence scores low, a dense official one high.
    plain, _ = grade_of(["You can vote online or on paper. Pick the ideas you like."])
    dense, _ = grade_of(
        [
            "Eligibility determinations notwithstanding, participatory budgeting allocations "
            "necessitate comprehensive verification of organisational accountability."
        ]
    )
    assert plain < 4 < 12 < dense


def test_template_text_drops_tags_and_variables():
    sentences = template_text(
        "{% if x %}<p>Vote now, {{ user.name }}.</p>{% endif %}<button>Cast my vote</button>"
    )
    assert sentences == ["Vote now, .", "Cast my vote"]
