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
    media = settings.MEDIA_ROOT
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
