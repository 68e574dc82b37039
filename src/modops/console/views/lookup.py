"""Lookup by platform id, and a subject's page with its full event timeline."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from modops.accounts.permissions import Perm
from modops.accounts.services import require
from modops.console.forms import LookupForm
from modops.console.services import lookup as find
from modops.console.services import subject_page
from modops.console.views.common import page
from modops.review.services.errors import Invalid
from modops.subjects.kinds import SUBJECT_KINDS


@require_GET
@page
def lookup(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.SUBJECTS_VIEW)
    form = LookupForm(request.GET or None)
    result = None
    status = 200
    if form.is_bound and form.is_valid():
        try:
            result = find(request.user, form.cleaned_data["q"])  # type: ignore[arg-type]
        except Invalid as exc:
            form.add_error("q", exc.message)
            status = 400
        else:
            if result.item is not None and not result.subjects:
                return redirect("console:review", item_id=result.item.id)
            if len(result.subjects) == 1 and result.item is None:
                s = result.subjects[0]
                return redirect("console:subject", kind=s.kind, external_id=s.external_id)
    elif form.is_bound:
        status = 400
    return render(request, "console/lookup.html", {"form": form, "result": result}, status=status)


@require_GET
@page
def subject(request: HttpRequest, kind: str, external_id: str) -> HttpResponse:
    if kind not in SUBJECT_KINDS:
        return render(request, "console/error.html", {"title": "Not found", "detail": f"no kind {kind!r}"}, status=404)
    return render(request, "console/subject.html", {"p": subject_page(request.user, kind, external_id)})  # type: ignore[arg-type]
