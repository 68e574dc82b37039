"""An account's (or any subject's) standing: what is in force against it, and its record."""

from __future__ import annotations

from dataclasses import dataclass

from modops.enforcement.models import Action, ActionStatus, Strike
from modops.subjects.models import Subject


@dataclass(frozen=True)
class Standing:
    subject: Subject
    active_actions: list[Action]
    strikes: list[Strike]
    history: list[Action]

    @property
    def label(self) -> str:
        types = {a.type for a in self.active_actions}
        if "indefinite_suspension" in types:
            return "indefinitely_suspended"
        if "suspension" in types:
            return "suspended"
        if "timeout" in types:
            return "timed_out"
        if self.strikes:
            return "has_strikes"
        return "good"


def standing(subject: Subject, history_limit: int = 100) -> Standing:
    actions = list(
        Action.objects.filter(subject=subject).select_related("policy").order_by("-created_at")[:history_limit]
    )
    active = [
        a
        for a in actions
        if a.status == ActionStatus.ACTIVE and a.type in {"suspension", "timeout", "indefinite_suspension"}
    ]
    strikes = list(
        Strike.objects.filter(account=subject, expired=False, voided=False)
        .select_related("policy")
        .order_by("expires_at")
    )
    return Standing(subject, active, strikes, actions)
