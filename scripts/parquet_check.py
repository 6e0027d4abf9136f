#!/usr/bin/env python3
"""Compare teczka's Parquet folder with its JSON Lines output of the same records, reading the
Parquet files with pyarrow (an independent reader): every table, row and cell, and each column's
type against the field kinds.

Usage: parquet_check.py PARQUET_DIR PUPILS.jsonl  -> prints {"tables": N, "rows": N, "cells": N}
"""
import datetime
import json
import pathlib
import sys

import pyarrow.parquet as pq


def flatten(value, prefix=""):
    """A JSON object as {dotted.key: leaf}, lists of objects left out (they are tables)."""
    out = {}
    for key, item in value.items():
        name = prefix + key
        if isinstance(item, dict):
            out.update(flatten(item, name + "."))
        elif not isinstance(item, list):
            out[name] = item
    return out


def expected_rows(pupils, table):
    rows = []
    for position, pupil in enumerate(pupils, 1):
        if table == "pupils":
            rows.append(flatten(pupil))
            continue
        for item in pupil.get(table, []):
            row = flatten(item)
            # A release without ids (anonymised) links child rows by the pupil's position.
            row["pupil_id"] = pupil.get("id", str(position))
            rows.append(row)
    return rows


def plain(value):
    """A Parquet value as JSON Lines carries it."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def as_text(value):
    """A typed JSON value as the text a released-as-text column holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return value


def main(folder, jsonl):
    pupils = [json.loads(line) for line in open(jsonl, encoding="utf-8") if line.strip()]
    tables = rows = cells = 0
    for path in sorted(pathlib.Path(folder).glob("*.parquet")):
        table = pq.read_table(path)
        got = table.to_pylist()
        want = expected_rows(pupils, path.stem)
        assert len(got) == len(want), f"{path.name}: {len(got)} rows, JSON Lines has {len(want)}"
        for number, (g, w) in enumerate(zip(got, want), 1):
            for column, value in g.items():
                expected = w.get(column)
                if isinstance(value, str):
                    # A field released as text is a text column, whatever its model type.
                    expected = as_text(expected)
                if plain(value) != expected:
                    raise AssertionError(
                        f"{path.name} row {number} column {column}: {plain(value)!r} != {expected!r}")
                cells += value is not None
            unknown = set(w) - set(g)
            assert not unknown, f"{path.name} row {number}: no column for {sorted(unknown)}"
        tables += 1
        rows += len(got)
    print(json.dumps({"tables": tables, "rows": rows, "cells": cells}))


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except AssertionError as e:
        print(e, file=sys.stderr)
        sys.exit(1)
