"""The formula-graph reader forced onto workbooks the label reader reads: do they agree?

    python bench/graph_agreement.py ../shared/handmade

check reads the course's tables by their labels and every other gradient descent by its formula
graph (:mod:`xlbackprop.check.graph`), which knows nothing of the course. Forced onto the
course's own workbooks (every sheet, labels ignored), the graph must find the same verdicts
and the same root-cause cells, sheet by sheet: a second reading by other means. Prints the
files where they differ, each sheet's two readings, then the count and the graph's time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from xlbackprop.check import check_file, graph
from xlbackprop.xlsx import grid


def readings(results) -> dict[str, tuple[list[str], list[str]]]:
    """``sheet -> (verdicts, root-cause cells)``."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for r in results:
        verdicts, cells = out.setdefault(r.table.sheet.name, ([], []))
        verdicts.append(r.verdict)
        cells.extend(f.column + str(f.row) for f in r.errors)
    return {s: (sorted(v), sorted(c)) for s, (v, c) in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".xlsx", ".xls", ".ods"))
    agree, spent = 0, 0.0
    for path in files:
        by_labels = readings(check_file(path).tables)
        book = grid.read(path)
        start = time.perf_counter()
        forced = readings(graph.judge_all(book, set())[0])
        spent += time.perf_counter() - start
        if by_labels == forced:
            agree += 1
            continue
        print(path.name)
        for sheet in sorted(set(by_labels) | set(forced)):
            print(f"  {sheet}: labels {by_labels.get(sheet, ([], []))}, graph {forced.get(sheet, ([], []))}")
    print(f"{agree} of {len(files)} files agree (verdicts and root-cause cells, sheet by sheet); "
          f"the graph took {spent:.1f} s")


if __name__ == "__main__":
    main()
