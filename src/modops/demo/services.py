"""A living demo platform: sites, staff, channels, live streams, and a day of reports and detections."""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from modops.accounts.models import Site, StaffProfile
from modops.accounts.permissions import Role
from modops.accounts.services import create_token
from modops.enforcement.models import Adapter
from modops.intake.models import ReportSource
from modops.intake.services import DetectionInput, ReportInput, submit_detection, submit_report
from modops.policies.models import Policy
from modops.review.models import ItemStatus, ReviewItem
from modops.review.services import DecisionInput, decide
from modops.subjects.kinds import SubjectKind
from modops.subjects.services import SubjectRef
from modops.workforce.models import Assignment, Shift

#: Reports and detections loaded per transaction.
DEMO_BATCH = 500
DEFAULT_PASSWORD = "demo-password-change-me"  # noqa: S105 - the documented demo default
LANGUAGES = ["en", "es", "de", "pt", "ja"]
LANGUAGE_WEIGHTS = [60, 15, 10, 8, 7]
SITES = [
    ("seattle", "Seattle", "America/Los_Angeles", "americas", ["en", "es"]),
    ("dublin", "Dublin", "Europe/Dublin", "emea", ["en", "de", "pt"]),
    ("manila", "Manila", "Asia/Manila", "apac", ["en", "ja"]),
]
ALL_SKILLS = ["child_safety", "violent_extremism", "legal", "self_harm", "hateful_conduct", "harassment", "spam_scams"]
#: One account per role, named after it.
ROLE_ACCOUNTS = [
    ("moderator", Role.MODERATOR, 1, ["en"], [], "dublin"),
    ("senior", Role.SENIOR_MODERATOR, 2, ["en", "es"], ["self_harm"], "seattle"),
    ("investigator", Role.INVESTIGATOR, 3, ["en", "de"], ["child_safety", "violent_extremism"], "dublin"),
    ("lead", Role.TEAM_LEAD, 3, LANGUAGES, ALL_SKILLS, "dublin"),
    ("manager", Role.OPERATIONS_MANAGER, 1, ["en"], [], "seattle"),
    ("liaison", Role.POLICY_LIAISON, 2, ["en"], ["legal"], "dublin"),
    ("admin", Role.ADMINISTRATOR, 3, LANGUAGES, ALL_SKILLS, "dublin"),
]
POLICY_WEIGHTS = {
    "spam_scams": 30,
    "harassment": 20,
    "hateful_conduct": 15,
    "sexual_content": 8,
    "violence_threats": 6,
    "misinformation": 4,
    "impersonation": 4,
    "self_harm": 3,
    "illegal_activity": 3,
    "suspension_evasion": 3,
    "private_information": 2,
    "off_service_conduct": 1,
    "youth_safety": 0.5,
    "violent_extremism": 0.5,
}
DETECTION_SOURCES = {
    "hateful_conduct": "automod",
    "harassment": "automod",
    "spam_scams": "classifier:spam",
    "sexual_content": "classifier:nudity",
    "youth_safety": "hash_match",
    "violent_extremism": "hash_match",
}


@dataclass
class DemoSummary:
    staff: int
    reports: int
    detections: int
    decisions: int
    intake_token: str


def _hour_weight(hour: int) -> float:
    # Evening peak in the Americas (UTC 00-04) and a smaller one in Europe (UTC 18-21).
    return 1.0 + 0.8 * math.cos((hour - 2) / 24 * 2 * math.pi) + 0.3 * math.cos((hour - 19) / 24 * 2 * math.pi)


def _staff(password: str) -> int:
    users = get_user_model()
    sites = {}
    for name, city, tz, region, _ in SITES:
        sites[name], _ = Site.objects.get_or_create(
            name=name, defaults={"city": city, "time_zone": tz, "region": region}
        )
    count = 0
    # Argon2 takes most of a second per hash by design: hash the one demo password once.
    hashed = make_password(password)
    accounts = list(ROLE_ACCOUNTS)
    for name, _, _, _, languages in SITES:
        for i in range(1, 5):
            accounts.append((f"{name[:3]}-mod{i}", Role.MODERATOR, 1 + i % 2, languages, ["harassment"], name))
    for username, role, clearance, languages, skills, site in accounts:
        user, created = users.objects.get_or_create(username=username)
        if created:
            user.password = hashed
            user.is_staff = role == Role.ADMINISTRATOR
            user.is_superuser = role == Role.ADMINISTRATOR
            user.save()
        StaffProfile.objects.update_or_create(
            user=user,
            defaults={
                "role": role.value,
                "clearance": clearance,
                "languages": list(languages),
                "skills": list(skills),
                "site": sites[site],
                "time_zone": sites[site].time_zone,
            },
        )
        count += 1
    _roster(sites, now=timezone.now())
    return count


#: Each site staffs a day and an evening shift, seven days a week, in local time: follow-the-sun.
SHIFTS = [("day", 8, 16), ("evening", 16, 24)]


def _roster(sites: dict[str, Site], now: datetime) -> None:
    """Shifts at every site and everyone assigned to one, so coverage and staffing views have data."""
    start = (now - timedelta(days=35)).date()
    for site in sites.values():
        shifts = [
            Shift.objects.get_or_create(
                site=site,
                name=name,
                defaults={"weekdays": list(range(7)), "start_hour": begin, "end_hour": end, "shrinkage": 0.3},
            )[0]
            for name, begin, end in SHIFTS
        ]
        for i, staff in enumerate(StaffProfile.objects.filter(site=site).order_by("user__username")):
            if not Assignment.objects.filter(staff=staff).exists():
                Assignment.objects.create(staff=staff, shift=shifts[i % len(shifts)], starts_on=start)


