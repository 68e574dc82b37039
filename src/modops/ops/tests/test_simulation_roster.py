"""Roster change strings such as ``manila:2@08-16``."""

from __future__ import annotations

import pytest

from modops.ops.simulation.model import SITES, StaffGroup
from modops.ops.simulation.roster import (
    RosterChange,
    RosterChangeError,
    apply_roster_changes,
    parse_roster_change,
)


def test_parses_site_count_and_local_shift() -> None:
    assert parse_roster_change("manila:2@08-16") == RosterChange("manila", 2, 8, 16)
    assert parse_roster_change(" Dublin : 1 @ 22-06 ") == RosterChange("dublin", 1, 22, 6)
    assert str(parse_roster_change("seattle:3@8-16")) == "seattle:3@08-16"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("manila-2@08-16", "expected site:count@HH-HH"),
        ("tokyo:2@08-16", "unknown site 'tokyo'.*known sites: dublin, manila, seattle"),
        ("manila:0@08-16", "positive"),
        ("manila:-1@08-16", "positive"),
        ("manila:2@25-03", "start.*00-23"),
        ("manila:2@08-30", "end.*00-24"),
        ("manila:2@08-08", "no length"),
    ],
)
def test_bad_changes_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(RosterChangeError, match=message):
        parse_roster_change(text)


def test_added_staff_get_the_site_languages_and_clearance() -> None:
    base = (StaffGroup("dublin", 1, 9, 17, frozenset({"en"}), 1),)
    staff = apply_roster_changes(base, ["manila:2@08-16"])
    assert staff[0] == base[0]
    added = staff[1]
    assert (added.site, added.count, added.languages, added.clearance) == (
        "manila",
        2,
        SITES["manila"].languages,
        SITES["manila"].clearance,
    )
    # 08-16 in Manila (UTC+8) is 00:00-08:00 UTC.
    assert added.utc_windows() == ((0.0, 8 * 3600.0),)


def test_one_bad_change_applies_none() -> None:
    with pytest.raises(RosterChangeError):
        apply_roster_changes((), ["manila:2@08-16", "mars:1@00-08"])


def test_shift_over_utc_midnight_is_split_within_the_day() -> None:
    # 16-24 in Seattle (UTC-8) is 00:00-08:00 UTC; 12-20 in Seattle is 20:00-04:00 UTC.
    group = StaffGroup("seattle", 1, 12, 20, frozenset({"en"}), 2)
    assert group.utc_windows() == ((0.0, 4 * 3600.0), (20 * 3600.0, 86_400.0))
