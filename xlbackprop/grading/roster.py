"""The class list and the numbers each student was given: ``class.csv`` in, ``key.csv`` out and in.

A roster is a CSV with a header naming at least ``id`` (``name`` and ``email`` are read when
there; any other column is ignored), as an LMS or a spreadsheet exports it: UTF-8 with or
without a byte-order mark, comma, semicolon or tab between fields. The key is what ``assign``
gave each student, one row per id::

    id,i1,i2,t1,t2,w1,...,w8,eta
    a17,0.35,0.6,0.15,0.85,0.3,...,0.55,0.5

Every problem is one line naming the file, the row and the field: ``class.csv, row 4: id: empty``.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import FieldError
from ..core.outputs import write_whole


class RosterError(FieldError):
    """A roster or key file cannot be used as it is."""


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""


def _rows(path: Path, what: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header (lower case, stripped) and each data row with its line number."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise RosterError(what, f"no such file: {path}") from None
    except OSError as exc:
        raise RosterError(what, f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(what, f"{path} is not UTF-8 text; save it as 'CSV UTF-8'") from None
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise RosterError(what, f"{path} is empty; its first line names the columns, such as id,name,email")
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    rows = []
    for line, fields in enumerate(reader, 2):
        if not any(f.strip() for f in fields):
            continue
        rows.append((line, {h: f.strip() for h, f in zip(header, fields)}))
    return header, rows


def read_roster(path: str | Path) -> list[Student]:
    """The students of ``path``, in its order; a missing ``id`` column, an empty id or an id
    given twice is a :class:`RosterError`."""
    header, rows = _rows(Path(path), "roster")
    if "id" not in header:
        raise RosterError("roster", f"{path} has no id column (its columns: {', '.join(h for h in header if h) or 'none'}); "
                                    f"the first line names the columns, such as id,name,email")
    students, first = [], {}
    for line, row in rows:
        sid = row.get("id", "")
        if not sid:
            raise RosterError("roster", f"{path}, row {line}: id: empty")
        if sid in first:
            raise RosterError("roster", f"{path}, row {line}: id: {sid!r} again (first in row {first[sid]})")
        first[sid] = line
        students.append(Student(sid, row.get("name", ""), row.get("email", "")))
    if not students:
        raise RosterError("roster", f"{path} names no student (a header and no rows)")
    return students


def write_key(path: str | Path, given: dict[str, dict[str, float]]) -> Path:
    """``key.csv``: one row per student id, the numbers under their names (see the module docstring)."""
    names = list(next(iter(given.values()))) if given else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", *names])
    for sid, g in given.items():
        writer.writerow([sid, *(f"{g[n]:.15g}" for n in names)])
    return write_whole("key", path, out.getvalue())


def read_key(path: str | Path) -> dict[str, dict[str, float]]:
    """What :func:`write_key` wrote: id -> {name: number}; a field that is no number is a :class:`RosterError`."""
    header, rows = _rows(Path(path), "key")
    if "id" not in header:
        raise RosterError("key", f"{path} has no id column; it is the key.csv that assign wrote")
    names = [h for h in header if h != "id"]
    out = {}
    for line, row in rows:
        numbers = {}
        for name in names:
            try:
                value = float(row.get(name, ""))
            except ValueError:
                raise RosterError("key", f"{path}, row {line}: {name}: {row.get(name, '')!r} is not a number") from None
            if not math.isfinite(value):
                raise RosterError("key", f"{path}, row {line}: {name}: must be a finite number")
            numbers[name] = value
        out[row["id"]] = numbers
    return out
