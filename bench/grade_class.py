"""How fast a class is graded: ``xlbackprop grade`` on N submissions, the real workbooks cycled.

    python bench/grade_class.py ../shared/handmade --students 100

Copies the folder's workbooks, cycled, to ``s001.xlsx`` … (one a student of a made-up roster),
then times the whole command line as a teacher runs it (matching, checking in parallel, marks,
copies, the gradebook and the HTML report), once. Prints a table: students, seconds, seconds a
student, and the machine's cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--students", type=int, default=100)
    args = parser.parse_args()
    books = sorted(p for p in args.folder.iterdir() if p.suffix == ".xlsx")
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp, "submissions")
        subs.mkdir()
        ids = [f"s{k:03d}" for k in range(1, args.students + 1)]
        for k, sid in enumerate(ids):
            shutil.copy(books[k % len(books)], subs / f"{sid}.xlsx")
        roster = Path(tmp, "class.csv")
        roster.write_text("id,name,email\n" + "".join(f"{s},Student {s},{s}@uni.example\n" for s in ids), encoding="utf-8")
        command = [sys.executable, "-m", "xlbackprop", "grade", str(subs), "--roster", str(roster),
                   "--gradebook", str(Path(tmp, "grades.csv")), "--html", str(Path(tmp, "class.html"))]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode not in (0, 2):
            sys.exit(done.stderr)
        graded = sum(1 for line in open(Path(tmp, "grades.csv"), encoding="utf-8")) - 1
    print("| students (gradebook rows) | seconds | seconds a student | cores |")
    print("|---|---|---|---|")
    print(f"| {args.students} ({graded}) | {seconds:.1f} | {seconds / args.students:.2f} | {os.cpu_count()} |")


if __name__ == "__main__":
    main()
