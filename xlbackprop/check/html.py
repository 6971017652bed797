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

Each table with a curve gets a chart of two panels over one axis of iterations (the curve's
value k is iteration k + 1, row ``first_row + k``): E_total in the file and in a correct run
(a log axis with decade ticks when its values, all positive, span two decades; else nice linear
ticks), then their relative difference |file − correct| / |correct| on a log axis, shaded above
the tolerance: 1e-12, or what the file's stored digits allow (1e-9 for values saved to 10
significant digits). A dashed marker and the line above that panel say where the file leaves the
correct curve ("Leaves the correct curve at iteration 7 (row 39)"). A long curve is thinned to a
few points per pixel column, so a million iterations make a page of a few tens of kB.
"""

from __future__ import annotations

import html
import math
import re

STATUSES = ("right", "wrong", "incomplete", "no-table", "unreadable")
BADGE = {"right": "ok", "wrong": "bad", "incomplete": "warn"}  # any other status is grey
LINE = {"right": "#1a7f37", "wrong": "#c62828", "incomplete": "#b26a00"}
W, H, LEFT, RIGHT = 400, 306, 60, 14  # the chart and its side margins
E_TOP, E_H = 26, 130  # the E_total panel
D_TOP, D_H = 186, 78  # the relative-difference panel
AXIS_Y = D_TOP + D_H  # the iteration axis, under both panels
TOLERANCE = -12  # decades: a relative difference beyond 1e-12 (or what the file's stored digits allow)
LOG_FROM_DECADES = 2  # E_total on a log axis when its values (all > 0) span this many decades
D_FLOOR, D_MIN_TOP, D_CEIL = -16, -6, 2  # the relative difference's axis, in decades
CLIP = 1e300  # values drawn at most this far from 0, so no coordinate overflows
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#1f2328;background:#fff;margin:0;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;margin:0 0 6px}h3{font-size:1em;margin:0 0 6px}
.summary,.muted,.warnings{color:#57606a}
table.files{border-collapse:collapse;width:100%;margin:16px 0 32px}
.files th,.files td{text-align:left;padding:6px 10px;border-bottom:1px solid #d0d7de;vertical-align:top}
.files td.n{text-align:right}.files td:first-child,h2{overflow-wrap:anywhere}
a{color:#0550ae}
section.file{border-top:2px solid #d0d7de;padding:18px 0 8px}
.tbl{display:flex;flex-wrap:wrap;gap:16px 24px;margin:12px 0 18px}
.tbl .info{flex:1 1 560px;min-width:0}
.tbl svg{flex:0 0 auto;border:1px solid #d0d7de;border-radius:6px;background:#fafbfc}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.85em;font-weight:600;
vertical-align:middle;white-space:nowrap;background:#e5e7eb;color:#374151}
.badge.ok{background:#dcfce7;color:#166534}.badge.bad{background:#fee2e2;color:#991b1b}
.badge.warn{background:#fef3c7;color:#92400e}
ul.causes,ul.warnings,ul.notes{padding-left:20px;margin:6px 0}ul.notes{color:#57606a;font-size:.9em}ul.causes li{margin-bottom:8px}
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
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None


def _numbers(values: object) -> list[float | None]:
    """A curve's values as finite floats or None (the fast path: a finite float as it is)."""
    if not isinstance(values, (list, tuple)):
        return []
    return [v if type(v) is float and v - v == 0.0 else _num(v) for v in values]


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
    if t.get("where"):  # read by its formula graph: where its weights are, what it trains
        return f"{t['where']}; {t.get('network') or 'a network'}"
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


def _nice(raw: float, mantissas=(1, 2, 2.5, 5)) -> float:
    """The smallest step m·10^k (m one of ``mantissas``) at least ``raw``, for ``raw > 0``."""
    power = 10.0 ** math.floor(math.log10(raw))
    for m in mantissas + (10,):
        if m * power >= raw * (1 - 1e-12):
            return m * power
    return 10 * power  # not reached


