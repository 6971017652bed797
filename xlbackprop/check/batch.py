"""A batch of files: checked in parallel, one worker a core, in the order given.

    results = run(["anna.xlsx", "ben.xlsx"])   # one JSON-ready dict per file (report.as_dict)
    workbooks([Path("submissions")])           # a folder stands for the workbooks in it, by name

Each file is checked in a worker process of its own, so one file that hangs LibreOffice or
trips a bug costs its own verdict (``unreadable``, saying why) and not the batch.
"""

from __future__ import annotations

import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..core.errors import WorkbookError
from ..core import outputs
from ..xlsx.grid import SPREADSHEETS
from . import check_file
from .report import as_dict

PARALLEL_FROM = 4  # files; below that a pool costs more than it saves
INTERRUPTED = 130  # a worker's exit code when the batch is interrupted


def workbooks(paths: list[Path], recursive: bool = False) -> list[Path]:
    """The files to check: each file as given, each folder as the spreadsheets directly in it,
    sorted by name (with ``recursive``, those of its subfolders too, by path); never the lock files
    ``~$x.xlsx`` and ``.~lock.x#`` that Excel and LibreOffice leave beside an open file, nor other
    hidden files or folders."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)
            continue
        found = _spreadsheets(path, recursive)
        if not found:
            below = [] if recursive else _spreadsheets(path, recursive=True)
            if below:
                folders = len({p.parent for p in below})
                raise WorkbookError(f"{path}: no spreadsheet directly in this folder, but {len(below)} in "
                                    f"{folders} subfolder{'s' if folders != 1 else ''}; "
                                    f"check them with --recursive")
            raise WorkbookError(f"{path}: a folder with no spreadsheet in it ({', '.join(SPREADSHEETS)})")
        out.extend(found)
    return out


def _spreadsheets(folder: Path, recursive: bool) -> list[Path]:
    hidden = ("~$", ".")
    if not recursive:
        found = [p for p in folder.iterdir() if p.is_file()]
    else:
        found = []
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(hidden)]
            found += [Path(root, f) for f in files]
    found = [p for p in found if p.suffix.lower() in SPREADSHEETS and not p.name.startswith(hidden)]
    return sorted(found, key=lambda p: [part.lower() for part in p.relative_to(folder).parts])


def one(path: str | Path, recalculate: bool = False, timeout: float = 120) -> dict:
    """Check one file into its report object (with the E_total curves the HTML page draws)."""
    global _busy
    if _stopping:  # a file queued before the batch was interrupted: not started
        os._exit(INTERRUPTED)
    _busy = True
    try:
        return as_dict(check_file(path, recalculate, timeout), curve=True)
    except Exception as exc:  # a bug of ours on a strange file: say so for this file, go on with the rest
        return {"file": str(path), "status": "unreadable", "tables": [],
                "message": f"check failed on this file ({type(exc).__name__}: {exc}); please report it"}
    finally:
        _busy = False


_busy = False  # in a worker: checking a file (its engine and temporary folders are to be cleaned up)
_stopping = False  # in a worker: told to stop (SIGTERM)


def _worker_start() -> None:
    """A worker leaves Ctrl-C to the batch, which stops it with SIGTERM (:func:`_stop_workers`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)


def _worker_stop(signum, frame) -> None:
    global _stopping
    if _stopping:  # told again (the pool stops every worker once one has ended): let the cleanup finish
        return
    _stopping = True
    if not _busy:  # between files: nothing to clean up
        os._exit(INTERRUPTED)
    raise KeyboardInterrupt  # unwinds the file's work: its engine is stopped, its folders removed


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """After Ctrl-C: no further file is started, and each worker stops the one it is checking
    and cleans up after it before the batch ends (no engine, no temporary folder left behind)."""
    workers = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    for worker in workers:
        worker.join(timeout=60)


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
        with ProcessPoolExecutor(max_workers=os.cpu_count(), initializer=_worker_start) as pool:
            try:
                futures = [pool.submit(one, p, recalculate, timeout) for p in paths]
                results = []
                for f in futures:
                    results.append(f.result())
                    bar is not None and bar.update(1)
                return results
            except KeyboardInterrupt:
                _stop_workers(pool)
                raise
    finally:
        if bar is not None:
            bar.close()


PAGE_MARK = "<title>xlbackprop check:"  # how an earlier report of ours begins (html.render)


def is_page(path: Path) -> bool:
    """Whether ``path`` is a report :func:`write_page` wrote (the only file it may replace)."""
    return outputs.is_page(path, PAGE_MARK)


def write_page(path: Path, results: list[dict]) -> Path:
    """The HTML report, written under a temporary name and renamed, so no half page is left; a
    folder that cannot be written or a full disk is :class:`~xlbackprop.core.errors.OutputError`
    (of the field ``report``)."""
    from .html import render

    return outputs.write_whole("report", path, render(results))
