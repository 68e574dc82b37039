"""Roles, named permissions and API token scopes.

Permissions are checked in services (``require``), so the API and the console cannot disagree.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MODERATOR = "moderator"
    SENIOR_MODERATOR = "senior_moderator"
    INVESTIGATOR = "investigator"
    TEAM_LEAD = "team_lead"
    OPERATIONS_MANAGER = "operations_manager"
    POLICY_LIAISON = "policy_liaison"
    ADMINISTRATOR = "administrator"


class Perm(StrEnum):
    REVIEW_CLAIM = "review.claim"
    REVIEW_DECIDE = "review.decide"
    REVIEW_ESCALATE = "review.escalate"
    REVIEW_VIEW_ALL = "review.view_all"
    MEDIA_REVEAL = "media.reveal"
    MEDIA_REVEAL_TIER3 = "media.reveal_tier3"
    SUBJECTS_VIEW = "subjects.view"
    EVENTS_VIEW = "events.view"
    QA_REVIEW = "qa.review"
    APPEALS_DECIDE = "appeals.decide"
    CASES_MANAGE = "cases.manage"
    INSIGHTS_VIEW = "insights.view"
    TEAM_VIEW = "team.view"
    CONFIG_EDIT_POLICIES = "config.edit_policies"
    CONFIG_EDIT_QUEUES = "config.edit_queues"
    ADMIN_TOKENS = "admin.tokens"
    CHANNELS_MODERATE = "channels.moderate"


# Moderators see a subject's event timeline: prior decisions are part of judging it.
_MODERATOR = {
    Perm.REVIEW_CLAIM,
    Perm.REVIEW_DECIDE,
    Perm.REVIEW_ESCALATE,
    Perm.MEDIA_REVEAL,
    Perm.SUBJECTS_VIEW,
    Perm.EVENTS_VIEW,
    Perm.CHANNELS_MODERATE,
}
_SENIOR = _MODERATOR | {Perm.QA_REVIEW, Perm.APPEALS_DECIDE}
_INVESTIGATOR = _MODERATOR | {Perm.CASES_MANAGE, Perm.EVENTS_VIEW, Perm.MEDIA_REVEAL_TIER3, Perm.REVIEW_VIEW_ALL}
_LEAD = _SENIOR | {Perm.REVIEW_VIEW_ALL, Perm.INSIGHTS_VIEW, Perm.TEAM_VIEW, Perm.MEDIA_REVEAL_TIER3}
_MANAGER = {
    Perm.REVIEW_VIEW_ALL,
    Perm.SUBJECTS_VIEW,
    Perm.EVENTS_VIEW,
    Perm.INSIGHTS_VIEW,
    Perm.TEAM_VIEW,
    Perm.CONFIG_EDIT_QUEUES,
}
_LIAISON = {Perm.REVIEW_CLAIM, Perm.REVIEW_DECIDE, Perm.REVIEW_ESCALATE, Perm.SUBJECTS_VIEW, Perm.EVENTS_VIEW}
_LIAISON |= {Perm.MEDIA_REVEAL}
_LIAISON |= {Perm.CONFIG_EDIT_POLICIES, Perm.REVIEW_VIEW_ALL}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.MODERATOR: frozenset(_MODERATOR),
    Role.SENIOR_MODERATOR: frozenset(_SENIOR),
    Role.INVESTIGATOR: frozenset(_INVESTIGATOR),
    Role.TEAM_LEAD: frozenset(_LEAD),
    Role.OPERATIONS_MANAGER: frozenset(_MANAGER),
    Role.POLICY_LIAISON: frozenset(_LIAISON),
    Role.ADMINISTRATOR: frozenset(Perm),
}


class Scope(StrEnum):
    """What an API token may do."""

    INTAKE = "intake"
    MODERATION = "moderation"
    ADMIN = "admin"


class PermissionDenied(Exception):
    """A named permission or clearance check failed."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what