def _decade(e: int) -> str:
    """10^e as a tick label: 0.001 … 1000 written out, else 1e-6, 1e+12 style."""
    return f"{10.0 ** e:g}" if -3 <= e <= 3 else f"1e{e}"


def _linear_axis(lo: float, hi: float) -> tuple[float, float, list[tuple[float, str]]]:
    """A linear domain widened to nice ticks (4–6 of them) holding [lo, hi], and its labelled ticks."""
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi)):  # flat: centre it
        pad = abs(lo) / 2 or 1.0
        lo, hi = lo - pad, hi + pad
    step = _nice((hi - lo) / 4)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    exponent = math.floor(math.log10(step))
    extra = 1 if round(step / 10.0 ** exponent, 6) == 2.5 else 0
    big = max(abs(first), abs(last)) * step

    def label(k: int) -> str:
        v = k * step
        if k == 0:
            return "0"
        if step >= 1e-4 and big < 1e7:
            return f"{v:.{max(0, extra - exponent)}f}"
        return f"{v:.{max(1, min(15, math.floor(math.log10(abs(v))) - exponent + 1 + extra))}g}"

    return first * step, last * step, [(k * step, label(k)) for k in range(first, last + 1)]


def _log_axis(lo: float, hi: float) -> tuple[float, float, list[tuple[float, str]]]:
    """A log10 domain of whole decades holding [lo, hi] (both > 0), with at most 6 decade ticks."""
    d_lo, d_hi = math.floor(math.log10(lo) + 1e-12), math.ceil(math.log10(hi) - 1e-12)
    step = max(1, math.ceil((d_hi - d_lo) / 5))
    d_lo, d_hi = step * math.floor(d_lo / step), step * math.ceil(d_hi / step)
    return d_lo, d_hi, [(float(e), _decade(e)) for e in range(d_lo, d_hi + 1, step)]


def _iteration_ticks(n: int) -> list[int]:
    """3–5 nice iteration numbers in 1..n (1 itself, then multiples of a 1/2/2.5/5 step)."""
    if n <= 5:
        return list(range(1, n + 1))
    step = 1
    while True:
        ticks = list(range(step, n + 1, step))
        if step - 1 > step / 2:
            ticks.insert(0, 1)
        if len(ticks) <= 5:
            return ticks
        step = int(_nice(step + 0.5, (1, 2, 5) if step < 10 else (1, 2, 2.5, 5)))


def _relative(got: list, expected: list) -> list[float | None]:
    """|got − expected| / |expected| per iteration (inf where expected is 0 and got is not); None
    where either is not a finite number."""
    out: list[float | None] = []
    for g, e in zip(got, expected):
        if g is None or e is None:
            out.append(None)
            continue
        d = abs(g - e)  # finite inputs: a float, perhaps inf, never NaN
        out.append(0.0 if d == 0 else d / abs(e) if e != 0 else math.inf)
    return out


def _thinned_runs(values: list[float | None], n: int, x, y) -> list[list[tuple[float, float]]]:
    """Runs of consecutive numbers as chart points (``x`` of the index, ``y`` of the value, rising
    or falling with it); a None ends a run. Of the ``n`` iterations' pixel columns, each keeps only
    a run's first, last, lowest and highest point there: the same picture, a page bounded however
    long the curve."""
    runs: list[list[tuple[float, float]]] = []
    run: list[tuple[float, float]] = []
    width = W - LEFT - RIGHT
    column = first = lo = hi = last = -1

    def flush():
        if first >= 0:
            run.extend((x(k), y(values[k])) for k in sorted({first, lo, hi, last}))

    for i, v in enumerate(values):
        if v is None:
            flush()
            if run:
                runs.append(run)
            run, column, first = [], -1, -1
            continue
        c = i * width // n
        if c != column:
            flush()
            column, first, lo, hi = c, i, i, i
        elif v < values[lo]:
            lo = i
        elif v > values[hi]:
            hi = i
        last = i
    flush()
    if run:
        runs.append(run)
    return runs


