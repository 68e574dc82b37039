#!/usr/bin/env bash
# Every benchmark, one after the other, each printing markdown with the command that produced it.
# Results are collected in bench/out/ (not committed); docs/benchmarks.md records the figures.
# Set BENCH=name to run one (core, console, kpis, media, text, quality, screening, simulate).
# Set OLID=path/to/olid-training-v1.0.tsv for the quality figures on unseen tweets, and
# OLID_TEST=testset-levela.tsv OLID_TEST_LABELS=labels-levela.csv for those on its test split.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || true; }
mkdir -p bench/out
PY=.venv/bin/python
run() {
  local name=$1; shift
  if [ -n "${BENCH:-}" ] && [ "$BENCH" != "$name" ]; then return 0; fi
  echo "### $name: $*" | tee "bench/out/$name.md"
  "$PY" "$@" 2>&1 | tee -a "bench/out/$name.md"
}
run core bench/bench_core.py
run console bench/bench_console.py
run simulate bench/bench_simulate.py
run text bench/bench_text.py --second-stage
run quality bench/eval_text.py ${OLID:+--olid "$OLID"} ${OLID_TEST:+--test "$OLID_TEST" --test-labels "$OLID_TEST_LABELS" --second-stage}
run screening bench/bench_screening.py
run media bench/bench_media.py
run kpis bench/bench_kpis.py --items 1000000 --runs 3
