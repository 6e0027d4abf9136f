#!/usr/bin/env python3
"""Check a count table teczka published: no hidden entry can be recomputed from the others.

Usage:
    python3 scripts/tables_check.py TABLE.csv --k 5

Independent of teczka's code. The table is read as published: the first columns are row labels
(up to the first header holding `=` or `total`), the last column and the last row are totals,
and `x` marks a hidden entry. Every row of cells sums to its row total, every column to its
column total (the totals row and column included, so the grand total ties them). A hidden
entry is recoverable when its unit vector lies in the row space of those equations restricted
to the hidden entries, that is when every null-space vector of those equations is zero at it
(numpy's SVD gives the null space). Prints a JSON object
{"hidden": N, "recoverable": [[row, column], ...], "small": [[row, column], ...]} — `small`
lists published entries between 1 and k − 1 — and exits 1 when either list is non-empty.
"""

import argparse
import csv
import json
import sys

import numpy as np


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    labels = next(i for i, h in enumerate(header) if "=" in h or h == "total" or i == len(header) - 2)
    grid = [row[labels:] for row in rows[1:]]
    return grid


def check(grid, k):
    hidden = [(r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if v == "x"]
    small = [(r, c) for r, row in enumerate(grid) for c, v in enumerate(row)
             if v != "x" and 0 < float(v) < k]
    nr, nc = len(grid), len(grid[0])
    index = {cell: j for j, cell in enumerate(hidden)}
    equations = [[(r, c) for c in range(nc)] for r in range(nr)]
    equations += [[(r, c) for r in range(nr)] for c in range(nc)]
    rows = []
    for eq in equations:
        row = np.zeros(len(hidden))
        for i, cell in enumerate(eq):
            if cell in index:
                row[index[cell]] += -1.0 if i == len(eq) - 1 else 1.0
        if row.any():
            rows.append(row)
    recoverable = []
    if hidden and rows:
        # A hidden entry is recoverable when its unit vector lies in the row space, that is
        # when every vector of the null space is zero at it: one SVD gives the null space.
        a = np.array(rows)
        _, s, vt = np.linalg.svd(a)
        tol = max(a.shape) * np.finfo(float).eps * (s[0] if len(s) else 0.0)
        rank = int((s > tol).sum())
        null = vt[rank:]
        for cell, j in index.items():
            if null.shape[0] == 0 or np.abs(null[:, j]).max() < 1e-8:
                recoverable.append(list(cell))
    return {"hidden": len(hidden), "recoverable": sorted(recoverable),
            "small": [list(c) for c in small]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("table")
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    result = check(read(args.table), args.k)
    print(json.dumps(result))
    return 1 if result["recoverable"] or result["small"] else 0


if __name__ == "__main__":
    sys.exit(main())
