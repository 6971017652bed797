"""How check agrees with labelled hand-made workbooks, and how fast a class goes through.

    python bench/check_labels.py ../shared/handmade              # LABELS.md in that folder
    python bench/check_labels.py FOLDER --labels LABELS.md --batch 100

Prints one row per labelled file (the label's verdict and root causes against check's), the
agreement, then the time to check a batch of ``--batch`` files (the folder's files cycled) the
way ``xlbackprop check`` does: in parallel, one worker a core, from stored values.

A label row reads ``| file | tables | verdict |``; the verdict starts with right, wrong or
"not filled in" (incomplete), and the quantities it names (``∂E/∂w3``, ``w4``) are its root causes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from xlbackprop.check.batch import run

_QUANTITY = re.compile(r"∂E/∂w\d+(?:\.\.∂E/∂w\d+)?|\bw\d+\b")


def labels(path: Path) -> dict[str, tuple[str, set[str]]]:
    """``file -> (verdict, root-cause quantities)`` from a LABELS.md table."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].endswith((".xlsx", ".xls", ".ods")):
            continue
        text = cells[2].replace("dE/dw", "∂E/∂w")  # LABELS.md writes the gradients in ASCII
        verdict = "incomplete" if text.startswith("not filled") else re.match(r"\w+", text).group()
        causes = set()
        if verdict == "wrong":
            for clause in re.split(r";", text.split(":", 1)[1]):
                causes |= _subjects(clause)
        out[cells[0]] = (verdict, causes)
    return out


def _subjects(clause: str) -> set[str]:
    """The quantities a clause is about: those before its verb (``∂E/∂w3, ∂E/∂w4 use ...``,
    ``∂E/∂w3's second term uses ...``, ``w3 is updated with ..., w4 with ...``)."""
    found = set()
    head = re.split(r"'s | uses? | multipl\w+ | is updated | with ", clause, maxsplit=1)[0]
    for m in _QUANTITY.finditer(head):
        found |= _expand(m.group())
    found |= {m[1] for m in re.finditer(r"(?:^|, )(w\d+) (?:is updated )?with", clause.strip())}
    return found


def _expand(text: str) -> set[str]:
    """``∂E/∂w1..∂E/∂w4`` -> the four names."""
    if ".." in text:
        a, b = (int(x) for x in re.findall(r"\d+", text))
        return {f"∂E/∂w{n}" for n in range(a, b + 1)}
    return {text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--labels", type=Path, help="default: FOLDER/LABELS.md")
    parser.add_argument("--batch", type=int, default=100, help="files in the timed batch")
    args = parser.parse_args()
    expected = labels(args.labels or args.folder / "LABELS.md")
    files = sorted(p for p in args.folder.iterdir() if p.suffix in (".xlsx", ".xls", ".ods"))
    results = {Path(r["file"]).name: r for r in run(files)}
    agree = 0
    print("| file | label | check | label's root causes | check's root causes | agree |")
    print("|---|---|---|---|---|---|")
    for name, (verdict, causes) in sorted(expected.items()):
        r = results.get(name)
        got = r["status"] if r else "missing"
        found = {e["quantity"] for t in (r or {"tables": []})["tables"] for e in t["errors"]}
        ok = got == verdict and found == causes
        agree += ok
        print(f"| {name[:48]} | {verdict} | {got} | {', '.join(sorted(causes)) or '-'} | "
              f"{', '.join(sorted(found)) or '-'} | {'yes' if ok else 'NO'} |")
    print(f"\nagreement: {agree} of {len(expected)} labelled files (verdict and root causes)")

    with tempfile.TemporaryDirectory() as folder:
        batch = []
        for k in range(args.batch):
            src = files[k % len(files)]
            batch.append(Path(folder) / f"{k:03d}-{src.name}")
            shutil.copy(src, batch[-1])
        start = time.perf_counter()
        results = run(batch)
        seconds = time.perf_counter() - start
    tables = sum(len(r["tables"]) for r in results)
    print(f"\n| files | tables | seconds | files a second | cores |\n|---|---|---|---|---|\n"
          f"| {len(batch)} | {tables} | {seconds:.1f} | {len(batch) / seconds:.1f} | {os.cpu_count()} |")


if __name__ == "__main__":
    main()
