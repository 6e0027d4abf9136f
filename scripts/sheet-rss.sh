#!/usr/bin/env bash
# Peak memory and time of reading one big worksheet: N synthetic pupils written as an .xlsx by
# teczka itself (one sheet `pupils` of N rows), then `teczka validate` on it and, for the floor,
# on the same pupils as a CSV folder, each under /usr/bin/time -v.
#
#   scripts/sheet-rss.sh [N] [WORKDIR]   default N=1000000, WORKDIR=target/bench
#
# Needs ~2.5 GB free in WORKDIR for N=1000000 (the xlsx is ~120 MB, the CSV folder ~450 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
WORK=${2:-target/bench}
mkdir -p "$WORK"
cargo build --release --quiet
T=$PWD/target/release/teczka

# measure LABEL COMMAND...: one line "label  wall s  peak RSS MB  summary"
measure() {
  local label=$1
  shift
  local log
  log=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || true
  local wall rss summary
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  summary=$(grep '^records:' "$log" | tail -n 1 || true)
  printf '%-28s %8.1f s %8.0f MB  %s\n' "$label" "$wall" "$((rss / 1024))" "$summary"
  rm -f "$log"
}

[ -e "$WORK/sheet-$N.xlsx" ] || "$T" generate -n "$N" --detail minimal --to xlsx -o "$WORK/sheet-$N.xlsx" 2>/dev/null
[ -e "$WORK/sheet-$N-csv" ] || "$T" generate -n "$N" --detail minimal --to csv -o "$WORK/sheet-$N-csv" 2>/dev/null
ls -l "$WORK/sheet-$N.xlsx"
measure "validate xlsx ($N rows)" "$T" validate --today 2025-09-01 "$WORK/sheet-$N.xlsx"
measure "validate csv ($N rows)" "$T" validate --today 2025-09-01 "$WORK/sheet-$N-csv"