def _subject(
    rng: random.Random, channels: list[tuple[str, str, int]], live: dict[str, int], language: str
) -> SubjectRef:
    channel, owner, followers = rng.choice(channels)
    stream_id = f"st_{channel}" if channel in live else None
    viewers = live.get(channel)
    roll = rng.random()
    author = f"acc_{rng.randint(1, 1500)}"
    if roll < 0.6:
        return SubjectRef(
            kind=SubjectKind.CHAT_MESSAGE,
            id=f"msg_{rng.getrandbits(48):x}",
            account_id=author,
            channel_id=channel,
            stream_id=stream_id,
            live=viewers is not None if stream_id else None,
            language=language,
            text="(demo chat message)",
        )
    if roll < 0.8 and stream_id:
        return SubjectRef(
            kind=SubjectKind.STREAM,
            id=stream_id,
            account_id=owner,
            channel_id=channel,
            live=True,
            viewers=viewers,
            language=language,
        )
    if roll < 0.9:
        return SubjectRef(kind=SubjectKind.ACCOUNT, id=author, language=language)
    return SubjectRef(
        kind=SubjectKind.CLIP,
        id=f"clip_{rng.getrandbits(40):x}",
        account_id=owner,
        channel_id=channel,
        followers=followers,
    )


def load_demo(reports: int = 3000, detections: int = 1000, seed: int = 7, now: datetime | None = None) -> DemoSummary:
    rng = random.Random(seed)
    now = now or timezone.now()
    password = os.environ.get("MODOPS_DEMO_PASSWORD", DEFAULT_PASSWORD)
    with transaction.atomic():
        staff = _staff(password)
        Adapter.objects.get_or_create(name="demo-log", defaults={"kind": "log"})
        token = create_token("demo-intake", ["intake"]).secret
    channels = [(f"ch_{i}", f"acc_owner_{i}", int(rng.lognormvariate(8, 1.5))) for i in range(1, 41)]
    live = {c[0]: int(rng.lognormvariate(6, 1.6)) for c in rng.sample(channels, 12)}
    storm_channel = max(live, key=lambda c: live[c])
    codes = list(POLICY_WEIGHTS)
    weights = list(POLICY_WEIGHTS.values())
    hours = [_hour_weight(h) for h in range(24)]
    start = now - timedelta(hours=24)

    def when() -> datetime:
        hour = rng.choices(range(24), hours)[0]
        return start + timedelta(hours=hour, seconds=rng.uniform(0, 3600))

    events: list[tuple[datetime, ReportInput | DetectionInput]] = []
    for n in range(reports):
        language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        events.append(
            (
                when(),
                ReportInput(
                    subject=_subject(rng, channels, live, language),
                    policy_code=rng.choices(codes, weights)[0],
                    reporter_id=f"acc_{rng.randint(1, 1500)}",
                    text="(demo report)",
                    language=language,
                    source=ReportSource.TRUSTED_FLAGGER if n % 50 == 0 else ReportSource.USER,
                    reporter_trust=round(rng.uniform(0.2, 0.9), 2),
                ),
            )
        )
    # A storm: the biggest live stream draws hundreds of hateful-conduct reports within minutes.
    storm_subject = SubjectRef(
        kind=SubjectKind.STREAM,
        id=f"st_{storm_channel}",
        account_id=f"acc_owner_{storm_channel[3:]}",
        channel_id=storm_channel,
        live=True,
        viewers=live[storm_channel],
        language="en",
    )
    for i in range(300):
        at = now - timedelta(minutes=12) + timedelta(seconds=i * 2)
        events.append(
            (at, ReportInput(storm_subject, "hateful_conduct", f"acc_{rng.randint(1, 1500)}", "hate raid", "en"))
        )
    for _ in range(detections):
        code = rng.choice(list(DETECTION_SOURCES))
        language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        events.append(
            (
                when(),
                DetectionInput(
                    subject=_subject(rng, channels, live, language),
                    source=DETECTION_SOURCES[code],
                    score=round(rng.betavariate(5, 2), 3),
                    policy_code=code,
                    language=language,
                ),
            )
        )
    events.sort(key=lambda e: e[0])
    made_reports = made_detections = 0
    # One commit per batch instead of per report: each submit still runs in its own savepoint.
    for first in range(0, len(events), DEMO_BATCH):
        with transaction.atomic():
            for at, data in events[first : first + DEMO_BATCH]:
                if isinstance(data, ReportInput):
                    submit_report(ReportInput(**{**data.__dict__, "at": at}), "api:demo-platform")
                    made_reports += 1
                else:
                    submit_detection(DetectionInput(**{**data.__dict__, "at": at}), "api:demo-platform")
                    made_detections += 1
    with transaction.atomic():
        decisions = _decide_some(rng, now)
    return DemoSummary(staff, made_reports, made_detections, decisions, token)


def _decide_some(rng: random.Random, now: datetime) -> int:
    """Close about a third of the items older than two hours, so standing and history are not empty."""
    deciders = [get_user_model().objects.get(username=name) for name in ("lead", "senior")]
    old = ReviewItem.objects.filter(status=ItemStatus.OPEN, first_seen_at__lt=now - timedelta(hours=2), tier__lte=2)
    made = 0
    for item in old.order_by("first_seen_at"):
        if rng.random() > 0.35:
            continue
        violation = rng.random() < 0.55
        try:
            decide(
                rng.choice(deciders),
                item.id,
                DecisionInput(violation=violation, version=item.version, note="demo decision"),
            )
        except ValueError:
            continue
        made += 1
    return made


def is_empty() -> bool:
    return not ReviewItem.objects.exists() and not Policy.objects.filter(active=False).exists() and not _has_staff()


def _has_staff() -> bool:
    return StaffProfile.objects.exists()
