"""The class report: one self-contained HTML page for a graded class (``grade --html``).

The score distribution as a bar chart, the class's most common slips with their counts, the
pairs that look copied and why, the files that fit no student, a table of the students, then
one section per student (score, flags, the parts and why points were lost, the feedback). Inline
CSS and SVG only, every string escaped (names, file names and formulas come from students), the
same input giving the same bytes; the look is check's report's (:mod:`xlbackprop.check.html`)::

    render(gradebook.as_dict(book))
"""

from __future__ import annotations

import math

from ..check.html import BADGE, esc, page
from ..core.outputs import is_page as is_ours

PAGE_MARK = "<title>xlbackprop grade:"  # how a page of this module begins (the only file --html may replace)
EXTRA_CSS = """
table.parts{border-collapse:collapse;margin:8px 0}.parts td,.parts th{padding:3px 10px;border-bottom:1px solid #eaeef2;text-align:left}
.parts td.n{text-align:right;white-space:nowrap}pre.feedback{white-space:pre-wrap;background:#f6f8fa;padding:8px 10px;border-radius:6px;font-size:.9em}
.flag{color:#991b1b}svg.hist{border:1px solid #d0d7de;border-radius:6px;background:#fafbfc}
"""
W, H, LEFT, BOTTOM, TOP = 560, 220, 40, 34, 16


def _fmt(x: float) -> str:
    return f"{x:g}"


def histogram(scores: list[float], most: float) -> str:
    """Students per score: one bar per whole point from 0 to ``most`` (a score is put in its floor)."""
    bins = list(range(0, int(math.floor(most)) + 1))
    counts = [0] * len(bins)
    for s in scores:
        counts[min(int(math.floor(s)), len(bins) - 1)] += 1
    peak = max(counts + [1])
    width = (W - LEFT - 10) / len(bins)
    bars = []
    for k, n in enumerate(counts):
        x = LEFT + k * width
        h = (H - BOTTOM - TOP) * n / peak
        y = H - BOTTOM - h
        bars.append(f'<rect x="{x + 3:.1f}" y="{y:.1f}" width="{width - 6:.1f}" height="{h:.1f}" fill="#0969da"/>')
        if n:
            bars.append(f'<text x="{x + width / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="11">{n}</text>')
        bars.append(f'<text x="{x + width / 2:.1f}" y="{H - BOTTOM + 14}" text-anchor="middle" font-size="11">'
                    f'{bins[k]}</text>')
    axis = (f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - 10}" y2="{H - BOTTOM}" stroke="#57606a"/>'
            f'<text x="{(LEFT + W) / 2:.0f}" y="{H - 4}" text-anchor="middle" font-size="12">score (of {_fmt(most)})</text>'
            f'<text x="12" y="{(H - BOTTOM) / 2:.0f}" text-anchor="middle" font-size="12" '
            f'transform="rotate(-90 12 {(H - BOTTOM) / 2:.0f})">students</text>')
    return (f'<svg class="hist" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
            f'role="img" aria-label="score distribution">{axis}{"".join(bars)}</svg>')


def _badge(status: str) -> str:
    return f'<span class="badge {BADGE.get(status, "")}">{esc(status)}</span>'


def _student_rows(students: list[dict]) -> str:
    rows = "".join(
        f'<tr><td><a href="#s-{k}">{esc(s["id"])}</a></td><td>{esc(s["name"])}</td>'
        f'<td class="n">{_fmt(s["score"])} / {_fmt(s["max_score"])}</td><td>{_badge(s["status"])}</td>'
        f'<td class="flag">{esc("; ".join(s["flags"]))}</td></tr>' for k, s in enumerate(students))
    return ('<table class="files"><thead><tr><th>id</th><th>name</th><th>score</th><th>status</th><th>flags</th>'
            f'</tr></thead><tbody>{rows}</tbody></table>')


def _section(k: int, s: dict) -> str:
    files = "".join(f'<li><code>{esc(x["file"])}</code>: {_badge(x["status"])} matched by {esc(x["matched_by"])}'
                    f'{", trains " + esc(x["numbers"]) + " numbers" if x["numbers"] not in (None, "own") else ""}'
                    f' ({_fmt(x["score"])})</li>' for x in s["submissions"])
    best = max(s["submissions"], key=lambda x: x["score"]) if s["submissions"] else None
    parts = ""
    if best is not None:
        parts = "".join(f'<tr><td>{esc(p["name"])}</td><td class="n">{_fmt(p["points"])} / {_fmt(p["max_points"])}</td>'
                        f'<td>{esc(p["why"])}</td></tr>' for p in best["parts"])
        parts = f'<table class="parts"><tbody>{parts}</tbody></table>'
    return (f'<section class="file" id="s-{k}"><h2>{esc(s["id"])} {esc(s["name"])} {_badge(s["status"])} '
            f'<span class="muted">{_fmt(s["score"])} / {_fmt(s["max_score"])}</span></h2>'
            f'<ul class="notes">{files}</ul>{parts}<pre class="feedback">{esc(s["feedback"])}</pre></section>')


def render(data: dict) -> str:
    """The page for ``data``, :func:`xlbackprop.grading.gradebook.as_dict`'s object."""
    students = data["students"]
    title = f"xlbackprop grade: {len(students)} student{'' if len(students) == 1 else 's'}"
    sent = [s for s in students if s["status"] != "missing"]
    scores = sorted(s["score"] for s in sent)
    most = data["rubric"]["max_score"]
    mean = sum(scores) / len(scores) if scores else 0.0
    median = (scores[(len(scores) - 1) // 2] + scores[len(scores) // 2]) / 2 if scores else 0.0
    summary = (f"{len(sent)} graded, {len(students) - len(sent)} missing; mean {mean:.2f}, median {_fmt(median)} "
               f"of {_fmt(most)}; feedback level {esc(data['feedback_level'])}")
    slips = "".join(f'<tr><td class="n">{c["students"]}</td><td>{esc(c["slip"])}</td></tr>'
                    for c in data["common_slips"][:10])
    slips = (f'<h2>Most common slips</h2><table class="files"><thead><tr><th>students</th><th>slip</th></tr></thead>'
             f'<tbody>{slips}</tbody></table>') if slips else ""
    copies = "".join(f'<li><b>{esc(c["students"][0])}</b> and <b>{esc(c["students"][1])}</b>: '
                     f'{esc("; ".join(c["evidence"]))}</li>' for c in data["copies"])
    copies = f'<h2>Possible copies</h2><ul class="causes">{copies}</ul>' if copies else ""
    unmatched = "".join(f'<li><code>{esc(u["file"])}</code>: {esc(u["why"])}</li>' for u in data["unmatched"])
    unmatched = f'<h2>Files that fit no student</h2><ul class="causes">{unmatched}</ul>' if unmatched else ""
    sections = "".join(_section(k, s) for k, s in enumerate(students))
    return page(title, f'<p class="summary">{summary}</p>{histogram(scores, most)}{slips}{copies}{unmatched}'
                       f"<h2>Students</h2>{_student_rows(students)}{sections}", EXTRA_CSS)


def is_page(path) -> bool:
    """Whether ``path`` is a page :func:`render` wrote (the only file ``--html`` may replace)."""
    return is_ours(path, PAGE_MARK)
