"""What every console view shares: sign-in required, and domain errors turned into pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from modops.accounts.permissions import PermissionDenied
from modops.review.services.errors import NotFound

View = Callable[..., HttpResponse]


def page(view: View) -> View:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return render(request, "console/error.html", {"title": "Not allowed", "detail": exc.what}, status=403)
        except NotFound as exc:
            return render(request, "console/error.html", {"title": "Not found", "detail": str(exc)}, status=404)

    return login_required(wrapped)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
