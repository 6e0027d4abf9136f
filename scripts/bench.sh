#!/usr/bin/env bash
# Whole-process benchmark: generate N synthetic pupils, then time `teczka validate` and
# `teczka convert` on them with /usr/bin/time -v (wall time and peak RSS), beside the floor of
# merely reading the same bytes (cat) and hashing them (sha512sum).
#
#   scripts/bench.sh [N] [WORKDIR] [SUITE]   default N=1000000, WORKDIR=target/bench, SUITE=all
#
# SUITE is `spine` (validate, convert), `policy` (pseudonymise with a key, anonymise with the
# statistics preset's seven quasi-identifiers, measure risk) or `all`.
#
# Needs ~15 GB free in WORKDIR for N=1000000 (Typical detail: ~3.5 KB of JSON Lines, ~6.7 KB of
# XML and ~1.8 KB of multi-file CSV per pupil).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
WORK=${2:-target/bench}
SUITE=${3:-all}
TODAY=2025-09-01
mkdir -p "$WORK"
cargo build --release --quiet
T=$PWD/target/release/teczka

# measure LABEL RECORDS COMMAND...: one line "label  wall s  peak RSS MB  records/s"
measure() {
  local label=$1 records=$2
  shift 2
  local log
  log=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || true
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  local summary
  summary=$(grep '^records:' "$log" | tail -n 1 || true)
  printf '%-34s %8.1f s %8.0f MB %10.0f pupils/s  %s\n' "$label" "$wall" "$((rss / 1024))" "$(echo "$records / $wall" | bc -l)" "$summary"
  rm -f "$log"
}

gen() { # FORMAT OUT
  [ -e "$WORK/$2" ] || "$T" generate -n "$N" --to "$1" -o "$WORK/$2" 2>/dev/null
}

echo "teczka $("$T" --version | cut -d' ' -f2), N=$N pupils (Typical detail), $(nproc) cores"
gen jsonl pupils.jsonl
gen sou pupils.xml
gen csv pupils-csv
du -sh "$WORK/pupils.jsonl" "$WORK/pupils.xml" "$WORK/pupils-csv" | sed 's/^/size /'




measure "floor: cat jsonl"              "$N" sh -c "cat $WORK/pupils.jsonl > /dev/null"
measure "floor: sha512sum jsonl"        "$N" sha512sum "$WORK/pupils.jsonl"

if [ "$SUITE" = spine ] || [ "$SUITE" = all ]; then
  measure "validate jsonl"                "$N" "$T" validate "$WORK/pupils.jsonl" --today $TODAY --report-file /dev/null
  measure "validate xml"                  "$N" "$T" validate "$WORK/pupils.xml" --today $TODAY --report-file /dev/null
  measure "validate csv (14 files, join)" "$N" "$T" validate "$WORK/pupils-csv" --today $TODAY --report-file /dev/null
  rm -rf "$WORK/out.xml" "$WORK/out.jsonl" "$WORK/out-csv"
  measure "convert jsonl -> sou"          "$N" "$T" convert "$WORK/pupils.jsonl" --to sou -o "$WORK/out.xml" --today $TODAY
  measure "convert xml -> jsonl"          "$N" "$T" convert "$WORK/pupils.xml" --to jsonl -o "$WORK/out.jsonl" --today $TODAY
  measure "convert csv -> sou"            "$N" "$T" convert "$WORK/pupils-csv" --to sou -o "$WORK/out2.xml" --today $TODAY
  measure "convert jsonl -> csv"          "$N" "$T" convert "$WORK/pupils.jsonl" --to csv -o "$WORK/out-csv" --today $TODAY
fi

if [ "$SUITE" = policy ] || [ "$SUITE" = all ]; then
  rm -f "$WORK/bench.key" "$WORK"/out-*.jsonl
  "$T" keygen -o "$WORK/bench.key" 2>/dev/null
  measure "convert jsonl, no policy"      "$N" "$T" convert "$WORK/pupils.jsonl" --to jsonl -o "$WORK/out-plain.jsonl" --today $TODAY
  measure "pseudonymise (research.toml)"  "$N" "$T" convert "$WORK/pupils.jsonl" --policy fixtures/policies/research.toml --key "$WORK/bench.key" --to jsonl -o "$WORK/out-pseudo.jsonl" --today $TODAY
  measure "anonymise (statistics, 7 QIs)" "$N" "$T" convert "$WORK/pupils.jsonl" --policy statistics --to jsonl -o "$WORK/out-stats.jsonl" --today $TODAY
  measure "risk (statistics)"             "$N" "$T" risk "$WORK/pupils.jsonl" --policy statistics --today $TODAY -o "$WORK/risk.txt"
  grep -m1 -A1 'anonymised to' "$WORK/risk.txt" 2>/dev/null || true
fi

rm -rf "$WORK/out.xml" "$WORK/out2.xml" "$WORK/out.jsonl" "$WORK/out-csv" "$WORK"/out-*.jsonl "$WORK"/*.rejects.jsonl
