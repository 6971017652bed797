"""Whose is each submission: by the student id the start file carries, else by the file's name.

``assign`` writes the student's id into the custom document property
:data:`~xlbackprop.writing.start.STUDENT`, which Excel, LibreOffice and Google Sheets keep on
save. A file without it (a workbook started from scratch, an .xls) is matched by its name: the
id as a word of it (``a17_backprop.xlsx``, Canvas's ``doeanna_a17_…``), else every word of the
student's name (``Anna Doe`` in ``anna-doe.xlsx`` or ``DoeAnna.xlsx``). A file that matches no
student, or two, is reported unmatched; two files for one student are both kept and reported.
A file whose name names one student but which carries another's id was sent by the first, from
the second's start file: it is the first's, and grading flags it. One file for a roster of one
(Gradescope's one submission) is that student's, whatever its name.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree

from ..writing.start import STUDENT
from .roster import Student

CUSTOM = "docProps/custom.xml"
CORE = "docProps/core.xml"
MAX_PART = 1 << 20  # a properties part larger than this is no document's (bytes)


@dataclass(frozen=True)
class Properties:
    """What a file says of itself: the id assign gave it, its creator, when it was created."""

    student: str | None = None
    creator: str | None = None
    created: str | None = None


def properties(path: Path) -> Properties:
    """The student id and document metadata of an .xlsx (none of an .xls, .ods or a damaged file)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            student = creator = created = None
            if CUSTOM in names and archive.getinfo(CUSTOM).file_size <= MAX_PART:
                root = ElementTree.fromstring(archive.read(CUSTOM))
                for prop in root:
                    if prop.get("name") == STUDENT:
                        student = "".join(prop.itertext()).strip() or None
            if CORE in names and archive.getinfo(CORE).file_size <= MAX_PART:
                root = ElementTree.fromstring(archive.read(CORE))
                for el in root:
                    tag = el.tag.rsplit("}", 1)[-1]
                    if tag == "creator":
                        creator = (el.text or "").strip() or None
                    elif tag == "created":
                        created = (el.text or "").strip() or None
            return Properties(student, creator, created)
    except Exception:  # not a zip, damaged XML, entities refused: the file says nothing of itself
        return Properties()


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in re.split(r"[^a-z0-9]+", plain) if w]


def by_name(path: Path, students: list[Student]) -> list[Student]:
    """The students whose id, or whole name, the file's name spells."""
    words = _words(f"{path.parent.name} {path.stem}")  # an LMS download: a folder per student
    joined = "".join(words)
    found = [s for s in students if _words(s.id) and _run(words, _words(s.id))]
    if found:
        return found
    out = []
    for s in students:
        parts = _words(s.name)
        if parts and (all(p in words for p in parts) or "".join(parts) in joined
                      or "".join(reversed(parts)) in joined):
            out.append(s)
    return out


def _run(words: list[str], part: list[str]) -> bool:
    return any(words[k:k + len(part)] == part for k in range(len(words) - len(part) + 1))


@dataclass
class Match:
    path: Path
    student: Student | None
    how: str  # "id property", "file name", or why there is no student
    properties: Properties


def match(paths: list[Path], students: list[Student]) -> list[Match]:
    """Each file's student (see the module docstring)."""
    by_id = {s.id: s for s in students}
    out = []
    for path in paths:
        props = properties(path)
        named = by_name(path, students)
        if props.student is not None and props.student in by_id:
            if len(named) == 1 and named[0].id != props.student:  # sent by one, started from another's file
                out.append(Match(path, named[0], f"file name (it carries {props.student}'s id)", props))
            else:
                out.append(Match(path, by_id[props.student], "id property", props))
            continue
        if len(named) == 1:
            out.append(Match(path, named[0], "file name", props))
        elif named:
            out.append(Match(path, None, f"its name fits {len(named)} students: "
                                         + ", ".join(s.id for s in named), props))
        elif len(paths) == 1 and len(students) == 1:  # Gradescope's one submission of its one student
            out.append(Match(path, students[0], "the only file of the only student", props))
        elif props.student is not None:
            out.append(Match(path, None, f"it carries the id {props.student!r}, which is on no roster line", props))
        else:
            out.append(Match(path, None, "neither its id property nor its name matches a student", props))
    return out
