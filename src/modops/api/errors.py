"""One shape for every API error: ``{"detail": ...}``; validation errors name the field."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI


def field_error(api: NinjaAPI, request: HttpRequest, field: str, message: str, status: int = 422) -> HttpResponse:
    # A field is in the body unless named with its place first ("query.subject").
    parts = field.split(".")
    loc = parts if parts[0] in {"query", "path", "header"} else ["body", *parts]
    return api.create_response(
        request, {"detail": [{"loc": loc, "msg": message, "type": "value_error"}]}, status=status
    )


def _public_error(error: dict[str, Any]) -> dict[str, Any]:
    # Ninja puts the handler's argument name in the location (``body.payload.subject.kind``);
    # clients know the document, not our argument names.
    loc = list(error.get("loc", ()))
    if len(loc) > 1 and loc[0] == "body" and loc[1] == "payload":
        loc = ["body", *loc[2:]]
    return {**error, "loc": loc}


def install(api: NinjaAPI) -> None:
    from ninja.errors import ValidationError

    from modops.accounts.permissions import PermissionDenied
    from modops.intake.services import IdempotencyMismatch
    from modops.policies.services import UnknownPolicy
    from modops.review.services.errors import Conflict, Invalid, NotFound

    @api.exception_handler(ValidationError)
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(request, {"detail": [_public_error(e) for e in exc.errors]}, status=422)

    @api.exception_handler(UnknownPolicy)
    def unknown_policy(request: HttpRequest, exc: UnknownPolicy) -> HttpResponse:
        return field_error(api, request, "policy", f"unknown policy {exc.args[0]!r}")

    @api.exception_handler(Invalid)
    def invalid(request: HttpRequest, exc: Invalid) -> HttpResponse:
        return field_error(api, request, exc.field, exc.message)

    @api.exception_handler(PermissionDenied)
    def denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"detail": f"permission denied: {exc.what}"}, status=403)

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=409)

    @api.exception_handler(NotFound)
    def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        return api.create_response(request, {"detail": f"not found: {exc}"}, status=404)

    @api.exception_handler(IdempotencyMismatch)
    def mismatch(request: HttpRequest, exc: IdempotencyMismatch) -> HttpResponse:
        return api.create_response(
            request, {"detail": "Idempotency-Key was already used with a different request body"}, status=422
        )
