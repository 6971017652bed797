"""Grade a class: match each submission to its student, check it, mark it, flag copies.

    book = grade(paths, students, key=None, rubric=DEFAULT, level="cause")
    book.rows        # one Row a student, in the roster's order, also for students who sent nothing
    book.unmatched   # files that fit no student (never dropped)
    book.copies      # pairs of files that share evidence, with the evidence in words
    book.common      # the class's most common slips, with their counts

Each file is checked as ``xlbackprop check`` checks it (:mod:`xlbackprop.check.batch`, in
parallel), then marked (:mod:`.marks`). With a key (assign's ``key.csv``) the numbers each file
trains are held to the student's own; a file that trained another student's is flagged.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..check import batch
from ..writing.writer import FIXED_TIME
from ..check.hints import why_of
from .marks import Marks, feedback, judged, marks, whose_numbers
from .match import Properties, match
from .roster import Student
from .rubric import DEFAULT, Rubric

_CHART = re.compile(r"xl/charts/chart\d+\.xml|Object \d+/content\.xml")
COPIED_AT_MOST, CLASS_SHARE = 2, 0.1  # a slip more students share than this is the class's, not a copy's
START_CREATED = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")  # what every start file says of its making


@dataclass
class Submission:
    path: Path
    result: dict
    marks: Marks
    how: str  # how it was matched
    numbers: str | None  # whose numbers it trained (marks.whose_numbers)
    chart: bool
    properties: Properties  # what the file says of itself: the id it carries, its author, its making

    @cached_property
    def slips(self) -> set[str]:
        """The file's slips, each in the quantity it is found in (copies share the cell, not only the slip)."""
        return {f"{f['quantity']}: {slip(f)}" for t in judged(self.result) for f in t["errors"]}

    @cached_property
    def wrong_formulas(self) -> dict[tuple[str, str, int], str]:
        return {(t["sheet"], f["column"], f["row"]): f["formula"] for t in judged(self.result) for f in t["errors"]
                if f.get("formula")}

    @cached_property
    def values(self) -> tuple:
        """E_total as each judged table stores it."""
        return tuple(tuple(t.get("curve", {}).get("got") or ()) for t in judged(self.result))


@dataclass
class Row:
    student: Student
    status: str  # check's status of the graded file, or "missing"
    score: float
    max_score: float
    feedback: str
    submissions: list[Submission] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class Gradebook:
    rows: list[Row]
    unmatched: list[tuple[Path, str]]
    copies: list[tuple[str, str, list[str]]]  # (id, id, evidence)
    common: list[tuple[str, int]]  # (slip, how many students)
    rubric: Rubric
    level: str


def has_chart(path: Path) -> bool:
    """Whether the workbook holds a chart (an .xlsx's chart part, an .ods's chart object)."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if _CHART.fullmatch(name):
                    if name.endswith("content.xml") and b"<chart:chart" not in archive.read(name)[:1 << 16]:
                        continue
                    return True
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    return False


def grade(paths: list[Path], students: list[Student], key: dict[str, dict[str, float]] | None = None,
          rubric: Rubric = DEFAULT, level: str = "cause", recalculate: bool = False, timeout: float = 120,
          progress: bool = False) -> Gradebook:
    """Grade every file for the class (see the module docstring)."""
    matches = match(paths, students)
    results = batch.run(paths, recalculate=recalculate, timeout=timeout, progress=progress)
    mine: dict[str, list[Submission]] = {s.id: [] for s in students}
    unmatched = []
    for m, result in zip(matches, results):
        if m.student is None:
            unmatched.append((m.path, m.how))
            continue
        own = key.get(m.student.id) if key is not None else None
        others = {sid: n for sid, n in (key or {}).items() if sid != m.student.id}
        numbers = whose_numbers(result, own, others)
        chart = has_chart(m.path)
        mine[m.student.id].append(Submission(m.path, result, marks(result, rubric, chart, numbers), m.how,
                                             numbers, chart, m.properties))
    common = _common_slips(mine)
    rows = []
    for s in students:
        subs = mine[s.id]
        if not subs:
            rows.append(Row(s, "missing", 0.0, rubric.max_score, "No submission."))
            continue
        best = max(subs, key=lambda x: x.marks.score)
        notes = _notes(best, subs)
        rows.append(Row(s, best.result["status"], best.marks.score, best.marks.max_score,
                        feedback(best.result, best.marks, level, notes), subs, notes))
    graded = sum(1 for r in rows if r.submissions)
    most = max(COPIED_AT_MOST, graded * CLASS_SHARE)
    carriers = Counter(k for r in rows for k in set().union(set(), *(x.slips for x in r.submissions)))
    template = _template_metadata(rows, most)
    return Gradebook(rows, unmatched, _copies(rows, key, carriers, most, template),
                     [(said, n) for said, n, _ in common], rubric, level)


def _template_metadata(rows: list[Row], most: float) -> set[tuple]:
    """(creator, created) that more files share than a copy would: the template's own."""
    counts = Counter((x.properties.creator, x.properties.created) for r in rows for x in r.submissions)
    return {pair for pair, n in counts.items() if n > most} | {(None, None)}


