#!/usr/bin/env bash
# Whole-process benchmark of `teczka export` against the floor of the same machine, in the same
# run (issue 4):
#
#   scripts/bench-export.sh [N] [WORKDIR]     default N=1000000, WORKDIR=target/bench-export
#
# 1. generates N synthetic pupils as a multi-file CSV export (14 files), and the same at N/10;
# 2. times `teczka export INPUT --policy transfer --encrypt-to <fresh age recipient>` (release
#    build; default formats sou,csv,jsonl; Deflate level 6; age encryption of the whole zip);
# 3. decrypts and unzips the archive's data/records/ (untimed): the record bytes it holds;
# 4. times the floor on those bytes, using the two cores the way the export does (it hashes
#    and compresses different files on rayon threads at once): `cat` the inputs, then
#    `sha512sum` of the records on one core while `gzip -1` compresses the same records on the
#    other; the floor's wall time is that whole sequence;
# 5. prints wall time and peak RSS of each, the ratio export/floor, and the export's peak RSS
#    at N/10 beside N (memory must not grow with the number of records).
#
# Needs: a Rust toolchain, /usr/bin/time (Debian `time`), `age` and `unzip` (Debian `age`,
# `unzip`), coreutils and gzip. Disk: about 14 KB per pupil in WORKDIR (input, archive and the
# unpacked records: ~17 GB at N=1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
WORK=${2:-target/bench-export}
TODAY=2025-09-01
for tool in /usr/bin/time age unzip gzip sha512sum bc; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install time age unzip gzip bc" >&2; exit 2; }
done
mkdir -p "$WORK"
cargo build --release --quiet
T=${CARGO_TARGET_DIR:-$PWD/target}/release/teczka

# measure LABEL COMMAND...: sets WALL (s) and RSS (MB) from /usr/bin/time -v; fails loudly.
measure() {
  local label=$1
  shift
  local log
  log=$(mktemp)
  if ! /usr/bin/time -v "$@" >/dev/null 2>"$log"; then
    echo "$label failed:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  WALL=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' |
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  RSS=$(( $(grep 'Maximum resident set size' "$log" | awk '{print $NF}') / 1024 ))
  SUMMARY=$(grep '^records:' "$log" | tail -n 1 || true)
  rm -f "$log"
}

row() { printf '%-58s %9.1f s %7s MB  %s\n' "$1" "$2" "$3" "${4:-}"; }

# run_size N: generate, export, unpack, floor; sets EXPORT_WALL, EXPORT_RSS, FLOOR_WALL.
run_size() {
  local n=$1 dir="$WORK/n$1"
  mkdir -p "$dir"
  [ -e "$dir/input/pupils.csv" ] || "$T" generate -n "$n" --to csv -o "$dir/input" 2>/dev/null
  rm -f "$dir/vendor.age-id" "$dir/out.zip.age" "$dir/out.zip"
  rm -rf "$dir/unpacked"
  local recipient
  recipient=$("$T" keygen --age -o "$dir/vendor.age-id" 2>/dev/null)
  echo "== N=$n: input $(du -sh "$dir/input" | cut -f1) in $(ls "$dir/input" | wc -l) CSV files"

  measure "export" "$T" export "$dir/input" --policy transfer --encrypt-to "$recipient" \
    --today "$TODAY" -o "$dir/out.zip.age"
  EXPORT_WALL=$WALL EXPORT_RSS=$RSS
  row "teczka export --policy transfer --encrypt-to age1…" "$WALL" "$RSS" "$SUMMARY"

  age -d -i "$dir/vendor.age-id" -o "$dir/out.zip" "$dir/out.zip.age"
  unzip -q "$dir/out.zip" '*/data/records/*' -d "$dir/unpacked"
  local records
  records=$(find "$dir/unpacked" -type f | sort)
  echo "   archive $(du -h "$dir/out.zip.age" | cut -f1); record bytes it holds: $(du -ch $records | tail -n 1 | cut -f1) in $(echo "$records" | wc -l) files"
  # The record list goes through a file: 16 names would not fit on every sh -c command line.
  echo "$records" > "$dir/records.list"

  measure "cat" sh -c "cat \"$dir\"/input/* > /dev/null"
  row "  floor part: cat the inputs" "$WALL" "$RSS"
  measure "sha512sum" sh -c "xargs -a \"$dir/records.list\" -d '\n' cat | sha512sum"
  row "  floor part: sha512sum of the records" "$WALL" "$RSS"
  measure "gzip" sh -c "xargs -a \"$dir/records.list\" -d '\n' cat | gzip -1 > /dev/null"
  row "  floor part: gzip -1 of the records" "$WALL" "$RSS"
  measure "floor" sh -c "cat \"$dir\"/input/* > /dev/null &&
    { xargs -a \"$dir/records.list\" -d '\n' cat | sha512sum > /dev/null &
      xargs -a \"$dir/records.list\" -d '\n' cat | gzip -1 > /dev/null; wait; }"
  FLOOR_WALL=$WALL
  row "floor: cat inputs; then sha512sum ∥ gzip -1 of the records" "$WALL" "$RSS"
  printf '   ratio export/floor: %.2f\n' "$(echo "$EXPORT_WALL / $FLOOR_WALL" | bc -l)"
  rm -rf "$dir/unpacked" "$dir/out.zip"
}

echo "teczka $("$T" --version | cut -d' ' -f2), $(nproc) cores; load: $(uptime | sed 's/.*load average/load average/')"
run_size $((N / 10))
SMALL_RSS=$EXPORT_RSS
run_size "$N"
echo "peak RSS of the export: $SMALL_RSS MB at $((N / 10)) pupils, $EXPORT_RSS MB at $N pupils"
echo "load after: $(uptime | sed 's/.*load average/load average/')"