def _series(values: list[float | None], n: int, x, y, colour: str, width: float, css: str) -> str:
    parts = []
    for run in _thinned_runs(values, n, x, y):
        if len(run) == 1:
            parts.append(f'<circle cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="{width + 1}" fill="{colour}"/>')
        else:
            pts = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{width}"'
                         ' stroke-linejoin="round"/>')
    return f'<g class="{css}">{"".join(parts)}</g>'


def _label_x(x: float, label: str) -> float:
    """A centred label's x, moved in so that it stays inside the chart."""
    half = 3 * len(label) + 2
    return max(half, min(W - half, x))


def _digits(value: float) -> int:
    """The significant digits of a number as stored: 0.2425198573 has 10, 0.24251985734837728 17."""
    mantissa = repr(abs(value)).split("e")[0].replace(".", "").strip("0")
    return len(mantissa)


def _tolerance(got: list[float | None]) -> int:
    """The decade of the relative difference beyond which the file's E_total has left the correct
    one: 1e-12 (a correct sheet agrees to about 1e-14), or, for a file that keeps fewer digits
    (values rounded to 10 significant digits by the program that saved it), what those allow:
    10 digits, 1e-9."""
    digits = 0
    for v in got:
        if v is not None:
            digits = max(digits, _digits(v))
            if 1 - digits <= TOLERANCE:
                return TOLERANCE
    return min(-3, 1 - digits) if digits else TOLERANCE


def _divergence(rel: list[float | None], tolerance: float) -> int | None:
    """The first index whose relative difference exceeds ``tolerance``."""
    return next((i for i, r in enumerate(rel) if r is not None and r > tolerance), None)


