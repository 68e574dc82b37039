"""Wellbeing: everyone's exposure (leads, managers), and each person's own media preferences."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from modops.accounts import exposure
from modops.accounts.services import profile_of
from modops.console.forms import PreferencesForm
from modops.console.services import update_preferences
from modops.console.views.common import page
from modops.review.services.errors import Invalid


@require_http_methods(["GET"])
@page
def team(request: HttpRequest) -> HttpResponse:
    rows = exposure.team_exposure(request.user)
    return render(
        request, "console/team.html", {"rows": rows, "window_hours": exposure.window().total_seconds() / 3600}
    )


@require_http_methods(["GET", "POST"])
@page
def preferences(request: HttpRequest) -> HttpResponse:
    profile = profile_of(request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                update_preferences(request.user, form.cleaned_data["blur"], form.cleaned_data["greyscale"])  # type: ignore[arg-type]
            except Invalid as exc:
                form.add_error("blur", exc.message)
            else:
                messages.success(request, "Preferences saved.")
                return redirect("console:preferences")
        return render(request, "console/preferences.html", {"form": form}, status=400)
    initial = {"blur": profile.media_blur_px, "greyscale": profile.media_greyscale} if profile else {}
    return render(request, "console/preferences.html", {"form": PreferencesForm(initial=initial)})
