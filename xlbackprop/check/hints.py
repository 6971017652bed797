"""A hint for each root cause: the cell and the kind of slip, without the fix.

``check --hints`` prints them for a student before the file is handed in, and grading's
feedback at the ``hint`` level is made of them::

    hint({"column": "Z", "row": 33, "quantity": "∂E/∂w3", "kind": "formula",
          "cause": "∂E/∂w3 (column Z, from row 33): uses a_h1's slope J33*(1-J33) where a_h2's belongs (L33*(1-L33))"})
    # "Z33, ∂E/∂w3: check which neuron's slope belongs in this formula"

The kind of slip is read from the cause :mod:`~.repair` and :mod:`~.judge` wrote, so a hint says
no more than which cell to look at and what to look for.
"""

from __future__ import annotations

import re

_WHY = re.compile(r".+? \(column [A-Z]+(?:, from row \d+)?\): (?P<why>.*)", re.S)
_FAMILIES = [(r"∂E/∂[wb]\d+", "gradient"), (r"δ_\w+", "δ"), (r"(?:s\d+\.)?a_\w+", "activation"),
             (r"[wb]\d+", "weight"), (r"(?:s\d+\.)?i\d+", "input"), (r"(?:s\d+\.)?t\d+", "target"),
             (r"(?:s\d+\.)?[ho]\d+(?:_\d+)?", "weighted sum"), (r"(?:s\d+\.)?E(?:\d+|_total)", "loss"),
             (r"η", "learning rate")]


def _family(name: str) -> str | None:
    return next((word for pattern, word in _FAMILIES if re.fullmatch(pattern, name)), None)


def why_of(finding: dict) -> str:
    """The cause without its head: ``uses a_h1's slope ...``."""
    m = _WHY.fullmatch(finding["cause"])
    return m["why"] if m else finding["cause"]


def kind_of_slip(finding: dict) -> str:
    """What to look for, in a few words (see the module docstring)."""
    kind, why, quantity = finding.get("kind"), why_of(finding), finding["quantity"]
    if kind == "values-only":
        return "a typed value stands where a formula belongs"
    if kind == "anchoring" or "slid down the rows" in why:
        return "check which cells must stay fixed when this formula is filled down ($)"
    lead = "the formula changes from one row to the next; " if kind == "not-uniform" else ""
    if why.startswith("the formula changes at row"):
        why = why.split(": ", 1)[-1]
    if why.startswith("through "):
        return lead + "check the cells this formula reads: one of them holds the slip"
    if why.startswith("uses the slope of the pre-activation"):
        return lead + "check whether the slope is taken of the activation or of the weighted sum"
    if re.match(r"uses \S+'s slope", why):
        return lead + "check which neuron's slope belongs in this formula"
    m = re.match(r"is updated with (\S+)", why)
    if m:
        if _family(m[1]) == "weight":
            return lead + "check which weight's previous value this update starts from"
        return lead + "check which gradient updates this weight"
    if why.startswith("uses the number"):
        return lead + "a typed number stands where a cell belongs"
    m = re.match(r"(?:uses|reads) (\S+) \([^)]*\) where (\S+) belongs", why)
    if m and {_family(m[1]), _family(m[2])} == {"activation", "weighted sum"}:
        return lead + "check whether the activation or the weighted sum belongs here"
    m = re.match(r"(?:uses|reads) (\S+)", why)
    if m and (family := _family(m[1])):
        return lead + f"check which {family} belongs in this formula"
    if why.startswith("has "):
        return lead + "check the operators (+ − * /) of this formula"
    if why.startswith("holds a value its row's cells do not give"):
        return lead + "its stored value is not what its formula gives: recalculate and save again"
    return lead + f"check this formula against the definition of {quantity}"


def hint(finding: dict) -> str:
    """``Z33, ∂E/∂w3: check which neuron's slope belongs in this formula``."""
    return f"{finding['column']}{finding['row']}, {finding['quantity']}: {kind_of_slip(finding)}"


def hint_text(results: list[dict]) -> str:
    """``check --hints``: per file its verdict, and per root cause one hint line."""
    lines = []
    for result in results:
        causes = [f for t in result["tables"] for f in t["errors"]]
        if result["status"] in ("right", "wrong"):
            head = "every column right" if not causes else f"{len(causes)} cell{'s' if len(causes) != 1 else ''} to look at"
        else:
            head = result["message"]
        lines.append(f"{result['file']}: {result['status']} ({head})")
        for t in result["tables"]:
            for f in t["errors"]:
                sheet = f"{t['sheet']}!" if len(result["tables"]) > 1 else ""
                lines.append(f"  {sheet}{hint(f)}")
    return "\n".join(lines)
