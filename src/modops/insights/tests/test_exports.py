from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from modops.insights.exports import TABLES
from modops.insights.tests.dataset import build

pytestmark = pytest.mark.django_db


def test_parquet_export_writes_each_table_with_its_documented_columns(tmp_path, capsys):
    ds = build()
    call_command("export", "--format", "parquet", "--since", "2025-03-03", "--output", str(tmp_path))
    captured = capsys.readouterr()
    assert "items" in captured.err  # the progress bar goes to stderr
    items = pq.read_table(tmp_path / "items.parquet")
    assert items.num_rows == 7  # I1-I6 and I9 were first seen on or after the 3rd
    assert items.column_names == [c.name for c in TABLES[0].columns]
    row = {r["item_id"]: r for r in items.to_pylist()}[str(ds.items["I2"].id)]
    assert row["language"] == "de"
    assert row["queue"] == "kq-general"
    assert row["closed_at"].isoformat() == "2025-03-03T11:30:00+00:00"
    assert pq.read_table(tmp_path / "reports.parquet").num_rows == 7
    assert pq.read_table(tmp_path / "decisions.parquet").num_rows == 5
    assert pq.read_table(tmp_path / "actions.parquet").num_rows == 6
    events = pq.read_table(tmp_path / "events.parquet").to_pylist()
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert json.loads(events[0]["after"]) == {}
    docs = (__import__("pathlib").Path(__file__).parents[4] / "docs" / "exports.md").read_text()
    for table in TABLES:
        for column in table.columns:
            assert f"`{column.name}`" in docs, f"{table.name}.{column.name} is not documented"


def test_csv_export_has_a_header_and_one_line_per_record(tmp_path):
    build()
    call_command("export", "--format", "csv", "--since", "2025-03-01", "--output", str(tmp_path), "--no-progress")
    with (tmp_path / "decisions.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6  # I8's decision on the 2nd is included from the 1st
    assert {r["decided_by"] for r in rows} == {"alice", "bob", "carol"}


@pytest.mark.parametrize("since", ["last week", "2025-13-01", ""])
def test_a_bad_since_is_refused(tmp_path, since):
    with pytest.raises(CommandError, match="since"):
        call_command("export", "--since", since, "--output", str(tmp_path))
