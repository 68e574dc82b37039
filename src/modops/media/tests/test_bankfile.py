from __future__ import annotations

import io

import pytest
from threatexchange.signal_type.pdq.signal import PdqSignal

from modops.media import BankFileEntry, BankFileError, SignalType, read_bank_file, write_bank_file

PDQ = PdqSignal.get_examples()[0]
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def test_round_trip_keeps_types_signals_and_metadata() -> None:
    entries = [
        BankFileEntry(SignalType.PDQ, PDQ, {"case": "7", "note": 'has "quotes", commas'}),
        BankFileEntry(SignalType.MD5, MD5, {"case": "8"}),
        BankFileEntry(SignalType.VIDEO_MD5, MD5, {}),
        BankFileEntry(SignalType.VPDQ, f'["{PDQ},100,0.000"]', {"note": "line\nbreak"}),
    ]
    out = io.StringIO()
    assert write_bank_file(entries, out) == 4
    text = out.getvalue()
    assert text.splitlines()[0] == "signal_type,signal,case,note"
    assert read_bank_file(text) == entries


def test_signal_types_use_threatexchange_names() -> None:
    text = f"signal_type,signal\npdq,{PDQ}\nvideo_md5,{MD5.upper()}\n"
    entries = read_bank_file(text)
    assert [e.signal_type.value for e in entries] == ["pdq", "video_md5"]
    assert entries[1].signal == MD5


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        (f"pdq,{PDQ}\npdq,xyz\n", 3, "invalid pdq signal"),
        (f"pdq,{PDQ}\nphash,{PDQ}\n", 3, "unknown signal type 'phash'"),
        (f"pdq,{PDQ},extra\n", 2, "expected 2 columns, found 3"),
        ("md5,\n", 2, "signal is empty"),
        (f"md5,{MD5}\n\nmd5,{MD5[:-1]}\n", 4, "not a valid MD5"),
    ],
)
def test_malformed_line_reports_its_number_and_reason(body: str, line: int, reason: str) -> None:
    with pytest.raises(BankFileError) as error:
        read_bank_file("signal_type,signal\n" + body)
    assert error.value.line == line
    assert reason in error.value.reason


def test_bad_header_is_refused() -> None:
    with pytest.raises(BankFileError, match="line 1: header must start"):
        read_bank_file(f"signal,signal_type\n{PDQ},pdq\n")
    with pytest.raises(BankFileError, match="empty"):
        read_bank_file("")


def test_several_errors_can_be_collected() -> None:
    text = "signal_type,signal\npdq,bad\nmd5,bad\npdq," + PDQ + "\n"
    with pytest.raises(BankFileError, match=r"2 bad lines: line 2: .*; line 3: ") as error:
        read_bank_file(text, max_errors=10)
    assert error.value.line == 2


def test_progress_is_reported_and_nothing_returned_on_error() -> None:
    rows = "".join(f"md5,{i:032x}\n" for i in range(25_000))
    seen: list[int] = []
    entries = read_bank_file("signal_type,signal\n" + rows, progress=seen.append)
    assert len(entries) == 25_000
    assert seen == [10_000, 20_000, 25_000]
    with pytest.raises(BankFileError) as error:
        read_bank_file("signal_type,signal\n" + rows + "md5,zz\n")
    assert error.value.line == 25_002
