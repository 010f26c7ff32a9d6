"""Plain English on resident pages, measured: the Flesch-Kincaid grade of each resident-facing
template's own words.

    grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59

Syllables are counted with pyphen's en_GB hyphenation dictionary (a word's hyphenation points
plus one; hand-written because textstat, the usual library, needs NLTK data downloaded at run
time). Template tags and variables are dropped; each paragraph, list item, heading, label,
legend and button is a sentence on its own, and so is each sentence inside them.

Thresholds: every page at grade 5 or below (US grade 5 is a reading age of about 10), the
pages' average at grade 4 or below (a reading age of about 9, the issue's aim), and no long
sentence (15 words or more) above grade 9: the page grades are low because most of a page is
short labels and buttons, so a long hard sentence is what a resident actually trips on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pyphen

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
RESIDENT_TEMPLATES = [
    "home.html",
    "about.html",
    "communities/list.html",
    "communities/detail.html",
    "communities/form_page.html",
    "communities/join_verify.html",
    "proposals/list.html",
    "proposals/detail.html",
    "proposals/form.html",
    "proposals/images.html",
    "voting/round_list.html",
    "voting/round_detail.html",
    "voting/ballot.html",
    "voting/ballot_review.html",
    "voting/receipt.html",
    "voting/already_voted.html",
    "voting/receipt_lookup.html",
    "voting/results.html",
]
PAGE_LIMIT = 5.0
AVERAGE_LIMIT = 4.0
LONG_SENTENCE_WORDS = 15
LONG_SENTENCE_LIMIT = 9.0
BLOCKS = {
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "label",
    "legend",
    "button",
    "a",
    "td",
    "th",
    "dt",
    "dd",
    "caption",
    "title",
    "summary",
}

_dic = pyphen.Pyphen(lang="en_GB")


def syllables(word: str) -> int:
    word = word.lower()
    return max(1, len(_dic.positions(word)) + 1)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.chunks: list[str] = [""]
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "svg"):
            self.skip += 1
        if tag in BLOCKS:
            self.chunks.append("")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "svg"):
            self.skip -= 1
        if tag in BLOCKS:
            self.chunks.append("")

    def handle_data(self, data):
        if not self.skip:
            self.chunks[-1] += data


def template_text(source: str) -> list[str]:
    """The sentences a template shows, without its tags and variables."""
    source = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    source = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", " ", source, flags=re.S)
    source = re.sub(r"{%.*?%}", " ", source, flags=re.S)
    source = re.sub(r"{{.*?}}", " ", source, flags=re.S)
    parser = _Text()
    parser.feed(source)
    sentences = []
    for chunk in parser.chunks:
        for sentence in re.split(r"(?<=[.!?:])\s+", " ".join(chunk.split())):
            if len(re.findall(r"[A-Za-z]+", sentence)) >= 2:
                sentences.append(sentence)
    return sentences


@dataclass
class Score:
    name: str
    grade: float
    words: int
    hardest: list[tuple[float, str]]


def grade_of(sentences: list[str]) -> tuple[float, int]:
    words = [w for s in sentences for w in re.findall(r"[A-Za-z][A-Za-z']*", s)]
    if not words:
        return 0.0, 0
    total = sum(syllables(w) for w in words)
    return 0.39 * len(words) / len(sentences) + 11.8 * total / len(words) - 15.59, len(words)


def score(name: str) -> Score:
    sentences = template_text((TEMPLATES / name).read_text())
    grade, words = grade_of(sentences)
    hardest = sorted(
        (
            (grade_of([s])[0], s)
            for s in sentences
            if len(re.findall(r"[A-Za-z]+", s)) >= LONG_SENTENCE_WORDS
        ),
        reverse=True,
    )[:3]
    return Score(name=name, grade=round(grade, 1), words=words, hardest=hardest)
