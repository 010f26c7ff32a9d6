"""`{% url %}` remembers what it reversed (config/template_urls.py) and still answers what
Django's own tag answers: under another script prefix, with arguments, and with `as`."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import NoReverseMatch, reverse, set_script_prefix

from config import template_urls


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_the_tag_is_the_remembering_one_and_answers_as_reverse_does():
    template_urls._reverse.cache_clear()
    out = _render("{% url 'voting:round_detail' pk %} {% url 'home' %}", pk=7)
    assert out == f"{reverse('voting:round_detail', args=[7])} {reverse('home')}"
    assert template_urls._reverse.cache_info().currsize == 2
    again = _render("{% url 'voting:round_detail' pk %}", pk=7)
    assert again == reverse("voting:round_detail", args=[7])
    assert template_urls._reverse.cache_info().hits >= 1


def test_another_script_prefix_is_not_served_the_first_answer():
    first = _render("{% url 'home' %}")
    set_script_prefix("/mounted/")
    try:
        assert _render("{% url 'home' %}") == "/mounted/"
    finally:
        set_script_prefix("/")
    assert first == "/"


def test_as_variable_and_failures_behave_like_djangos_tag():
    assert _render("{% url 'no-such-page' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        _render("{% url 'no-such-page' %}")
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")


def test_arguments_that_are_not_plain_values_are_reversed_each_time():
    class Key:
        def __str__(self) -> str:
            return "5"

    template_urls._reverse.cache_clear()
    assert _render("{% url 'voting:round_detail' key %}", key=Key()) == reverse(
        "voting:round_detail", args=[5]
    )
    assert template_urls._reverse.cache_info().currsize == 0
