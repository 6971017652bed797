"""One self-contained HTML page for a batch of checked spreadsheets: a teacher's report.

``render`` takes the checker's JSON output (one dict per file) and returns the page as text, with
inline CSS and inline SVG charts: no script, no external resource, no web font. Every string in the
input comes from a student's file or file name, so each one is escaped before it reaches the page.
The markup is also well-formed XML (void elements closed), and the same input gives the same bytes::

    from pathlib import Path
    from xlbackprop.check.html import render

    results = [{"file": "students/anna.xlsx", "status": "right", "message": "all 46 rows agree",
                "tables": [{"sheet": "Sheet1", "header_row": 32, "first_row": 33, "last_row": 78,
                            "eta": 0.5, "eta_cell": "Sheet1!$H$30", "verdict": "right",
                            "errors": [], "warnings": [],
                            "curve": {"got": [0.2425, 0.2354], "expected": [0.2425, 0.2354]}}]}]
    Path("report.html").write_text(render(results), encoding="utf-8")

Each file's section has the id ``f-<index>``, its 0-based position in ``results``.
"""

from __future__ import annotations

import html
import math
import re

STATUSES = ("right", "wrong", "incomplete", "no-table", "unreadable")
BADGE = {"right": "ok", "wrong": "bad", "incomplete": "warn"}  # any other status is grey
LINE = {"right": "#1a7f37", "wrong": "#c62828", "incomplete": "#b26a00"}
W, H, LEFT, RIGHT, TOP, BOTTOM = 320, 160, 56, 10, 22, 20  # the chart and its margins
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#1f2328;background:#fff;margin:0;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;margin:0 0 6px}h3{font-size:1em;margin:0 0 6px}
.summary,.muted,.warnings{color:#57606a}
table.files{border-collapse:collapse;width:100%;margin:16px 0 32px}
.files th,.files td{text-align:left;padding:6px 10px;border-bottom:1px solid #d0d7de;vertical-align:top}
.files td.n{text-align:right}
a{color:#0550ae}
section.file{border-top:2px solid #d0d7de;padding:18px 0 8px}
.tbl{display:flex;flex-wrap:wrap;gap:16px 24px;margin:12px 0 18px}
.tbl .info{flex:1 1 560px;min-width:0}
.tbl svg{flex:0 0 auto;border:1px solid #d0d7de;border-radius:6px;background:#fafbfc}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.85em;font-weight:600;
vertical-align:middle;background:#e5e7eb;color:#374151}
.badge.ok{background:#dcfce7;color:#166534}.badge.bad{background:#fee2e2;color:#991b1b}
.badge.warn{background:#fef3c7;color:#92400e}
ul.causes,ul.warnings{padding-left:20px;margin:6px 0}ul.causes li{margin-bottom:8px}
.kind{font-size:.85em;color:#57606a;border:1px solid #d0d7de;border-radius:4px;padding:0 4px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;
background:#f6f8fa;padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
code.formula{display:block;margin:2px 0;white-space:pre-wrap}
"""


def esc(value: object) -> str:
    """The value as text safe in an element or a quoted attribute (no control characters)."""
    return html.escape(_UNSAFE.sub("\ufffd", str(value)), quote=True)


def _num(value: object) -> float | None:
    """A finite number, or ``None`` for null, text, booleans, NaN and infinities."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _fmt(value: object, digits: int = 10) -> str:
    number = _num(value)
    return "—" if value is None else f"{number:.{digits}g}" if number is not None else str(value)


def _badge(status: object) -> str:
    return f'<span class="badge {BADGE.get(status if isinstance(status, str) else "", "grey")}">{esc(status)}</span>'


def _tables(result: dict) -> list[dict]:
    return [t for t in result.get("tables") or [] if isinstance(t, dict)]


def _causes(result: dict) -> int:
    return sum(len(t.get("errors") or []) for t in _tables(result))


def _summary(results: list[dict]) -> str:
    counts: dict[str, int] = {}
    for result in results:
        status = str(result.get("status"))
        counts[status] = counts.get(status, 0) + 1
    order = [s for s in STATUSES if s in counts] + sorted(set(counts) - set(STATUSES))
    return " · ".join(f"{counts[s]} {esc(s)}" for s in order) or "no files"


def _file_rows(results: list[dict]) -> str:
    rows = "".join(
        f'<tr><td><a href="#f-{i}">{esc(r.get("file", "?"))}</a></td><td>{_badge(r.get("status"))}</td>'
        f'<td class="n">{len(_tables(r))}</td><td class="n">{_causes(r)}</td><td>{esc(r.get("message", ""))}</td></tr>'
        for i, r in enumerate(results))
    return ('<table class="files"><thead><tr><th>File</th><th>Status</th><th>Tables</th><th>Root causes</th>'
            f"<th>Message</th></tr></thead><tbody>{rows}</tbody></table>")


def _table_title(t: dict) -> str:
    eta = _fmt(t.get("eta")) if t.get("eta") is not None else "?"
    cell = f" ({t['eta_cell']})" if t.get("eta_cell") else ""
    return (f"{t.get('sheet', '?')}, header row {t.get('header_row', '?')}, "
            f"rows {t.get('first_row', '?')}–{t.get('last_row', '?')}, η = {eta}{cell}")


def _error(e: dict) -> str:
    cell = f"{e.get('column') or ''}{e.get('row') or ''}" or "?"
    formula = f'<code class="formula">{esc(e["formula"])}</code>' if e.get("formula") else ""
    return (f'<li><strong>{esc(e.get("quantity", "?"))}</strong> <span class="kind">{esc(e.get("kind", "?"))}</span>'
            f' cell <code>{esc(cell)}</code>: got {esc(_fmt(e.get("got")))} → expected {esc(_fmt(e.get("expected")))}'
            f'{formula}<div>{esc(e.get("cause", ""))}</div></li>')


def _warning(w: dict) -> str:
    cell = f"{w.get('column') or ''}{w.get('row') or ''}"
    where = f" ({esc(cell)})" if cell else ""
    formula = f' <code>{esc(w["formula"])}</code>' if w.get("formula") else ""
    return f'<li>{esc(w.get("quantity", "?"))}{where}: {esc(w.get("cause", ""))}{formula}</li>'


def _segments(values: list, x, y) -> list[list[tuple[float, float]]]:
    """Runs of consecutive numbers as chart points; a null ends a run."""
    runs: list[list[tuple[float, float]]] = [[]]
    for i, value in enumerate(values):
        v = _num(value)
        if v is None:
            runs.append([])
        else:
            runs[-1].append((x(i), y(v)))
    return [_thin(run) for run in runs if run]


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Keep, per pixel column, the first, last, lowest and highest point: the same picture, fewer points."""
    out: list[tuple[float, float]] = []
    start = 0
    for end in range(1, len(points) + 1):
        if end == len(points) or int(points[end][0]) != int(points[start][0]):
            group = range(start, end)
            keep = {start, end - 1, min(group, key=lambda k: points[k][1]), max(group, key=lambda k: points[k][1])}
            out.extend(points[k] for k in sorted(keep))
            start = end
    return out


def _series(values: list, x, y, colour: str, width: float, css: str) -> str:
    parts = []
    for run in _segments(values, x, y):
        if len(run) == 1:
            parts.append(f'<circle cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="{width + 1}" fill="{colour}"/>')
        else:
            pts = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{width}"'
                         ' stroke-linejoin="round"/>')
    return f'<g class="{css}">{"".join(parts)}</g>'


def _chart(t: dict) -> str:
    curve = t.get("curve") if isinstance(t.get("curve"), dict) else {}
    got, expected = list(curve.get("got") or []), list(curve.get("expected") or [])
    numbers = [v for v in map(_num, got + expected) if v is not None]
    if not numbers:
        return ""
    lo, hi = min(numbers), max(numbers)
    log = lo > 0 and hi / lo > 1000
    scale = math.log10 if log else (lambda v: v)
    s_lo, s_hi = scale(lo), scale(hi)
    if s_hi == s_lo:
        pad = abs(s_lo) / 2 or 1.0
        s_lo, s_hi = s_lo - pad, s_hi + pad
    n = max(len(got), len(expected))
    first = t.get("first_row") if isinstance(t.get("first_row"), int) else 0
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    def x(i): return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
    def y(v): return TOP + plot_h * (s_hi - scale(v)) / (s_hi - s_lo)
    label = (lambda s: _fmt(10 ** s, 4)) if log else (lambda s: _fmt(s, 4))
    colour = LINE.get(t.get("verdict"), "#6b7280")
    text = 'font-size="10" fill="#57606a"'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}"'
            f' role="img" aria-label="E_total by row">'
            f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#8c959f"/>'
            f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{W - RIGHT}" y2="{TOP + plot_h}" stroke="#8c959f"/>'
            f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" {text}>{esc(label(s_hi))}</text>'
            f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" {text}>{esc(label(s_lo))}</text>'
            f'<text x="{LEFT - 4}" y="{TOP + plot_h / 2 + 4:.0f}" text-anchor="end" {text}>E_total</text>'
            f'<text x="{LEFT}" y="{H - 6}" {text}>row {first}</text>'
            f'<text x="{W - RIGHT}" y="{H - 6}" text-anchor="end" {text}>row {first + max(n - 1, 0)}</text>'
            + _series(expected, x, y, "#9ca3af", 3, "expected") + _series(got, x, y, colour, 1.5, "got")
            + f'<line x1="{LEFT}" y1="10" x2="{LEFT + 16}" y2="10" stroke="#9ca3af" stroke-width="3"/>'
            f'<text x="{LEFT + 20}" y="13" {text}>correct</text>'
            f'<line x1="{LEFT + 70}" y1="10" x2="{LEFT + 86}" y2="10" stroke="{colour}" stroke-width="1.5"/>'
            f'<text x="{LEFT + 90}" y="13" {text}>in the file</text>'
            + (f'<text x="{W - RIGHT}" y="13" text-anchor="end" {text}>log scale</text>' if log else "")
            + "</svg>")


def _table(t: dict) -> str:
    errors = [e for e in t.get("errors") or [] if isinstance(e, dict)]
    warnings = [w for w in t.get("warnings") or [] if isinstance(w, dict)]
    causes = (f'<ul class="causes">{"".join(map(_error, errors))}</ul>' if errors
              else '<p class="muted">No root causes.</p>')
    warned = f'<ul class="warnings">{"".join(map(_warning, warnings))}</ul>' if warnings else ""
    return (f'<div class="tbl"><div class="info"><h3>{esc(_table_title(t))} {_badge(t.get("verdict"))}</h3>'
            f"{causes}{warned}</div>{_chart(t)}</div>")


def _section(i: int, result: dict) -> str:
    tables = "".join(map(_table, _tables(result)))
    message = result.get("message") or ("" if tables else "No table found.")  # the message says why, if any
    return (f'<section class="file" id="f-{i}"><h2>{esc(result.get("file", "?"))} {_badge(result.get("status"))}</h2>'
            f'<p class="muted">{esc(message)}</p>{tables}</section>')


def render(results: list[dict]) -> str:
    """The report page for ``results``, the checker's JSON output (one dict per file)."""
    results = [r for r in results if isinstance(r, dict)]
    title = f"xlbackprop check: {len(results)} file{'' if len(results) == 1 else 's'}"
    sections = "".join(_section(i, r) for i, r in enumerate(results))
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
            f'<h1>{esc(title)}</h1><p class="summary">{_summary(results)}</p>'
            f"{_file_rows(results)}{sections}</main></body></html>\n")
