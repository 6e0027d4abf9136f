#!/usr/bin/env python3
"""Cross-check teczka's k-anonymity and l-diversity with pycanon, an independent implementation.

Usage:
    python3 scripts/pycanon_check.py RELEASED.jsonl --qi birth_date,sex,addresses[].commune \
        [--sa counselling[].kind]
    python3 scripts/pycanon_check.py RELEASED.jsonl --all-released [--sa indicators.health]
    python3 scripts/pycanon_check.py --self-test

With --all-released the quasi-identifiers are not taken from teczka at all: every field that
occurs anywhere in the release is one (an attacker may know any of them), except the --sa
attributes. Nested objects give one column per leaf (`enrolment.class_level`); a list gives one
column holding the whole list as released — its items sorted, each as compact JSON — so how
many items a pupil has and which values go together in one item count too. The output then
also names the columns: {"k", "l", "records", "columns"}.

Reads teczka's released JSON Lines (one pupil object per line), takes one column per field path
and prints one JSON object: {"k": K, "l": L, "records": N}. k is pycanon's
`anonymity.k_anonymity` over the quasi-identifiers (the smallest equivalence class); l is
`anonymity.l_diversity` (distinct l-diversity: the fewest distinct values of any sensitive
attribute in any class), null without --sa. Both are null for an empty file.

Field paths use `.` for nesting and `[]` for lists, as teczka's field catalogue does:
`addresses[].commune` is the commune of every address. A path through a list gives the sorted
distinct non-null values joined by `|` (the empty string when there are none); a path without
a list gives the value itself, the empty string when it is missing or null.

The script needs pandas and pycanon (`pip install pycanon`). It loads the whole file, so it is
for test-sized releases, not for production data.
"""

import argparse
import json
import sys
import tempfile


def column_values(pupil, path):
    """The string a field path gives for one pupil (see the module docs)."""
    values = [pupil]
    through_list = False
    for segment in path.split("."):
        is_list = segment.endswith("[]")
        name = segment[:-2] if is_list else segment
        through_list = through_list or is_list
        found = []
        for value in values:
            if not isinstance(value, dict):
                continue
            item = value.get(name)
            if item is None:
                continue
            if is_list and isinstance(item, list):
                found.extend(x for x in item if x is not None)
            else:
                found.append(item)
        values = found
    if through_list:
        return "|".join(sorted({text(v) for v in values}))
    return text(values[0]) if values else ""


