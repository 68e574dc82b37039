"""Console forms: every field labelled, every value checked before it reaches a service."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from modops.ops.ladder import ActionType

DURATIONS = [
    ("", "Ladder / none"),
    ("600", "10 minutes"),
    ("3600", "1 hour"),
    ("86400", "1 day"),
    ("259200", "3 days"),
    ("604800", "7 days"),
    ("1209600", "14 days"),
    ("2592000", "30 days"),
]


class SignInForm(AuthenticationForm):
    username = forms.CharField(label="Username", max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)


class DecisionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    violation = forms.TypedChoiceField(
        label="Verdict",
        choices=[("yes", "Violation"), ("no", "No violation")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    policy = forms.SlugField(label="Policy", max_length=50)
    action = forms.ChoiceField(
        label="Action",
        required=False,
        choices=[("", "Ladder suggestion")] + [(a.value, a.value.replace("_", " ")) for a in ActionType],
    )
    duration = forms.TypedChoiceField(label="Duration", required=False, choices=DURATIONS, coerce=int, empty_value=None)
    note = forms.CharField(label="Note", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    next = forms.BooleanField(required=False, widget=forms.HiddenInput)


class EscalateForm(forms.Form):
    queue = forms.SlugField(label="Escalate to", max_length=50)
    reason = forms.CharField(label="Reason", required=False, max_length=2000)


class NoteForm(forms.Form):
    note = forms.CharField(label="Note", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", required=False, max_length=2000)


class LookupForm(forms.Form):
    q = forms.CharField(label="Platform id, kind:id or review item id", max_length=220)


class PreferencesForm(forms.Form):
    blur = forms.IntegerField(label="Blur (pixels)", min_value=0, max_value=60)
    greyscale = forms.BooleanField(label="Greyscale until revealed", required=False)
