"""Acceptance 3: hostile uploads and hostile Markdown are all refused or neutralised."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from config.errors import ApplicationError
from proposals.markup import render_markdown
from proposals.models import Proposal, ProposalImage
from proposals.services import proposal_create, proposal_image_add
from tests.factories import NeighbourhoodFactory, resident

from .factories import DraftFactory, jpeg_bytes, png_declaring, upload

pytestmark = pytest.mark.django_db

GOOD = jpeg_bytes(800, 600)

HOSTILE_UPLOADS = {
    "pdf renamed .jpg": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "not a JPEG"),
    "html renamed .jpg": (b"<!doctype html><script>alert(1)</script>", "not a JPEG"),
    "svg with script": (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
        b"</svg>",
        "not a JPEG",
    ),
    "1x1 png declaring 60000x60000": (png_declaring(60000, 60000), "too large"),
    "png declaring 7000x6000 (42 MP)": (png_declaring(7000, 6000), "too large"),
    "truncated jpeg": (GOOD[: len(GOOD) // 2], "damaged or incomplete"),
    "jpeg header only": (GOOD[:200], "damaged or incomplete|not a JPEG"),
    "oversize (over 10 MB)": (GOOD + b"\x00" * (10 * 1024 * 1024), "too big"),
    "empty file": (b"", "empty"),
    "gif": (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
        b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
        "not a JPEG",
    ),
    "php polyglot text": (b"\xff\xd8\xff<?php system($_GET['c']); ?>", "not a JPEG"),
}


@pytest.mark.parametrize("name", list(HOSTILE_UPLOADS))
def test_hostile_upload_is_refused_and_nothing_is_stored(name, settings):
    data, message = HOSTILE_UPLOADS[name]
    n = NeighbourhoodFactory()
    draft = DraftFactory(neighbourhood=n, proposer=resident(n))
    with pytest.raises(ApplicationError, match=message):
        proposal_image_add(
            proposal=draft, actor=draft.proposer, file=upload(data, "photo.jpg"), alt_text="x"
        )
    assert not ProposalImage.objects.exists()
    assert not AuditEvent.objects.filter(action="proposals.image_added").exists()
    # nothing in public media, nor in the private folder beside it (originals go there)
    for media in (settings.MEDIA_ROOT, settings.MEDIA_ROOT.parent / "private"):
        assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_hostile_upload_through_the_page_shows_a_clear_message(client):
    n = NeighbourhoodFactory()
    draft = DraftFactory(neighbourhood=n, proposer=resident(n))
    client.force_login(draft.proposer)
    response = client.post(
        reverse("proposals:images", args=[n.slug, draft.pk]),
        {"image": upload(png_declaring(60000, 60000), "bomb.png"), "alt_text": "x"},
    )
    assert response.status_code == 200
    assert "This image is too large" in response.content.decode()
    assert not ProposalImage.objects.exists()


HOSTILE_MARKDOWN = {
    "script tag": "<script>alert(1)</script>Hello",
    "img onerror": '<img src=x onerror="alert(1)">',
    "javascript link": "[click](javascript:alert(1))",
    "mixed-case javascript link": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "entity-encoded javascript": '<a href="&#106;avascript:alert(1)">x</a>',
    "reference-style javascript link": "[x][1]\n\n[1]: javascript:alert(1)",
    "data url link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript link": "[x](vbscript:msgbox(1))",
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "style tag": "<style>body{display:none}</style>text",
    "style attribute": '<p style="position:fixed;top:0">overlay</p>',
    "svg onload": '<svg onload="alert(1)"><circle r="1"/></svg>',
    "onclick on allowed tag": '<a href="https://ok.example" onclick="steal()">ok</a>',
    "form and input": '<form action="https://evil.example"><input name="password"></form>',
    "object embed": '<object data="x.swf"></object><embed src="x.swf">',
    "html comment trick": "<!--><script>alert(1)</script>-->",
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "markdown image tracker": "![x](https://evil.example/pixel.gif)",
    "unclosed attribute": '<a href="https://ok.example" title="x" onmouseover=alert(1)//>y</a>',
}

FORBIDDEN = [
    re.compile(r"<\s*script", re.I),
    re.compile(r"\son\w+\s*=", re.I),
    re.compile(r"javascript:", re.I),
    re.compile(r"vbscript:", re.I),
    re.compile(r"data:", re.I),
    re.compile(r"<\s*(iframe|style|svg|form|input|object|embed|meta|img)\b", re.I),
    re.compile(r"style\s*=", re.I),
]


@pytest.mark.parametrize("name", list(HOSTILE_MARKDOWN))
def test_hostile_markdown_is_neutralised(name):
    html = render_markdown(HOSTILE_MARKDOWN[name])
    for pattern in FORBIDDEN:
        assert not pattern.search(html), (name, html)
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.startswith(("http://", "https://", "mailto:")), html


def test_safe_markdown_survives_and_links_get_nofollow():
    html = render_markdown("# Plan\n\n- **one**\n- [site](https://example.org)\n")
    assert "<h3>Plan</h3>" in html
    assert "<strong>one</strong>" in html
    assert '<a href="https://example.org" rel="nofollow noopener">site</a>' in html


def test_the_stored_description_html_is_sanitised():
    n = NeighbourhoodFactory()
    p = proposal_create(
        neighbourhood=n,
        proposer=resident(n),
        title="T",
        summary="S",
        description='Hi <script>alert(1)</script><a href="javascript:x">x</a>',
        theme="other",
        cost_lines=[("Thing", 100)],
    )
    assert "<script" not in p.description_html
    assert "javascript" not in p.description_html


def _form(**overrides):
    data = {
        "title": "A title",
        "summary": "A summary",
        "description": "Text",
        "theme": "housing",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "20",
        "lines-0-description": "Paint",
        "lines-0-amount": "100",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lines-0-amount": "-50"}, "more than £0"),
        ({"lines-0-amount": "0"}, "more than £0"),
        ({"lines-0-amount": "1e9"}, "far more than"),
        ({"lines-0-amount": "2500001"}, "more than this neighbourhood&#x27;s fund"),
        ({"lines-0-amount": "12.345"}, "two decimal places"),
        ({"lines-0-amount": "NaN"}, "Enter an amount"),
        ({"lines-0-amount": "ten pounds"}, "Enter an amount"),
        ({"title": "x" * 121}, "at most 120 characters"),
        ({"lines-0-description": "", "lines-0-amount": ""}, "at least one cost line"),
    ],
)
def test_bad_proposal_input_is_refused_with_a_message_and_nothing_stored(
    client, overrides, message
):
    n = NeighbourhoodFactory()
    client.force_login(resident(n))
    response = client.post(reverse("proposals:create", args=[n.slug]), _form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Proposal.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_fund_ceiling_registered_by_the_funds_app_is_enforced(monkeypatch):
    from proposals import limits

    n = NeighbourhoodFactory()
    monkeypatch.setattr(limits, "_fund_ceilings", [])
    limits.register_fund_ceiling(lambda nb: 50_000 if nb.pk == n.pk else None)
    with pytest.raises(ApplicationError, match="more than this neighbourhood's fund"):
        proposal_create(
            neighbourhood=n,
            proposer=resident(n),
            title="T",
            summary="S",
            description="D",
            theme="other",
            cost_lines=[("A", 30_000), ("B", 30_000)],
        )
    assert not Proposal.objects.exists()


def _alarm(seconds):
    """Fail instead of hanging if rendering is pathological (no timing assertion)."""
    import signal

    def _timeout(signum, frame):
        raise AssertionError("rendering took far too long")

    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)


def test_many_open_brackets_are_refused_with_a_message_not_parsed():
    import signal

    from proposals.forms import ProposalForm
    from proposals.markup import markdown_problem

    text = "[" * 20_000
    _alarm(5)
    try:
        assert markdown_problem(text)
        html = render_markdown(text)  # should anything slip past the checks
    finally:
        signal.alarm(0)
    assert html.startswith("<p>[[[")
    n = NeighbourhoodFactory()
    form = ProposalForm(
        {"title": "T", "summary": "s", "description": text, "theme": "housing"}, neighbourhood=n
    )
    assert not form.is_valid()
    assert "square brackets" in form.errors["description"][0]
    # ordinary links are still fine
    assert markdown_problem("[a](https://example.org) " * 100) is None


def test_many_open_brackets_are_refused_by_the_service():
    import signal

    n = NeighbourhoodFactory()
    _alarm(5)
    try:
        with pytest.raises(ApplicationError, match="square brackets"):
            proposal_create(
                neighbourhood=n,
                proposer=resident(n),
                title="T",
                summary="s",
                description="[" * 20_000,
                theme="housing",
                cost_lines=[("x", 1000)],
            )
    finally:
        signal.alarm(0)


# Issue 9, point 11: deep nesting crashed Python-Markdown with RecursionError (a 500 for any
# resident); imported project ids went unescaped into description_html; titles accepted
# text-direction overrides and zero-width characters.
DEEP_NESTING = {
    "ordered list markers": "1. " * 500,
    "bullets and tabs": "*\t" * 600,
    "plus bullets": "+ " * 700,
    "quotes and bullets": "> - " * 400,
    "indented lists": "\n".join("    " * i + "- x" for i in range(60)),
}


@pytest.mark.parametrize("name", list(DEEP_NESTING))
def test_deep_nesting_is_refused_at_input_with_a_plain_message(client, name):
    n = NeighbourhoodFactory()
    client.force_login(resident(n))

    response = client.post(
        reverse("proposals:create", args=[n.slug]), _form(description=DEEP_NESTING[name])
    )

    assert response.status_code == 200
    assert "nested at most 20 levels deep" in response.content.decode()
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("name", list(DEEP_NESTING))
def test_deep_nesting_is_refused_by_the_service(name):
    n = NeighbourhoodFactory()
    with pytest.raises(ApplicationError, match="nested at most 20 levels deep"):
        proposal_create(
            neighbourhood=n,
            proposer=resident(n),
            title="T",
            summary="s",
            description=DEEP_NESTING[name],
            theme="housing",
            cost_lines=[("x", 1000)],
        )


@pytest.mark.parametrize("name", list(DEEP_NESTING))
def test_rendering_deep_nesting_never_raises(name):
    # Stored text that reaches the renderer another way (old rows, imports) shows as plain text.
    html = render_markdown(DEEP_NESTING[name])

    assert html.startswith("<p>")


def test_rendering_falls_back_to_plain_text_on_recursion_error(monkeypatch):
    import markdown

    def explode(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(markdown, "markdown", explode)

    assert render_markdown("- <b>list</b>") == "<p>- &lt;b&gt;list&lt;/b&gt;</p>"


def test_ordinary_nesting_still_renders():
    text = "1. one\n    - two\n        - three\n\n> quote\n> > reply"

    html = render_markdown(text)

    assert html.count("<ul>") == 2
    assert "<blockquote>" in html


SPOOFING = {
    "right-to-left override": "Park benches\u202egnp.exe",
    "left-to-right embedding": "Park \u202abenches",
    "first strong isolate": "Park \u2068benches\u2069",
    "zero width space": "Park\u200bbenches",
    "zero width joiner": "Park\u200dbenches",
    "right-to-left mark": "Park\u200fbenches",
    "word joiner": "Park\u2060benches",
    "byte order mark": "\ufeffPark benches",
}


@pytest.mark.parametrize("name", list(SPOOFING))
@pytest.mark.parametrize("field", ["title", "summary", "organisation"])
def test_invisible_and_direction_characters_are_refused_in_the_form(client, name, field):
    n = NeighbourhoodFactory()
    client.force_login(resident(n))

    response = client.post(
        reverse("proposals:create", args=[n.slug]), _form(**{field: SPOOFING[name]})
    )

    assert response.status_code == 200
    assert "invisible or text-direction characters" in response.content.decode()
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("name", list(SPOOFING))
def test_invisible_and_direction_characters_are_refused_by_the_service(name):
    n = NeighbourhoodFactory()
    with pytest.raises(ApplicationError, match="invisible or text-direction characters"):
        proposal_create(
            neighbourhood=n,
            proposer=resident(n),
            title=SPOOFING[name],
            summary="s",
            description="d",
            theme="housing",
            cost_lines=[("x", 1000)],
        )
    assert not Proposal.objects.exists()


def test_ordinary_accents_and_scripts_are_accepted():
    n = NeighbourhoodFactory()
    p = proposal_create(
        neighbourhood=n,
        proposer=resident(n),
        title="Café in Łódź — ملعب — 公园",
        summary="Benches 🪑 for everyone",
        description="d",
        theme="housing",
        cost_lines=[("x", 1000)],
    )
    assert p.title == "Café in Łódź — ملعب — 公园"


HOSTILE_PB = """META
key;value
description;Hostile\u202eevil
budget;1000
vote_type;approval
rule;greedy
unit;Unit\u200bname
PROJECTS
project_id;cost;name
<img src=x onerror=alert(1)>;100;Benches\u202egnp.exe
<script>alert(2)</script>;200;
VOTES
voter_id;vote
1;<img src=x onerror=alert(1)>
"""


def test_imported_project_ids_cannot_inject_html_or_spoof(client):
    from voting.services import round_import_pabulib

    n = NeighbourhoodFactory()
    result = round_import_pabulib(neighbourhood=n, source=HOSTILE_PB)

    proposals = list(Proposal.objects.filter(neighbourhood=n).order_by("pk"))
    assert len(proposals) == 2
    for proposal in proposals:
        assert "<img" not in proposal.description_html
        assert "<script" not in proposal.description_html
        assert "onerror" not in proposal.description_html.replace("onerror=alert", "")
        assert "&lt;" in proposal.description_html
        for text in (proposal.title, proposal.summary, proposal.description):
            assert "\u202e" not in text and "\u200b" not in text
    assert "\u202e" not in result.round.title
    assert "\u200b" not in result.round.pots.get().name
    # and the page shows the id as text
    proposal = proposals[0]
    client.force_login(resident(n))
    response = client.get(reverse("proposals:detail", args=[n.slug, proposal.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize("where", ["title", "pot"])
def test_vote_titles_and_pot_names_refuse_direction_characters(where):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import trustee
    from voting.models import VoteRound
    from voting.services import PotSpec, round_create

    n = NeighbourhoodFactory()
    now = timezone.now()
    spoof = "Spring vote\u202eetov"
    with pytest.raises(ApplicationError, match="invisible or text-direction characters"):
        round_create(
            actor=trustee(n),
            neighbourhood=n,
            title=spoof if where == "title" else "Spring vote",
            opens_at=now + timedelta(days=1),
            closes_at=now + timedelta(days=8),
            pots=[PotSpec(name=spoof if where == "pot" else "Main pot", amount_pence=100_000)],
        )
    assert not VoteRound.objects.exists()
