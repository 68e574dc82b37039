"""Read and write bank files in the threatexchange / HMA CSV form.

The first row is a header: ``signal_type,signal`` followed by any metadata column
names. Each following row is one signal; signal types use threatexchange's names
(``pdq``, ``md5``, ``video_md5``, ``vpdq`` ...). Every row is validated and the whole
file is parsed before anything is returned, so a bad line never leaves a bank half
imported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from .signals import SignalType, parse_signal_type, validate_signal

REQUIRED_COLUMNS = ("signal_type", "signal")
PROGRESS_EVERY = 10_000

ProgressCallback = Callable[[int], None]
"""Called with the number of rows handled so far (every ``PROGRESS_EVERY`` rows and at
the end)."""


class BankFileError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BankFileEntry:
    signal_type: SignalType
    signal: str
    metadata: Mapping[str, str] = field(default_factory=dict)


def read_bank_file(
    source: TextIO | str,
    *,
    progress: ProgressCallback | None = None,
    max_errors: int = 1,
) -> list[BankFileEntry]:
    """Parse a whole bank file; raise :class:`BankFileError` on the first bad line.

    With ``max_errors`` above 1, up to that many problems are collected and raised
    together (the first one's line number on the exception, all in its message).
    """
    stream = io.StringIO(source) if isinstance(source, str) else source
    reader = csv.reader(stream, strict=True)
    errors: list[BankFileError] = []
    try:
        header = next(reader)
    except StopIteration:
        raise BankFileError(1, "file is empty: expected a header row") from None
    except csv.Error as exc:
        raise BankFileError(1, f"malformed CSV: {exc}") from None
    columns = [c.strip() for c in header]
    if tuple(columns[:2]) != REQUIRED_COLUMNS:
        raise BankFileError(1, f"header must start with signal_type,signal; got {header!r}")
    extra = columns[2:]
    if any(not c for c in extra):
        raise BankFileError(1, "metadata column names must not be empty")
    if len(set(columns)) != len(columns):
        raise BankFileError(1, "duplicate column names in header")

    entries: list[BankFileEntry] = []
    rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(BankFileError(reader.line_num, f"malformed CSV: {exc}"))
            break
        rows += 1
        line = reader.line_num
        if progress is not None and rows % PROGRESS_EVERY == 0:
            progress(rows)
        if not row or all(not cell.strip() for cell in row):
            continue
        try:
            entries.append(_parse_row(row, columns, extra))
        except ValueError as exc:
            errors.append(BankFileError(line, str(exc)))
            if len(errors) >= max_errors:
                break
    if errors:
        if len(errors) == 1:
            raise errors[0]
        combined = "; ".join(str(e) for e in errors)
        raise BankFileError(errors[0].line, f"{len(errors)} bad lines: {combined}")
    if progress is not None:
        progress(rows)
    return entries


def _parse_row(row: list[str], columns: list[str], extra: list[str]) -> BankFileEntry:
    if len(row) != len(columns):
        raise ValueError(f"expected {len(columns)} columns, found {len(row)}")
    signal_type = parse_signal_type(row[0])
    if not row[1].strip():
        raise ValueError("signal is empty")
    try:
        signal = validate_signal(signal_type, row[1])
    except ValueError as exc:
        raise ValueError(f"invalid {signal_type.value} signal: {exc}") from None
    metadata = {name: value for name, value in zip(extra, row[2:], strict=True) if value != ""}
    return BankFileEntry(signal_type, signal, metadata)


def write_bank_file(
    entries: Iterable[BankFileEntry],
    out: TextIO,
    *,
    metadata_columns: Iterable[str] | None = None,
    progress: ProgressCallback | None = None,
) -> int:
    """Write entries in bank-file form; returns the number of rows written.

    Metadata columns default to the sorted union of all entries' metadata keys.
    """
    materialised = list(entries)
    if metadata_columns is None:
        names: set[str] = set()
        for entry in materialised:
            names.update(entry.metadata)
        columns = sorted(names)
    else:
        columns = list(metadata_columns)
    clash = set(columns) & set(REQUIRED_COLUMNS)
    if clash:
        raise ValueError(f"metadata columns may not be named {sorted(clash)}")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*REQUIRED_COLUMNS, *columns])
    for count, entry in enumerate(materialised, start=1):
        writer.writerow([entry.signal_type.value, entry.signal, *(entry.metadata.get(c, "") for c in columns)])
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if progress is not None:
        progress(len(materialised))
    return len(materialised)