def text(value):
    """A leaf value as a string: strings as they are, other JSON as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def flatten(pupil, prefix=""):
    """Every released leaf of one pupil as {column: text} (see --all-released in the docs)."""
    out = {}
    for name, value in pupil.items():
        column = prefix + name
        if isinstance(value, dict):
            out.update(flatten(value, column + "."))
        elif isinstance(value, list):
            out[column] = "[" + ",".join(sorted(text(item) for item in value)) + "]"
        elif value is not None:
            out[column] = text(value)
    return out


def measure_all(lines, sa):
    """k over every released column but the sensitive ones, l over each sensitive one."""
    import pandas as pd
    from pycanon import anonymity

    pupils = [flatten(json.loads(line)) for line in lines if line.strip()]
    if not pupils:
        return {"k": None, "l": None, "records": 0, "columns": []}
    columns = sorted({c for p in pupils for c in p} | set(sa))
    qi = [c for c in columns if c not in sa]
    data = pd.DataFrame([[p.get(c, "") for c in columns] for p in pupils], columns=columns,
                        dtype=str)
    k = int(anonymity.k_anonymity(data, qi)) if qi else len(pupils)
    l = int(anonymity.l_diversity(data, qi, list(sa))) if sa else None
    return {"k": k, "l": l, "records": len(pupils), "columns": columns}


def measure(lines, qi, sa):
    """{"k", "l", "records"} of the pupils in `lines` (an iterable of JSON texts)."""
    import pandas as pd
    from pycanon import anonymity

    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            pupil = json.loads(line)
        except json.JSONDecodeError as e:
            raise SystemExit(f"pycanon_check: line {number}: not JSON ({e.msg})")
        rows.append([column_values(pupil, p) for p in qi + sa])
    if not rows:
        return {"k": None, "l": None, "records": 0}
    # Positional column names: two paths may share a last segment.
    qi_cols = [f"qi{i}" for i in range(len(qi))]
    sa_cols = [f"sa{i}" for i in range(len(sa))]
    data = pd.DataFrame(rows, columns=qi_cols + sa_cols, dtype=str)
    k = int(anonymity.k_anonymity(data, qi_cols))
    l = int(anonymity.l_diversity(data, qi_cols, sa_cols)) if sa_cols else None
    return {"k": k, "l": l, "records": len(rows)}


def paths(text_list):
    return [p.strip() for p in text_list.split(",") if p.strip()] if text_list else []


def self_test():
    """Compare against hand-counted tables; exit 1 on any difference."""
    pupils = [
        {"birth_date": "2010", "sex": "F", "addresses": [{"commune": "B"}, {"commune": "A"}],
         "counselling": [{"kind": "speech"}]},
        {"birth_date": "2010", "sex": "F", "addresses": [{"commune": "A"}, {"commune": "B"}],
         "counselling": [{"kind": "adhd"}, {"kind": "adhd"}]},
        {"birth_date": "2010", "sex": "F", "addresses": [{"commune": "A"}, {"commune": "B"}],
         "counselling": []},
        {"birth_date": "2011", "sex": "M", "addresses": [{"commune": None}],
         "counselling": [{"kind": "speech"}]},
        {"birth_date": "2011", "sex": "M", "counselling": [{"kind": "adhd"}]},
        {"birth_date": "2011", "sex": "M", "addresses": [], "counselling": [{"kind": "adhd"}]},
        {"sex": "M", "addresses": [{"commune": "C"}], "counselling": [{"kind": "gifted"}]},
        {"birth_date": None, "sex": "M", "addresses": [{"commune": "C"}],
         "counselling": [{"kind": "gifted"}, {"kind": "speech"}]},
    ]
    failures = []

    def check(what, got, expected):
        if got != expected:
            failures.append(f"{what}: got {got!r}, expected {expected!r}")

    check("list path", column_values(pupils[0], "addresses[].commune"), "A|B")
    check("empty list", column_values(pupils[2], "counselling[].kind"), "")
    check("null in list", column_values(pupils[3], "addresses[].commune"), "")
    check("missing list", column_values(pupils[4], "addresses[].commune"), "")
    check("missing scalar", column_values(pupils[6], "birth_date"), "")
    check("null scalar", column_values(pupils[7], "birth_date"), "")
    check("number", column_values({"a": {"b": 3}}, "a.b"), "3")
    # Classes over (birth_date, sex, communes): (2010,F,A|B) 3 records with kinds
    # {speech, adhd, ""}; (2011,M,"") 3 records with {speech, adhd}; ("",M,C) 2 records with
    # {gifted, gifted|speech}. So k = 2 and l = 2.
    lines = [json.dumps(p) for p in pupils]
    qi = ["birth_date", "sex", "addresses[].commune"]
    sa = ["counselling[].kind"]
    check("measure", measure(lines, qi, sa), {"k": 2, "l": 2, "records": 8})
    # Without sex and communes: "" has 2 records, 2010 and 2011 have 3 each.
    check("measure birth_date", measure(lines, ["birth_date"], []),
          {"k": 2, "l": None, "records": 8})
    # One uniform class: the two ("",M,C) pupils both get the kind "x".
    uniform = [dict(p, counselling=[{"kind": "x"}]) if p.get("addresses") == [{"commune": "C"}]
               else p for p in pupils]
    check("uniform class", measure([json.dumps(p) for p in uniform], qi, sa),
          {"k": 2, "l": 1, "records": 8})
    check("empty", measure([], qi, sa), {"k": None, "l": None, "records": 0})
    # Every released field, none sensitive: the counselling lists are quasi-identifiers too
    # and single pupils out, so k drops to 1.
    check("flatten", flatten({"a": {"b": 1}, "l": [{"x": 2}, {"x": 1}], "n": None}),
          {"a.b": "1", "l": '[{"x":1},{"x":2}]'})
    whole = measure_all(lines, [])
    check("all released k", whole["k"], 1)
    same = [json.dumps({"sex": "F", "s": v}) for v in ["a", "b", "a", "b"]]
    check("all released", measure_all(same, ["s"]),
          {"k": 4, "l": 2, "records": 4, "columns": ["s", "sex"]})
    with tempfile.TemporaryFile("w+", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n\n")
        f.seek(0)
        check("file with a blank line", measure(f, qi, sa), {"k": 2, "l": 2, "records": 8})
    for failure in failures:
        print(f"pycanon_check self-test: {failure}", file=sys.stderr)
    print("pycanon_check self-test: " + ("FAILED" if failures else "ok"))
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("released", nargs="?", help="teczka's released JSON Lines")
    parser.add_argument("--qi", help="comma-separated quasi-identifier field paths")
    parser.add_argument("--sa", help="comma-separated sensitive attribute field paths")
    parser.add_argument("--all-released", action="store_true",
                        help="every released field but --sa is a quasi-identifier")
    parser.add_argument("--self-test", action="store_true", help="check against hand-made tables")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if args.released and args.all_released:
        with open(args.released, encoding="utf-8") as f:
            print(json.dumps(measure_all(f, paths(args.sa))))
        return 0
    if not args.released or not paths(args.qi):
        parser.error("give the released JSON Lines file and --qi (or --all-released)")
    with open(args.released, encoding="utf-8") as f:
        result = measure(f, paths(args.qi), paths(args.sa))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
