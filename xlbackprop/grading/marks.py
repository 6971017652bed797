"""The marks of one checked file under a rubric, and the feedback a student reads.

    marks(result, rubric, chart=True, numbers="own")   # -> Marks: score, one PartMark a part

``result`` is check's object of the file (:func:`xlbackprop.check.report.as_dict`). A part is
worth its points when the file has it and none of its quantities is a root cause; the parts
computed from the student's numbers are worth nothing when the file trained other numbers
(``numbers`` says whose, as :func:`whose_numbers` found). Feedback comes at three levels:

    hint     the cell and the kind of slip      "Z33, ∂E/∂w3: check which neuron's slope belongs in this formula"
    cause    what check says                    "Z33, ∂E/∂w3: uses a_h1's slope J33*(1-J33) where a_h2's belongs ..."
    answer   the cause and the formula that belongs there
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..check.hints import hint, why_of
from .rubric import COMPUTED, Rubric, covers

LEVELS = ("hint", "cause", "answer")
SAME = 1e-9  # numbers within this of each other are the same number (the key's have 2 decimals)


@dataclass
class PartMark:
    name: str
    covers: str
    points: float
    max_points: float
    why: str = ""  # why points were lost, in a few words
    findings: list[dict] = field(default_factory=list)  # the root causes that cost them


@dataclass
class Marks:
    parts: list[PartMark]

    @property
    def score(self) -> float:
        return sum(p.points for p in self.parts)

    @property
    def max_score(self) -> float:
        return sum(p.max_points for p in self.parts)


def judged(result: dict) -> list[dict]:
    """The tables check judged (right or wrong), whose columns the marks can go by."""
    return [t for t in result["tables"] if t["verdict"] in ("right", "wrong")]


def whose_numbers(result: dict, own: dict[str, float] | None, others: dict[str, dict[str, float]]) -> str | None:
    """``"own"``, another student's id, ``"other"`` (nobody's), or None when it cannot be told
    (no key, or no table whose givens check recovered). The learning rate is left out: a
    student trains the given numbers at several rates."""
    if own is None:
        return None
    givens = [t["given"] for t in judged(result) if t.get("given")]
    if not givens:
        return None
    if all(_same(g, own) for g in givens):
        return "own"
    for sid, numbers in others.items():
        if any(_same(g, numbers) for g in givens):
            return sid
    return "other"


def _same(given: dict[str, float], numbers: dict[str, float]) -> bool:
    names = [n for n in numbers if n != "eta"]
    return all(n in given and math.isclose(given[n], numbers[n], rel_tol=0, abs_tol=SAME) for n in names)


def marks(result: dict, rubric: Rubric, chart: bool, numbers: str | None = None) -> Marks:
    """The file's marks (see the module docstring)."""
    tables = judged(result)
    rates = {round(t["eta"], 9) for t in tables if t["eta"] is not None}
    parts = []
    for part in rubric.parts:
        mark = PartMark(part.name, part.covers, part.points, part.points)
        if part.covers == "chart":
            if not chart:
                mark.points, mark.why = 0.0, "no chart in the workbook"
        elif part.covers == "learning-rates":
            missing = [r for r in rubric.rates if round(r, 9) not in rates]
            if missing:
                mark.points = 0.0
                mark.why = "no table trains at " + ", ".join(f"η = {r:g}" for r in missing)
        elif not tables:
            mark.points, mark.why = 0.0, _unjudged(result)
        elif numbers not in (None, "own") and part.covers in COMPUTED:
            mark.points = 0.0
            mark.why = "computed from numbers that are not the ones this student was given"
        else:
            found = {}  # the same slip in the same cell of several sheets (one a rate) is said once
            for t in tables:
                for f in t["errors"]:
                    if covers(f["quantity"], t.get("layers")) == part.covers:
                        found.setdefault((f["column"], f["row"], f["quantity"], why_of(f)), dict(f, sheet=t["sheet"]))
            mark.findings = list(found.values())
            if mark.findings:
                mark.points = 0.0
                mark.why = ", ".join(dict.fromkeys(f["quantity"] for f in mark.findings)) + " wrong"
            elif part.covers in COMPUTED and not _present(part.covers, tables):
                mark.points, mark.why = 0.0, "not in the table"
        parts.append(mark)
    return Marks(parts)


def _present(part: str, tables: list[dict]) -> bool:
    return any(covers(q, t.get("layers")) == part for t in tables for q in t["columns"])


def _unjudged(result: dict) -> str:
    return {"incomplete": "the table is incomplete", "no-table": "no training table found",
            "unreadable": "the file could not be read"}.get(result["status"], "not judged")


def finding_text(f: dict, level: str) -> str:
    """One root cause at the feedback ``level`` (see the module docstring)."""
    where = f"{f['column']}{f['row']}, {f['quantity']}"
    if level == "hint":
        return hint(f)
    text = f"{where}: {why_of(f)}"
    if level == "answer":
        if f.get("answer"):
            text += f"; what belongs there: {f['answer']}"
        elif "does not compute" not in text:
            text += "; write it as its definition says"
    return text


def feedback(result: dict, m: Marks, level: str, notes: list[str] = ()) -> str:
    """The student's text: the score, each part that lost points and why, at ``level``."""
    lines = [f"Score {m.score:g} of {m.max_score:g}."]
    lines += list(notes)
    lost = [p for p in m.parts if p.points < p.max_points]
    while lost:  # parts that lost their points for one same reason are said together
        group = [lost.pop(0)]
        while lost and not group[0].findings and not lost[0].findings and lost[0].why == group[0].why:
            group.append(lost.pop(0))
        names = ", ".join(p.name for p in group)
        points, most = sum(p.points for p in group), sum(p.max_points for p in group)
        lines.append(f"{names} ({points:g} of {most:g}): {group[0].why}.")
        for f in group[0].findings[:4]:
            lines.append("  " + finding_text(f, level))
    if result["status"] == "incomplete":
        lines.append(f"check says: {result['message']}")
    if len(lines) == 1:
        lines.append("Every part is right.")
    return "\n".join(lines)
