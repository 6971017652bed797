"""A batch of files: checked in parallel, one worker a core, in the order given.

    results = run(["anna.xlsx", "ben.xlsx"])   # one JSON-ready dict per file (report.as_dict)
    workbooks([Path("submissions")])           # a folder stands for the workbooks in it, by name

Each file is checked in a worker process of its own, so one file that hangs LibreOffice or
trips a bug costs its own verdict (``unreadable``, saying why) and not the batch.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..errors import WorkbookError
from . import check_file
from .grid import SPREADSHEETS
from .report import as_dict

PARALLEL_FROM = 4  # files; below that a pool costs more than it saves


def workbooks(paths: list[Path]) -> list[Path]:
    """The files to check: each file as given, each folder as the spreadsheets directly in it,
    sorted by name (not its subfolders; not the lock files ``~$x.xlsx`` and ``.~lock.x#`` that
    Excel and LibreOffice leave beside an open file, nor other hidden files)."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)
            continue
        found = sorted((p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SPREADSHEETS
                        and not p.name.startswith(("~$", "."))), key=lambda p: p.name.lower())
        if not found:
            raise WorkbookError(f"{path}: a folder with no spreadsheet in it ({', '.join(SPREADSHEETS)})")
        out.extend(found)
    return out


def one(path: str | Path, recalculate: bool = False, timeout: float = 120) -> dict:
    """Check one file into its report object (with the E_total curves the HTML page draws)."""
    try:
        return as_dict(check_file(path, recalculate, timeout), curve=True)
    except Exception as exc:  # a bug of ours on a strange file: say so for this file, go on with the rest
        return {"file": str(path), "status": "unreadable", "tables": [],
                "message": f"check failed on this file ({type(exc).__name__}: {exc}); please report it"}


def run(paths: list[Path], recalculate: bool = False, timeout: float = 120, progress: bool = False) -> list[dict]:
    """Check every file; results in the order of ``paths``."""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(paths), unit="file", desc="checking", file=sys.stderr)
    try:
        if len(paths) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
            results = []
            for p in paths:
                results.append(one(p, recalculate, timeout))
                bar is not None and bar.update(1)
            return results
        with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
            futures = [pool.submit(one, p, recalculate, timeout) for p in paths]
            results = []
            for f in futures:
                results.append(f.result())
                bar is not None and bar.update(1)
            return results
    finally:
        if bar is not None:
            bar.close()


def write_page(path: Path, results: list[dict]) -> Path:
    """The HTML report, written under a temporary name and renamed, so no half page is left."""
    from .html import render

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(render(results), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
