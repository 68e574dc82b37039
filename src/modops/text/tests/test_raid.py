from modops.text.raid import LOCKDOWN, RaidDetector

RAID = "this streamer is garbage lol get out {}"


def test_burst_of_first_time_chatters_raises_one_incident() -> None:
    detector = RaidDetector(window_s=60, min_accounts=4)
    incidents = [detector.observe("chan", f"bot{i}", RAID.format(i % 2), 100 + i, first_time=True) for i in range(8)]
    raised = [i for i in incidents if i is not None]
    assert len(raised) == 1
    incident = raised[0]
    assert incident.channel == "chan"
    assert len(incident.accounts) == 4
    assert incident.started_at == 100
    assert incident.recommended_lockdown == LOCKDOWN


def test_established_accounts_are_not_a_raid() -> None:
    detector = RaidDetector(min_accounts=3)
    results = [detector.observe("c", f"fan{i}", "GG GG GG", 10 + i, account_created_at=0.0 - 10**8) for i in range(10)]
    assert all(r is None for r in results)


def test_slow_trickle_outside_window_is_not_a_raid() -> None:
    detector = RaidDetector(window_s=10, min_accounts=3)
    results = [detector.observe("c", f"n{i}", RAID.format(0), i * 60, first_time=True) for i in range(6)]
    assert all(r is None for r in results)


def test_same_campaign_in_two_channels_shares_campaign_id() -> None:
    detector = RaidDetector(min_accounts=3)
    first = [detector.observe("one", f"a{i}", RAID.format(""), i, first_time=True) for i in range(3)]
    second = [detector.observe("two", f"b{i}", RAID.format(""), 50 + i, first_time=True) for i in range(3)]
    other = [
        detector.observe("three", f"c{i}", "completely different spam text here", i, first_time=True) for i in range(3)
    ]
    a, b, c = first[-1], second[-1], other[-1]
    assert a is not None and b is not None and c is not None
    assert a.campaign_id == b.campaign_id != c.campaign_id
