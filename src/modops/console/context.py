"""Template context for every console page: the signed-in person's permissions and the nav."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from modops.accounts import exposure
from modops.accounts.permissions import Perm
from modops.accounts.services import permissions_of, profile_of


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    key: str


#: (label, url name, permissions of which one is needed). Links to pages not installed are left out,
#: so later areas (insights, cases, ...) appear once their URLs exist.
NAV = [
    ("My queues", "console:queues", {Perm.REVIEW_CLAIM, Perm.REVIEW_VIEW_ALL}),
    ("Lookup", "console:lookup", {Perm.SUBJECTS_VIEW}),
    ("Insights", "insights:index", {Perm.INSIGHTS_VIEW}),
    ("Team exposure", "console:team", {Perm.TEAM_VIEW}),
]


def console(request: HttpRequest) -> dict[str, object]:
    user = request.user
    if not user.is_authenticated:
        return {"console_perms": frozenset(), "console_nav": []}
    perms = permissions_of(user)
    nav = []
    for label, name, needed in NAV:
        if not needed & perms:
            continue
        try:
            nav.append(NavLink(label, reverse(name), name))
        except NoReverseMatch:
            continue
    profile = profile_of(user)
    seconds = exposure.seconds_for(user)
    return {
        "console_perms": frozenset(p.value for p in perms),
        "console_nav": nav,
        "console_profile": profile,
        "console_exposure_minutes": int(seconds // 60),
        "console_exposure_cap_minutes": exposure.cap_seconds() // 60,
        "console_over_exposure": seconds >= exposure.cap_seconds(),
        "console_is_admin": user.is_staff,
    }
