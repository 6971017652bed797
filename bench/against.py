"""This tree against an earlier commit: the same build, verify and check, each in a fresh process.

    python bench/against.py REV [--repeat N] [--folder ../shared/handmade] [--only build|verify|check]

Checks REV out into a temporary git worktree, then runs each case with REV's package and with
this tree's, alternating, ``--repeat`` times (default 4), and prints one table: the fastest run of
each side and their ratio. Cases go through the public API only (``xlbackprop.build``,
``xlbackprop.verify``, ``check.batch.run``), which every version since the API has kept:

- ``build``: ``class-2024``, 100,000 iterations, no sweep (the training sheet, Derivation, Network);
- ``verify``: a 10,000-iteration workbook (LibreOffice recalculates it), and the same by IronCalc;
- ``check``: every workbook of ``--folder``, one worker a core, from stored values.

Times are ``time.perf_counter`` around the call, imports outside. On a shared machine the runs
spread by 10 % and more; the fastest of several is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CASES = {
    "build, 100,000 iterations": "import xlbackprop; xlbackprop.build('class-2024', {out!r}, sweep=(), iterations=100000)",
    "verify, 10,000 iterations": "import xlbackprop; assert xlbackprop.verify({book!r}, engine='libreoffice').ok",
    "verify by IronCalc, 10,000 iterations": "import xlbackprop; assert xlbackprop.verify({book!r}, engine='ironcalc').ok",
    "check, the folder's workbooks": "from pathlib import Path; from xlbackprop.check.batch import run, workbooks; "
                                     "run(workbooks([Path({folder!r})]))",
}


def timed(root: Path, code: str) -> float:
    script = f"import time; start = time.perf_counter(); {code}; print(time.perf_counter() - start)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tempfile.gettempdir(),
                         env={**os.environ, "PYTHONPATH": str(root)}, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"{root}: {code}\n{out.stderr[-2000:]}")
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the earlier commit")
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--folder", default=str(HERE.parent / "shared" / "handmade"))
    parser.add_argument("--only", action="append", choices=["build", "verify", "check"],
                        help="run only the cases of these commands (repeatable)")
    args = parser.parse_args()
    cases = {name: code for name, code in CASES.items() if not args.only or name.split()[0].strip(",") in args.only}
    with tempfile.TemporaryDirectory(prefix="xlbackprop-against-") as tmp:
        earlier = Path(tmp, "earlier")
        subprocess.run(["git", "-C", str(HERE), "worktree", "add", "-q", "--detach", str(earlier), args.rev], check=True)
        try:
            book = Path(tmp, "book.xlsx")
            timed(HERE, f"import xlbackprop; xlbackprop.build('class-2024', {str(book)!r}, sweep=(), iterations=10000)")
            times: dict[tuple[str, str], list[float]] = {}
            for k in range(args.repeat):
                for name, code in cases.items():
                    for side, root in (("before", earlier), ("after", HERE)):
                        out = Path(tmp, f"{side}-{k}.xlsx")
                        filled = code.format(out=str(out), book=str(book), folder=args.folder)
                        times.setdefault((name, side), []).append(timed(root, filled))
        finally:
            subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(earlier)], check=False)
    print(f"| measure | {args.rev} s | this tree s | this tree / {args.rev} |")
    print("|---|---|---|---|")
    for name in cases:
        before, after = min(times[(name, "before")]), min(times[(name, "after")])
        print(f"| {name} | {before:.2f} | {after:.2f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
