#!/bin/bash
# teczka against the plain Python peer (../shared/bench), side by side in one run.
#
#   bash scripts/bench-compare.sh [PUPILS] [WORKDIR] [BENCH_DIR]   (from the project root)
#
# The same jobs as ../shared/bench/compare.sh: the peer (validate, HMAC-SHA-256 of seven fields,
# deflated zip) against `teczka export` under the peer-equivalent policy (CSV records, deflate
# level 6 and 1), and the real vendor-change job (transfer preset, all formats, age); then the
# issue's other whole-process targets on the same pupils: `sar` for one PESEL over the CSV, and
# SOU-like XML validation against `xmllint --stream` (when installed). The peer
# policy releases direct identifiers, so teczka refuses to write its archive in the clear unless
# told: `--unencrypted` is passed here, and every run's exit status is checked, so a refused
# run can never pass for a fast one. Machines are noisy: compare ratios, not seconds.
set -euo pipefail
N=${1:-1000000}; W=${2:-/tmp/teczka-compare}; B=${3:-$(cd "$(dirname "$0")/../../shared/bench" 2>/dev/null && pwd)}
[ -f "$B/peer_stdlib.py" ] || { echo "no peer in $B: give the bench folder as the third argument" >&2; exit 2; }
mkdir -p "$W"; cargo build --release -q; T=$PWD/target/release/teczka
[ -f "$W/pupils-$N.csv" ] || python3 "$B/gen.py" -n "$N" --format csv --out "$W/pupils-$N" >/dev/null
csv=$W/pupils-$N.csv; rm -f "$W"/*.zip "$W"/*.age "$W/key" "$W/id"
"$T" keygen -o "$W/key" >/dev/null 2>&1
rcpt=$("$T" keygen --age -o "$W/id" 2>&1 | grep -Eo 'age1[0-9a-z]+' | head -n 1)
run() {
  local status=0
  /usr/bin/time -f '%e %M %P' -o "$W/$1.time" "${@:2}" >"$W/$1.log" 2>&1 || status=$?
  # 0 = every record out, 1 = some rejected (the generated data has bad rows); 2 = failure.
  if [ "$status" -gt 1 ]; then echo "$1 failed (exit $status): see $W/$1.log" >&2; tail -3 "$W/$1.log" >&2; exit 1; fi
}
run peer python3 "$B/peer_stdlib.py" "$csv" "$W/peer.zip"
run same "$T" export "$csv" --policy "$B/teczka-peer-policy.toml" --key "$W/key" --formats csv --unencrypted -o "$W/same.zip"
run same-l1 "$T" export "$csv" --policy "$B/teczka-peer-policy.toml" --key "$W/key" --formats csv --level 1 --unencrypted -o "$W/same-l1.zip"
run transfer "$T" export "$csv" --policy transfer --encrypt-to "$rcpt" -o "$W/transfer.zip.age"
run validate "$T" validate "$csv"
# A parent's request for the pupil in the middle of the file (the issue's `sar` target).
pesel=$(awk -F, -v n=$((N / 2 + 1)) 'NR == n { print $7; exit }' "$csv")
run sar "$T" sar "$csv" --subject "pesel:$pesel" --controller fixtures/sar/controller-pl.toml \
  --received 2026-11-02 --unencrypted -o "$W/sar.zip"
# The same pupils as SOU-like XML: teczka's streaming validation against xmllint's streaming
# parse (well-formedness only, no schema), when xmllint is installed.
[ -f "$W/pupils-$N.xml" ] || "$T" convert "$csv" --to sou -o "$W/pupils-$N.xml" >/dev/null 2>&1 || [ $? -eq 1 ]
run validate-xml "$T" validate "$W/pupils-$N.xml"
rows="peer same same-l1 transfer validate sar validate-xml"
if command -v xmllint >/dev/null; then run xmllint xmllint --stream --noout "$W/pupils-$N.xml"; rows="$rows xmllint"; fi
python3 - "$W" $rows <<'PY'
import sys
w = sys.argv[1]
t = {k: open(f"{w}/{k}.time").read().split()[-3:] for k in sys.argv[2:]}
peer = float(t["peer"][0])
for k, (s, kb, cpu) in t.items():
    print(f"{k:12s} {float(s):7.2f} s  {int(kb) / 1024:6.0f} MiB  CPU {cpu:>5s}  peer/this = {peer / float(s):5.1f}x")
if "xmllint" in t:
    print(f"SOU XML validate: xmllint --stream / teczka = {float(t['xmllint'][0]) / float(t['validate-xml'][0]):.2f}x")
PY
