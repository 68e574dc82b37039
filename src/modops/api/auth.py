"""Bearer-token authentication with scopes for the REST API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from modops.accounts.models import ApiToken
from modops.accounts.permissions import PermissionDenied, Scope
from modops.accounts.services import authenticate_token


class TokenAuth(HttpBearer):
    """Accepts a token carrying one of ``scopes`` (or the admin scope); 401 without a valid token, 403 without the scope."""

    def __init__(self, *scopes: Scope) -> None:
        super().__init__()
        self.scopes = {s.value for s in scopes} | {Scope.ADMIN.value}

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = authenticate_token(token)
        if found is None:
            return None
        if not self.scopes & set(found.scopes):
            wanted = " or ".join(sorted(self.scopes))
            raise AuthorizationError(message=f"this token needs the {wanted} scope")
        return found


intake_auth = TokenAuth(Scope.INTAKE)
moderation_auth = TokenAuth(Scope.MODERATION)
read_auth = TokenAuth(Scope.INTAKE, Scope.MODERATION)


def token_of(request: HttpRequest) -> ApiToken:
    token: Any = getattr(request, "auth", None)
    assert isinstance(token, ApiToken)
    return token


def staff_of(request: HttpRequest) -> User:
    """The staff user the token acts for; a token bound to no one may not do a person's work (403)."""
    user = token_of(request).user
    if user is None:
        raise PermissionDenied("this work needs a token bound to a staff user")
    return user


def actor_of(request: HttpRequest) -> str:
    token = token_of(request)
    if token.user is not None:
        return f"staff:{token.user.get_username()}"
    return f"api:{token.name}"
