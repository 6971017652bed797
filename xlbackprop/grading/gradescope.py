"""Gradescope's autograder ``results.json`` for one submission: a test per rubric part.

Gradescope runs ``run_autograder`` on each submission and reads ``/autograder/results/results.json``
(https://gradescope-autograders.readthedocs.io/en/latest/specs/)::

    {"score": 8.0, "output": "Score 8 of 10. ...", "visibility": "visible",
     "tests": [{"name": "hidden-layer gradients", "score": 0.0, "max_score": 2.0, "status": "failed",
                "output": "X14, δ_h2: uses a_h1's slope ...", "visibility": "visible"}, ...]}

``docs/gradescope/`` holds a ready autograder (``setup.sh``, ``run_autograder``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..core.outputs import write_whole
from .grade import Row
from .marks import finding_text

VISIBILITY = "visible"


def results(row: Row, level: str) -> dict:
    """The results object of a student's row (its best submission), at the feedback ``level``."""
    tests = []
    if row.submissions:
        best = max(row.submissions, key=lambda s: s.marks.score)
        for part in best.marks.parts:
            lines = [finding_text(f, level) for f in part.findings] or ([part.why] if part.why else [])
            tests.append({"name": part.name, "score": float(part.points), "max_score": float(part.max_points),
                          "status": "passed" if part.points >= part.max_points else "failed",
                          "output": "\n".join(lines), "visibility": VISIBILITY})
    return {"score": float(row.score), "output": row.feedback, "visibility": VISIBILITY,
            "stdout_visibility": "hidden", "tests": tests}


def is_results(path: Path) -> bool:
    """Whether ``path`` is a results.json this module wrote (the only file it may replace)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and {"score", "tests", "output"} <= set(data)


def write(path: Path, data: dict) -> Path:
    return write_whole("gradescope", path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
