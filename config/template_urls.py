"""`{% url %}` that remembers what it reversed (a template builtin: settings.TEMPLATES).

Every page's header and footer reverse about ten URL names, and each `reverse()` walks the
URL patterns: a tenth of the receipt page's CPU, the largest single part of its rendering
(issue 17's cast profile). A URL depends only on its name and arguments, the URL
configuration, the script prefix and the language, so with those as the key the answer can
be kept. Only plain arguments (text and numbers) are kept, in a bounded cache; anything else,
and every failure, goes to `reverse()` as Django's own tag does.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()
_PLAIN = (str, int)


@lru_cache(maxsize=4096)
def _reverse(view_name, args, kwargs, current_app, urlconf, prefix, language) -> str:
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)


def _clear(*, setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()


setting_changed.connect(_clear)


class RememberingURLNode(URLNode):
    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple((k, v.resolve(context)) for k, v in self.kwargs.items())
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            if isinstance(view_name, str) and all(
                type(value) in _PLAIN for value in (*args, *(v for _, v in kwargs))
            ):
                url = _reverse(
                    view_name,
                    args,
                    kwargs,
                    current_app,
                    get_urlconf() or settings.ROOT_URLCONF,
                    get_script_prefix(),
                    get_language(),
                )
            else:
                url = reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's `{% url %}` (same syntax and output), remembering its answers."""
    node = django_url(parser, token)
    return RememberingURLNode(node.view_name, node.args, node.kwargs, node.asvar)
