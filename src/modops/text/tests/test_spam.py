from modops.text.spam import (
    LinkFilter,
    NearDuplicateDetector,
    RepeatDetector,
    caps_flood,
    emote_flood,
    symbol_flood,
)


def test_caps_flood_needs_enough_letters() -> None:
    assert caps_flood("WHY IS NOBODY LISTENING TO ME") is not None
    assert caps_flood("LOL OK") is None
    assert caps_flood("why is nobody listening to me") is None


def test_symbol_flood() -> None:
    assert symbol_flood("!!!!!!!!!!!!!!!!!!!!!!????") is not None
    assert symbol_flood("well, that's fine!") is None


def test_emote_flood_by_positions_and_heuristic() -> None:
    assert emote_flood("x", emote_positions=[(0, 1)] * 11) is not None
    assert emote_flood(" ".join(["Kappa", "PogChamp", "LUL"] * 4)) is not None
    assert emote_flood("Kappa nice play") is None


def test_links_outside_allow_list() -> None:
    links = LinkFilter(allowed_hosts=["twitch.tv"])
    assert links.check("see clips.twitch.tv/abc") is None
    hit = links.check("free followers at bigfollows.com now")
    assert hit is not None and "bigfollows.com" in hit.detail
    assert links.check("no links here. really") is None


def test_repeat_detector_uses_given_clock() -> None:
    detector = RepeatDetector(window_s=10, max_repeats=2)
    assert detector.observe("u", "buy now", 0) is None
    assert detector.observe("u", "BUY NOW", 1) is None
    assert detector.observe("u", "buy now", 2) is not None
    assert detector.observe("u", "buy now", 100) is None
    assert detector.observe("v", "buy now", 100) is None


def test_near_duplicates_across_accounts_within_window() -> None:
    detector = NearDuplicateDetector(window_s=30, threshold=0.5)
    assert detector.observe("a", "follow my channel for free stuff today", 0) == set()
    assert detector.observe("b", "follow my channel for free stuff today!!", 1) == {"a"}
    assert detector.observe("c", "what a great play by the streamer", 2) == set()
    assert detector.observe("d", "follow my channel for free stuff today", 100) == set()