def _chart(t: dict) -> str:
    """Two panels over one iteration axis: E_total in the file and in a correct run (log y when it
    spans decades), then their relative difference on a log axis, shaded where it exceeds
    the tolerance (:func:`_tolerance`), with a marker at the first iteration where it does."""
    curve = t.get("curve") if isinstance(t.get("curve"), dict) else {}
    raw_got, raw_exp = curve.get("got"), curve.get("expected")
    got, exp = _numbers(raw_got), _numbers(raw_exp)
    numbers = [v for v in got + exp if v is not None]
    if not numbers:
        return ""
    lo, hi = max(-CLIP, min(CLIP, min(numbers))), max(-CLIP, min(CLIP, max(numbers)))
    log = lo > 0 and math.log10(hi) - math.log10(lo) >= LOG_FROM_DECADES
    s_lo, s_hi, y_ticks = (_log_axis if log else _linear_axis)(lo, hi)
    scale = math.log10 if log else float
    n = max(len(got), len(exp))
    first_row = t.get("first_row") if type(t.get("first_row")) is int else None
    if t.get("layout", "rows") != "rows":  # a step is a block, a sheet or columns: no one row says it
        first_row = None
    plot_w, right = W - LEFT - RIGHT, W - RIGHT

    def x(i: float) -> float:  # index i is iteration i + 1 (row first_row + i)
        return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(s: float) -> float:
        return E_TOP + E_H * (s_hi - s) / (s_hi - s_lo)

    def y_of(v: float) -> float:
        return y(scale(max(-CLIP, min(CLIP, v))))

    rel = _relative(got, exp)
    worst = max((r for r in rel if r is not None), default=0.0)
    threshold = _tolerance(got)
    d_top = min(D_CEIL, max(D_MIN_TOP, threshold + 3, math.ceil(math.log10(worst)) if 0 < worst < math.inf
                            else D_CEIL if worst else D_MIN_TOP))

    def yd(r: float) -> float:
        s = D_FLOOR if r == 0 else d_top if r == math.inf else max(D_FLOOR, min(d_top, math.log10(r)))
        return D_TOP + D_H * (d_top - s) / (d_top - D_FLOOR)

    leave = _divergence(rel, 10.0 ** threshold)
    compared = sum(r is not None for r in rel)
    colour = LINE.get(t.get("verdict"), "#6b7280")
    text = 'font-size="10" fill="#57606a"'
    grid = 'stroke="#e6e9ed" stroke-width="1"'
    axis, y_tol = AXIS_Y, yd(10.0 ** threshold)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img"']
    summary = (f"leaves the correct curve at iteration {leave + 1:,}"
               + (f" (row {first_row + leave})" if first_row is not None else "") if leave is not None
               else "no iteration to compare" if not compared
               else f"within {_decade(threshold)} of the correct curve at every iteration" if compared == n
               else f"within {_decade(threshold)} at every iteration with a number ({compared:,} of {n:,})")
    out.append(f' aria-label="E_total by iteration, in the file and in a correct run: {esc(summary)}">')
    # the panels, their grid and the shaded zone where the file is off
    out.append(f'<rect x="{LEFT}" y="{E_TOP}" width="{plot_w}" height="{E_H}" fill="#fff" stroke="#d0d7de"/>')
    out.append(f'<rect x="{LEFT}" y="{D_TOP}" width="{plot_w}" height="{D_H}" fill="#fff" stroke="#d0d7de"/>')
    out.append(f'<rect class="off" x="{LEFT}" y="{D_TOP}" width="{plot_w}" height="{y_tol - D_TOP:.1f}"'
               ' fill="#fdecec"/>')
    iterations = _iteration_ticks(n)
    out.append('<g class="grid">' + "".join(
        f'<line x1="{x(it - 1):.1f}" y1="{top}" x2="{x(it - 1):.1f}" y2="{top + height}" {grid}/>'
        for it in iterations for top, height in ((E_TOP, E_H), (D_TOP, D_H)))
        + "".join(f'<line x1="{LEFT}" y1="{y(s):.1f}" x2="{right}" y2="{y(s):.1f}" {grid}/>' for s, _ in y_ticks)
        + "</g>")
    out.append(f'<line class="tolerance" x1="{LEFT}" y1="{y_tol:.1f}" x2="{right}" y2="{y_tol:.1f}"'
               ' stroke="#e08a8a" stroke-dasharray="4 3"/>')
    # the axes: E_total ticks, the relative difference's, the iterations under both
    out.append(f'<g class="yaxis" {text} text-anchor="end">' + "".join(
        f'<text x="{LEFT - 4}" y="{y(s) + 3.5:.1f}">{esc(label)}</text>' for s, label in y_ticks) + "</g>")
    d_ticks = [(D_FLOOR, f"≤{_decade(D_FLOOR)}"), (threshold, _decade(threshold)), (d_top, _decade(d_top))]
    out.append(f'<g class="daxis" {text} text-anchor="end">' + "".join(
        f'<text x="{LEFT - 4}" y="{D_TOP + D_H * (d_top - s) / (d_top - D_FLOOR) + 3.5:.1f}">{esc(label)}</text>'
        for s, label in d_ticks) + "</g>")
    out.append(f'<g class="xaxis" {text} text-anchor="middle">' + "".join(
        f'<line x1="{x(it - 1):.1f}" y1="{axis}" x2="{x(it - 1):.1f}" y2="{axis + 4}" stroke="#8c959f"/>'
        f'<text x="{_label_x(x(it - 1), f"{it:,}"):.1f}" y="{axis + 15}">{it:,}</text>' for it in iterations)
        + "</g>")
    where = f" (1 = row {first_row})" if first_row is not None else ""
    out.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{axis + 29}" text-anchor="middle" {text}>'
               f"iteration{esc(where)}</text>")
    e_mid, d_mid = E_TOP + E_H / 2, D_TOP + D_H / 2
    out.append(f'<text x="12" y="{e_mid:.0f}" transform="rotate(-90 12 {e_mid:.0f})" text-anchor="middle" {text}>'
               f"E_total{' (log scale)' if log else ''}</text>")
    out.append(f'<text x="12" y="{d_mid:.0f}" transform="rotate(-90 12 {d_mid:.0f})" text-anchor="middle" {text}>'
               "rel. diff.</text>")
    # the curves
    out.append(_series(exp, n, x, y_of, "#9ca3af", 3, "expected"))
    out.append(_series(got, n, x, y_of, colour, 1.5, "got"))
    out.append(_series(rel, n, x, yd, colour, 1.5, "diff"))
    # where the file leaves the correct curve
    if leave is not None:
        lx = x(leave)
        row = f' data-row="{first_row + leave}"' if first_row is not None else ""
        dot = (f'<circle cx="{lx:.1f}" cy="{y_of(got[leave]):.1f}" r="3.5" fill="none" stroke="#c62828"'
               ' stroke-width="1.5"/>' if got[leave] is not None else "")
        out.append(f'<g class="leave" data-iteration="{leave + 1}"{row}>'
                   f'<line x1="{lx:.1f}" y1="{E_TOP}" x2="{lx:.1f}" y2="{D_TOP + D_H}" stroke="#c62828"'
                   f' stroke-width="1" stroke-dasharray="3 2"/>{dot}'
                   f'<circle cx="{lx:.1f}" cy="{yd(rel[leave]):.1f}" r="3" fill="#c62828"/></g>')
    tone = "#c62828" if leave is not None else "#1a7f37" if compared else "#57606a"
    out.append(f'<text class="summary" x="12" y="{D_TOP - 7}" font-size="11" font-weight="600"'
               f' fill="{tone}">{esc(summary[0].upper() + summary[1:])}</text>')
    # the legend
    digits = f" ({1 - threshold} digits stored)" if threshold > TOLERANCE else ""
    out.append(f'<g class="legend" {text}>'
               '<line x1="12" y1="12" x2="28" y2="12" stroke="#9ca3af" stroke-width="3"/>'
               '<text x="32" y="15.5">correct run</text>'
               f'<line x1="100" y1="12" x2="116" y2="12" stroke="{colour}" stroke-width="1.5"/>'
               '<text x="120" y="15.5">in the file</text>'
               '<rect x="184" y="7" width="14" height="10" fill="#fdecec" stroke="#e08a8a" stroke-dasharray="4 3"/>'
               f'<text x="202" y="15.5">off by &gt; {_decade(threshold)}{digits}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _table(t: dict) -> str:
    errors = [e for e in t.get("errors") or [] if isinstance(e, dict)]
    warnings = [w for w in t.get("warnings") or [] if isinstance(w, dict)]
    causes = (f'<ul class="causes">{"".join(map(_error, errors))}</ul>' if errors
              else '<p class="muted">No root causes.</p>')
    warned = f'<ul class="warnings">{"".join(map(_warning, warnings))}</ul>' if warnings else ""
    notes = [n for n in t.get("notes") or [] if isinstance(n, str)]  # how the table was read, as the text says
    noted = f'<ul class="notes">{"".join(f"<li>{esc(n)}</li>" for n in notes)}</ul>' if notes else ""
    return (f'<div class="tbl"><div class="info"><h3>{esc(_table_title(t))} {_badge(t.get("verdict"))}</h3>'
            f"{causes}{warned}{noted}</div>{_chart(t)}</div>")


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
    return page(title, f'<p class="summary">{_summary(results)}</p>{_file_rows(results)}{sections}')


def page(title: str, body: str, css: str = "") -> str:
    """A whole self-contained page: the doctype, ``title`` as its title and heading, the report's
    CSS (and ``css``), then ``body`` (markup already escaped)."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
            f"<title>{esc(title)}</title><style>{CSS}{css}</style></head><body><main>"
            f"<h1>{esc(title)}</h1>{body}</main></body></html>\n")
