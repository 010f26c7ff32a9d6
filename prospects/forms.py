"""The survey form: five questions, each one of five answers (radio buttons, no JavaScript)."""

from __future__ import annotations

from django import forms

from .models import DEFAULT_SCALE, QUESTIONS, SCALE


class SurveyForm(forms.Form):
    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["member"] = forms.ModelChoiceField(
                queryset=members, label="Whose paper form is this?"
            )
        for field, question in QUESTIONS:
            self.fields[field] = forms.TypedChoiceField(
                label=question,
                choices=SCALE.get(field, DEFAULT_SCALE),
                coerce=int,
                widget=forms.RadioSelect,
            )

    def answers(self) -> dict[str, int]:
        return {field: self.cleaned_data[field] for field, _ in QUESTIONS}
