"""Staff permissions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from modops.accounts.models import ApiToken, StaffProfile
from modops.accounts.permissions import ROLE_PERMISSIONS, Perm, PermissionDenied, Role, Scope
from modops.caching import TtlCache

TOKEN_PREFIX = "mo_"  # noqa: S105 - a public prefix, not a secret


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def _digest(secret: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough; no salt or stretching needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(name: str, scopes: list[str], user: User | None = None) -> IssuedToken:
    for scope in scopes:
        Scope(scope)
    body = secrets.token_urlsafe(32)
    secret = f"{TOKEN_PREFIX}{body}"
    token = ApiToken.objects.create(
        name=name, prefix=secret[:10], digest=_digest(secret), scopes=sorted(set(scopes)), user=user
    )
    return IssuedToken(token, secret)


#: A process trusts a token it has looked up for a few seconds (intake calls arrive thousands of
#: times a second). Revoking or editing a token, or editing staff, clears the cache in this process;
#: other processes see the change within that time.
_tokens: TtlCache[str, ApiToken | None] = TtlCache("tokens", 5.0, invalidate_on=(ApiToken, StaffProfile))


def authenticate_token(secret: str) -> ApiToken | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = _digest(secret)
    token = _tokens.get(
        digest, lambda: ApiToken.objects.select_related("user", "user__staff").filter(digest=digest).first()
    )
    if token is None or token.revoked_at is not None:
        return None
    return token


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


def profile_of(user: User | AnonymousUser | None) -> StaffProfile | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        profile: StaffProfile = user.staff
    except StaffProfile.DoesNotExist:
        return None
    return profile


def permissions_of(user: User | AnonymousUser | None) -> frozenset[Perm]:
    if user is not None and getattr(user, "is_superuser", False):
        return frozenset(Perm)
    profile = profile_of(user)
    if profile is None:
        return frozenset()
    return ROLE_PERMISSIONS[Role(profile.role)]


def has_perm(user: User | AnonymousUser | None, perm: Perm) -> bool:
    return perm in permissions_of(user)


def require(user: User | AnonymousUser | None, perm: Perm) -> None:
    if not has_perm(user, perm):
        raise PermissionDenied(perm.value)


def clearance_of(user: User | AnonymousUser | None) -> int:
    profile = profile_of(user)
    if user is not None and getattr(user, "is_superuser", False):
        return 3
    return profile.clearance if profile else 0
