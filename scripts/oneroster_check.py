#!/usr/bin/env python3
"""Check a OneRoster 1.2 CSV folder against scripts/oneroster-1.2-tables.json.

A schema of the binding's rostering tables, written independently of teczka's code: the
manifest, each table's header (names and order), required cells, enumerations, dates and
years, `{type:id}` userIds, unique sourcedIds and references between tables, and empty
`status`/`dateLastModified` in bulk tables. It is not 1EdTech's conformance suite.

Usage: oneroster_check.py FOLDER   (standard library only; exit 0 clean, 1 problems)
Problems name file, line and column, never a value.
"""
import csv
import datetime
import json
import os
import re
import sys

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oneroster-1.2-tables.json")


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, strict=True)
        for row in reader:
            yield reader.line_num, row


def is_date(text):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        datetime.date.fromisoformat(text)
        return True
    except ValueError:
        return False


def check_manifest(folder, schema, problems):
    spec = schema["manifest"]
    path = os.path.join(folder, "manifest.csv")
    if not os.path.isfile(path):
        problems.append("manifest.csv: missing")
        return {}
    seen = {}
    for line, row in rows(path):
        if line == 1:
            if row != spec["header"]:
                problems.append(f"manifest.csv:1: header is not {spec['header']}")
            continue
        if len(row) != 2:
            problems.append(f"manifest.csv:{line}: {len(row)} cells, not 2")
            continue
        seen[row[0]] = (line, row[1])
    for name, value in spec["fixed"].items():
        if seen.get(name, (0, None))[1] != value:
            problems.append(f"manifest.csv: `{name}` must be {value}")
    modes = {}
    for stem in spec["files"]:
        line, mode = seen.get(f"file.{stem}", (0, None))
        if mode not in spec["modes"]:
            problems.append(f"manifest.csv: `file.{stem}` missing or not one of {spec['modes']}")
            continue
        present = os.path.isfile(os.path.join(folder, f"{stem}.csv"))
        if (mode == "absent") == present:
            problems.append(f"manifest.csv:{line}: `file.{stem}` is {mode} but the file is {'there' if present else 'missing'}")
        modes[stem] = mode
    return modes


def load(folder, schema, modes, problems):
    """Every present table's rows, with header checks done."""
    tables = {}
    for stem, spec in schema["tables"].items():
        path = os.path.join(folder, f"{stem}.csv")
        if modes.get(stem, "absent") == "absent":
            continue
        data = []
        for line, row in rows(path):
            if line == 1:
                if row != spec["header"]:
                    problems.append(f"{stem}.csv:1: header differs from the binding's {spec['header']}")
                continue
            if len(row) != len(spec["header"]):
                problems.append(f"{stem}.csv:{line}: {len(row)} cells, the header has {len(spec['header'])}")
                continue
            data.append((line, dict(zip(spec["header"], row))))
        tables[stem] = data
    return tables


def check_cell(stem, line, col, column, value, rule, schema, ids, problems):
    where = f"{stem}.csv:{line}: column {col} `{column}`"
    enums = schema["enums"]
    if "enum" in rule and value not in enums[rule["enum"]]:
        problems.append(f"{where}: not one of {rule['enum']}")
    if "list_enum" in rule:
        for item in value.split(","):
            if item.strip() not in enums[rule["list_enum"]]:
                problems.append(f"{where}: an item is not one of {rule['list_enum']}")
    if rule.get("date") and not is_date(value):
        problems.append(f"{where}: not a date YYYY-MM-DD")
    if rule.get("year") and not re.fullmatch(r"\d{4}", value):
        problems.append(f"{where}: not a year YYYY")
    if rule.get("user_ids"):
        for item in value.split(","):
            if not re.fullmatch(r"\{[^{}:,]+:[^{}:,]+\}", item.strip()):
                problems.append(f"{where}: an entry is not {{type:identifier}}")
    targets = [rule["ref"]] if "ref" in rule else [rule["list_ref"]] if "list_ref" in rule else []
    for target in targets:
        items = value.split(",") if "list_ref" in rule else [value]
        if target in ids and any(i.strip() not in ids[target] for i in items):
            problems.append(f"{where}: names a sourcedId not in {target}.csv")


def check(folder):
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    problems = []
    modes = check_manifest(folder, schema, problems)
    tables = load(folder, schema, modes, problems)
    ids = {}
    for stem, data in tables.items():
        seen = set()
        for line, row in data:
            if row["sourcedId"] in seen:
                problems.append(f"{stem}.csv:{line}: column 1 `sourcedId`: a duplicate")
            seen.add(row["sourcedId"])
        ids[stem] = seen
    for stem, data in tables.items():
        spec = schema["tables"][stem]
        for line, row in data:
            for col, column in enumerate(spec["header"], 1):
                value = row[column]
                if column in ("status", "dateLastModified") and modes.get(stem) == "bulk" and value:
                    problems.append(f"{stem}.csv:{line}: column {col} `{column}`: must be empty in bulk mode")
                if value == "":
                    if column in spec["required"]:
                        problems.append(f"{stem}.csv:{line}: column {col} `{column}`: required, empty")
                    continue
                rule = spec["columns"].get(column, {})
                check_cell(stem, line, col, column, value, rule, schema, ids, problems)
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    problems = check(sys.argv[1])
    for problem in problems:
        print(problem)
    print(f"oneroster-check: {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