def _notes(best: Submission, subs: list[Submission]) -> list[str]:
    notes = []
    if len(subs) > 1:
        scores = ", ".join(f"{x.path.name} ({x.marks.score:g})" for x in subs)
        notes.append(f"{len(subs)} files for this student: {scores}; the best is graded.")
    if best.numbers == "other":
        notes.append("The table trains other numbers than the ones this student was given.")
    elif best.numbers not in (None, "own"):
        notes.append(f"The table trains the numbers of student {best.numbers}, not this student's own.")
    return notes


_NAMES = re.compile(r"∂E/∂[wb]\d+|δ_\w+|(?:s\d+\.)?a_[a-z]+\d+(?:_\d+)?|\b[wbhoitE]\d+\b|E_total|η|slope|pre-activation"
                    r"|typed value|number|operator|\$")


def slip(f: dict) -> str:
    """A root cause as the class shares it, whatever the layout: the names it speaks of, without
    cells (``a_h1 slope a_h2``: the template's slip, in ∂E/∂w3, ∂E/∂w4 or δ_h2, column J or K)."""
    why = why_of(f)
    return " ".join(_NAMES.findall(why)) or why


def _said(f: dict) -> str:
    """The slip in words, without rows: ``uses a_h1's slope J*(1-J) where a_h2's belongs (L*(1-L))``."""
    return re.sub(r"\b([A-Z]{1,3})\$?\d+\b", r"\1", why_of(f))


def _common_slips(mine: dict[str, list[Submission]]) -> list[tuple[str, int]]:
    """Slips by how many students carry them, most first (those of two or more), each said as
    its first instance says it, with the quantities it was found in."""
    counts, words, where = Counter(), {}, {}
    for subs in mine.values():
        carried = {}  # in the order found: slips as common as each other keep it, run after run
        for sub in subs:
            for t in judged(sub.result):
                for f in t["errors"]:
                    key = slip(f)
                    carried[key] = None
                    words.setdefault(key, _said(f))
                    where.setdefault(key, {})[f["quantity"]] = None
        counts.update(list(carried))
    return [(f"{', '.join(where[k])}: {words[k]}", n, k) for k, n in counts.most_common() if n >= 2]


def _copies(rows: list[Row], key, carriers: Counter, most: float, template: set[tuple]) \
        -> list[tuple[str, str, list[str]]]:
    """Pairs of students whose files share evidence (see docs/grading.md, "Copies")."""
    subs = [(r.student, x) for r in rows for x in r.submissions]
    out = []
    for k, (a, x) in enumerate(subs):
        for b, y in subs[k + 1:]:
            if a.id == b.id:
                continue
            evidence = []
            fx, fy = x.wrong_formulas, y.wrong_formulas
            shared = [c for c in fx if c in fy and fx[c] == fy[c]]
            uncommon = [k for k in x.slips & y.slips if carriers[k] <= most]  # not the template's slip
            if shared and uncommon:
                cells = ", ".join(dict.fromkeys(f"{col}{row}" for _, col, row in shared[:12]))
                others = min(carriers[k] for k in uncommon) - 2
                who = "no one else made" if others == 0 else f"{others} other student{'s' if others > 1 else ''} made too"
                evidence.append(f"the same wrong formula in the same cells ({cells}), a slip {who}")
            if key and x.numbers == "own" and y.numbers == "own" and x.values and x.values == y.values:
                evidence.append("identical stored values, though they were given different numbers")
            for p, owner, other in ((x, a, b), (y, b, a)):
                if p.properties.student == other.id:
                    evidence.append(f"{p.path.name}, sent by {owner.id}, carries {other.id}'s student id")
            px, py = x.properties, y.properties
            if px.created and (px.creator, px.created) == (py.creator, py.created) and px.created != START_CREATED \
                    and (px.creator, px.created) not in template:
                evidence.append(f"the same author and creation time in both files ({px.creator}, {px.created})")
            if evidence:
                out.append((a.id, b.id, evidence))
    return out
