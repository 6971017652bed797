"""``xlbackprop assign``: the start files of a class, and the key of their numbers.

    assign(spec, Path("assign"))                               # assign/start.xlsx, the class numbers
    assign(spec, Path("assign"), roster=Path("class.csv"), seed=7)
    # assign/<id>.xlsx for each student, their own numbers (numbers.draw); assign/key.csv

A student's id names the file, so it may hold no character a file name cannot (``/``, ``:`` …).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..core.errors import OutputError
from ..core.outputs import report_target
from ..core.spec import Spec, given_numbers
from ..writing import start
from . import numbers
from .roster import RosterError, read_roster, write_key

_FILE_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")


def is_key(path: Path) -> bool:
    """Whether ``path`` is a key.csv assign wrote (the only file it may replace)."""
    try:
        with open(path, "rb") as f:
            return f.readline().startswith(b"id,i1,")
    except OSError:
        return False


def assign(spec: Spec, folder: Path, roster: Path | None = None, seed: int = 0, rates: tuple[float, ...] = (),
           force: bool = False) -> Iterator[str]:
    """Write the start files (see the module docstring); yields a line for each thing written."""
    if folder.exists() and not folder.is_dir():
        raise OutputError("folder", f"{folder} is a file; give a folder for the start files")
    if roster is None:
        path = start.write(spec, folder / "start.xlsx", rates=rates, force=force)
        yield f"wrote {path}: the start file with the class numbers ({spec.network.describe()} network)"
        return
    students = read_roster(roster)
    for s in students:
        if not _FILE_SAFE.fullmatch(s.id):
            raise RosterError("roster", f"{roster}: id {s.id!r} cannot name a file; use letters, digits and . _ - @ +")
    key_path = folder / "key.csv"
    report_target("key", key_path, ".csv", [roster], is_key)
    given = {}
    for s in students:
        own = numbers.draw(spec, seed, s.id, rates)
        title = f"Backpropagation assignment: {s.name or s.id}" + (f" ({s.id})" if s.name else "")
        start.write(own, folder / f"{s.id}.xlsx", student=s.id, title=title, rates=rates, force=force)
        given[s.id] = given_numbers(own)
    write_key(key_path, given)
    yield f"wrote {len(students)} start files into {folder}, each with its student's own numbers (seed {seed})"
    yield f"wrote {key_path}: the numbers of each student, for grade --key"
