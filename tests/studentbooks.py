"""Student-like backpropagation workbooks with known slips planted: the fixtures of ``xlbackprop check``.

Every case in :data:`CASES` builds a workbook the way students build theirs: a 2-2-2 sigmoid
network trained in a table of one row per iteration (quantity names as in
:mod:`xlbackprop.core.network`), the given numbers typed in the first data row, the weights updated
in every row below, η in one labelled cell. A :class:`Layout` says where things go (header row,
first column, column order, header spellings, labelled cells such as η); the formulas are written
once, as templates in quantity names, and :func:`render` turns a template into a row's formula::

    template  "=(a_o1-t1)*a_o1*(1-a_o1)*a_h1"                         (∂E/∂w5, from FORMULAS)
    layout    RIGHT: header row 32, from column A
              t1 t2 i1 i2 w1 w2 w3 w4 h1 a_h1 h2 a_h2 w5 w6 w7 w8 o1 a_o1 o2 a_o2 E1 E2 E_total ∂E∂W1..∂E∂W8
              label "η =" in G30 and η in H30
    cell      AB33: =(R33-A33)*R33*(1-R33)*J33

``prev:w1`` is the row above, so the update ``=prev:w1-η*prev:∂E/∂w1`` is E34 ``=E33-$H$30*X33``
(a template with ``prev:`` starts at the second data row; above it the given number is typed).
A name that is not a column is a labelled cell (η, Mazur's b1 and b2), referenced absolute,
unless the layout says ``anchored=False``. A slip is a template override, optionally from some
iteration on; each case records the verdict and the errors and warnings the checker must report.

Tests: ``path = build_case("template_slip", tmp_path)``, recalculate it with LibreOffice
(:func:`xlbackprop.xlsx.engines.convert`), check it and compare with ``CASES["template_slip"]``.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping

import openpyxl
from openpyxl.utils import get_column_letter

SHEET = "Sheet1"
W = tuple(f"w{n}" for n in range(1, 9))
GRAD = tuple(f"∂E/∂w{n}" for n in range(1, 9))
B = ("b1", "b2", "b3", "b4")
SEED = {"t1": 0.01, "t2": 0.99, "i1": 0.05, "i2": 0.1, "η": 0.5,
        **dict(zip(W, (0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55)))}
COLUMNS = ("t1", "t2", "i1", "i2", *W[:4], "h1", "a_h1", "h2", "a_h2", *W[4:],
           "o1", "a_o1", "o2", "a_o2", "E1", "E2", "E_total", *GRAD)

_DELTA = {k: f"(a_o{k}-t{k})*a_o{k}*(1-a_o{k})" for k in (1, 2)}  # the output deltas, as students write them
SLOPE = {j: f"a_h{j}*(1-a_h{j})" for j in (1, 2)}
HIDDEN = dict(zip(GRAD[:4], (1, 1, 2, 2)))  # ∂E/∂w1..4: which hidden neuron the weight feeds
FORMULAS = {
    "h1": "=i1*w1+i2*w2", "a_h1": "=1/(1+EXP(-h1))", "h2": "=w3*i1+w4*i2", "a_h2": "=1/(1+EXP(-h2))",
    "o1": "=w5*a_h1+w6*a_h2", "a_o1": "=1/(1+EXP(-o1))", "o2": "=w7*a_h1+w8*a_h2", "a_o2": "=1/(1+EXP(-o2))",
    "E1": "=0.5*(t1-a_o1)^2", "E2": "=0.5*(t2-a_o2)^2", "E_total": "=E1+E2",
    **{g: f"=({_DELTA[1]}*w{4 + j}+{_DELTA[2]}*w{6 + j})*{SLOPE[j]}*i{2 - n % 2}"
       for n, (g, j) in enumerate(HIDDEN.items(), 1)},
    **{g: f"={_DELTA[k]}*a_h{j}" for g, (k, j) in zip(GRAD[4:], ((1, 1), (1, 2), (2, 1), (2, 2)))},
    **{w: f"=prev:{w}-η*prev:∂E/∂{w}" for w in W},
}


@dataclass(frozen=True)
class Layout:
    """Where one table sits. ``panel`` holds labelled cells: (name, label, row, column of the label),
    the value one cell right of its label; ``titles`` are group titles above the header."""

    header_row: int = 32
    first_col: int = 1
    columns: tuple[str, ...] = COLUMNS
    labels: Mapping[str, str] = field(default_factory=dict)  # header spellings; a name spells itself
    panel: tuple[tuple[str, str, int, int], ...] = (("η", "η =", 30, 7),)
    anchored: bool = True  # False: η referenced without $, sliding down as the update is filled down
    exp: str = "EXP("
    text_row: bool = False  # a row of formulas as text between the header and the first data row
    titles: Mapping[str, str] = field(default_factory=dict)

    @property
    def first_row(self) -> int:
        return self.header_row + 1 + self.text_row

    def col(self, name: str) -> int:
        return self.first_col + self.columns.index(name)


_TOKEN = re.compile(r"(?<![A-Za-z_])(prev:)?(∂E/∂w\d|E_total|a_[ho]\d|g_h\d|[hotiwbE]\d|η)(?!\w)")


def render(lay: Layout, template: str, row: int) -> str:
    """The formula of ``template`` in ``row``: each quantity name becomes its cell."""
    def ref(match: re.Match) -> str:
        name, at = match[2], row - 1 if match[1] else row
        if name in lay.columns:
            letter = get_column_letter(lay.col(name))
            return f"${letter}{at}" if name == "η" else f"{letter}{at}"  # an η column: `=F3-$A4*Y3`
        vrow, vcol = next((r, c + 1) for token, _, r, c in lay.panel if token == name)
        letter = get_column_letter(vcol)
        return f"${letter}${vrow}" if lay.anchored else f"{letter}{vrow + row - lay.first_row - 1}"
    return _TOKEN.sub(ref, template).replace("EXP(", lay.exp)


def spoken(template: str) -> str:
    """A template as students write it in text: ``"=1/(1+EXP(-h1))"`` -> ``"σ(h1)"``."""
    text = re.sub(r"1/\(1\+EXP\(-(\w+)\)\)", r"σ(\1)", template.lstrip("=").replace("prev:", ""))
    return text.replace("a_", "out_")


def write_table(ws, lay: Layout, values: Mapping[str, float], iterations: int,
                formulas: Mapping[str, str] = FORMULAS, slips: Mapping[str, str] | None = None,
                slip_from: int = 0, given: Callable[[str, int], float | None] | None = None) -> None:
    """One training table: ``slips`` replace templates from iteration ``slip_from`` (0-based) on;
    a cell without a template gets ``given(name, k)`` (default: ``values``, epoch k+1) or stays empty."""
    slips = slips or {}
    given = given or (lambda name, k: k + 1 if name == "epoch" else values.get(name))
    for token, label, row, col in lay.panel:
        ws.cell(row, col, label)
        ws.cell(row, col + 1, values[token])
    for name, title in lay.titles.items():
        ws.cell(lay.header_row - 1, lay.col(name), title)
    for name in lay.columns:
        col = lay.col(name)
        ws.cell(lay.header_row, col, lay.labels.get(name, name))
        if lay.text_row and name in formulas:
            ws.cell(lay.header_row + 1, col, spoken(formulas[name]))
        for k in range(iterations):
            row = lay.first_row + k
            template = (slips.get(name) if k >= slip_from else None) or formulas.get(name)
            if template and (k > 0 or "prev:" not in template):
                ws.cell(row, col, render(lay, template, row))
            elif (value := given(name, k)) is not None:
                ws.cell(row, col, value)


def swap(name: str, old: str, new: str) -> str:
    """``FORMULAS[name]`` with ``old`` typed as ``new``: a slip."""
    assert old in FORMULAS[name], (name, old)
    return FORMULAS[name].replace(old, new)


def plus(**tails: str) -> dict[str, str]:
    """FORMULAS with text appended to some templates: ``plus(h1="+b1")``."""
    return {**FORMULAS, **{name: FORMULAS[name] + tail for name, tail in tails.items()}}


def grad_labels(spelling: str) -> dict[str, str]:
    return {g: spelling.format(n) for n, g in enumerate(GRAD, 1)}


def formula_labels(formulas: Mapping[str, str]) -> dict[str, str]:
    """Headers holding whole formulas: ``"out_h1 = σ(h1)"``, ``"E = E1+E2"``."""
    def spell(name: str) -> str:
        return "E" if name == "E_total" else name.replace("a_", "out_")
    return {name: f"{spell(name)} = {spoken(t)}" for name, t in formulas.items() if "prev:" not in t}


def spec_mapping(values: Mapping[str, float], iterations: int, biases: tuple = ()) -> dict:
    """The problem as a network file for :func:`xlbackprop.core.spec.from_mapping`."""
    return {"layers": [2, 2, 2], "weights": [values[w] for w in W], "inputs": [[values["i1"], values["i2"]]],
            "targets": [[values["t1"], values["t2"]]], "eta": values["η"], "iterations": iterations,
            **({"biases": list(biases)} if biases else {})}


# ---- layouts ----------------------------------------------------------------------------------
RIGHT = Layout(labels=grad_labels("∂E∂W{}"))
PANEL = replace(RIGHT, header_row=29, first_col=4,  # a key/value panel in A-B beside the table
                labels={**{w: w.upper() for w in W}, "a_o1": "a_O1", "a_o2": "a_O2", "E_total": "E_tot",
                        **grad_labels("∂E_t/∂W{}")},
                panel=(("η", "L.R", 27, 4),) + tuple((n, n.upper() if n in W else n, 29 + r, 1)
                                                     for r, n in enumerate(("i1", "i2", *W))))
TSAI = replace(RIGHT, header_row=35, columns=("epoch", *COLUMNS), panel=(("η", "LR", 33, 9),), exp="exp(",
               labels={"E_total": "E_tot", **grad_labels("EdW{}")})
TSAI2 = replace(TSAI, header_row=70, panel=(("η", "LR", 68, 9),))
ETA_COLUMN = Layout(header_row=2, columns=("η", *COLUMNS), panel=(), labels=formula_labels(FORMULAS),
                    titles={"η": "rate", "t1": "targets", "i1": "inputs", "w1": "weights", "h1": "hidden",
                            "w5": "weights", "o1": "output", "E1": "error", "∂E/∂w1": "gradients"})
TEXT_ROW = replace(RIGHT, text_row=True,
                   labels={**{a: a.replace("a_", "out_") for a in ("a_h1", "a_h2", "a_o1", "a_o2")},
                           "E_total": "E_Total", **grad_labels("δE_total/δw{}")})
PER_SHEET = Layout(header_row=3, panel=(("η", "η =", 1, 1),), labels=grad_labels("E∂w{}"))
MAZUR = replace(RIGHT, panel=RIGHT.panel + (("b1", "b1", 30, 10), ("b2", "b2", 30, 12)))
BIAS_COLUMNS = replace(RIGHT, columns=COLUMNS[:8] + B[:2] + COLUMNS[8:16] + B[2:] + COLUMNS[16:])
ORDERED = replace(RIGHT, header_row=31, panel=(("η", "α = ", 29, 7),),
                  columns=(*COLUMNS[:8], "h1", "h2", "a_h1", "a_h2", *W[4:], "o1", "o2", "a_o1", "a_o2", *COLUMNS[20:]))
MAZUR_COLUMNS = replace(RIGHT, columns=COLUMNS[:8] + ("b1",) + COLUMNS[8:16] + ("b2",) + COLUMNS[16:])
INPUT_PANEL = replace(RIGHT, columns=COLUMNS[4:],  # inputs and targets in labelled cells, not columns
                      panel=RIGHT.panel + tuple((n, f"{n} =", 26 + k, 2) for k, n in enumerate(("i1", "i2", "t1", "t2"))))
# ∂E/∂a_h1 and ∂E/∂a_h2 (g_h1, g_h2) in columns of their own, labels the checker does not know
INTERMEDIATE = replace(RIGHT, columns=COLUMNS[:23] + ("g_h1", "g_h2") + COLUMNS[23:],
                       labels={**RIGHT.labels, "g_h1": "∂E/∂a_h1", "g_h2": "∂E/∂a_h2"})
THROUGH = {"g_h1": f"={_DELTA[1]}*w5+{_DELTA[2]}*w7", "g_h2": f"={_DELTA[1]}*w6+{_DELTA[2]}*w8",
           **{g: f"=g_h{j}*{SLOPE[j]}*i{2 - n % 2}" for n, (g, j) in enumerate(HIDDEN.items(), 1)}}
R0 = RIGHT.first_row


# ---- cases ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expect:
    """One finding the checker must report; ``words``: lowercase substrings its cause text must hold."""

    quantity: str
    kind: str  # "formula" | "update" | "anchoring" | "not-uniform" | "values-only"
    sheet: str
    row: int | None
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], openpyxl.Workbook]
    verdict: str  # "right" | "wrong" | "incomplete"
    errors: tuple[Expect, ...] = ()
    warnings: tuple[Expect, ...] = ()
    tables: int = 1
    needs_recalc: bool = True
    story: str = ""


CASES: dict[str, Case] = {}


def case(verdict: str, story: str, errors=(), warnings=(), tables: int = 1, needs_recalc: bool = True):
    """Register the decorated ``_name()`` workbook builder as ``CASES["name"]``."""
    def register(build):
        name = build.__name__.lstrip("_")
        CASES[name] = Case(name, build, verdict, tuple(errors), tuple(warnings), tables, needs_recalc, story)
        return build
    return register


def expect(quantity: str, kind: str, row: int | None, *words: str, sheet: str = SHEET) -> Expect:
    return Expect(quantity, kind, sheet, row, words)


def book(lay: Layout = RIGHT, values: Mapping[str, float] = SEED, iterations: int = 40, **table) -> openpyxl.Workbook:
    """A workbook of one sheet, ``Sheet1``, holding one table."""
    wb = openpyxl.Workbook()
    wb.active.title = SHEET
    write_table(wb.active, lay, values, iterations, **table)
    return wb


@case("right", "the real student's layout (header row 32, η in H30), every formula right")
def _right():
    return book()


@case("wrong", "∂E/∂w3 and ∂E/∂w4 copied from ∂E/∂w1 keep a_h1's slope where a_h2's belongs",
      errors=[expect(g, "formula", R0, "a_h1", "a_h2") for g in GRAD[2:4]])
def _template_slip():
    return book(slips={g: swap(g, SLOPE[2], SLOPE[1]) for g in GRAD[2:4]})


@case("wrong", "a key/value panel beside the table; w3 and w4 are updated with ∂E/∂w1's and ∂E/∂w2's columns",
      errors=[expect("w3", "update", PANEL.first_row + 1, "∂e/∂w1"),
              expect("w4", "update", PANEL.first_row + 1, "∂e/∂w2")])
def _wrong_update():
    return book(PANEL, {**SEED, "η": 1.0}, slips={"w3": swap("w3", "∂E/∂w3", "∂E/∂w1"),
                                                   "w4": swap("w4", "∂E/∂w4", "∂E/∂w2")})


@case("wrong", "η referenced without $: filled down, the updates read H31, H32 (the header), ...",
      errors=[expect(w, "anchoring", R0 + 2, "η") for w in W])
def _sliding_eta():
    return book(replace(RIGHT, anchored=False))


@case("wrong", "from data row 20 on ∂E/∂w6 uses a_h1 where a_h2 belongs",
      errors=[expect("∂E/∂w6", "not-uniform", R0 + 19, "a_h1", "a_h2")])
def _changed_row():
    return book(slips={"∂E/∂w6": swap("∂E/∂w6", "*a_h2", "*a_h1")}, slip_from=19)


@case("wrong", "right numbers pasted as values, no formula anywhere (the checker may report more values-only "
      "entries: one per computed column)", needs_recalc=False,
      errors=[expect("E_total", "values-only", R0), expect("w1", "values-only", R0 + 1)])
def _pasted_values():
    from xlbackprop.core import reference, spec
    ref = reference.train(spec.from_mapping(spec_mapping(SEED, 40)))
    return book(formulas={}, given=lambda name, k: float(ref[name][k]) if name in ref else SEED.get(name))


LATENT = {**SEED, "t1": 0.5, "t2": 0.5, "η": 1.0}


@case("right", "2024 class (t1 = t2 = 0.5): E2 and ∂E/∂w8 use t1 where t2 belongs, which the values cannot show",
      warnings=[expect(q, "warning", R0, "t1", "t2") for q in ("E2", "∂E/∂w8")])
def _latent_target():
    return book(values=LATENT, slips={q: swap(q, "t2", "t1") for q in ("E2", "∂E/∂w8")})


@case("wrong", "two tables on one sheet (η 0.1, then 0.2); the second's ∂E/∂w2 uses a_h2's slope", tables=2,
      errors=[expect("∂E/∂w2", "formula", TSAI2.first_row, "a_h2", "a_h1")])
def _stacked():
    wb = book(TSAI, {**SEED, "η": 0.1}, 30)
    write_table(wb.active, TSAI2, {**SEED, "η": 0.2}, 30, slips={"∂E/∂w2": swap("∂E/∂w2", SLOPE[1], SLOPE[2])})
    return wb


@case("wrong", "η as column A, whole formulas as header text; ∂E/∂w1..4 use h*(1-h) where a_h*(1-a_h) belongs",
      errors=[expect(g, "formula", ETA_COLUMN.first_row, f"h{j}") for g, j in HIDDEN.items()])
def _eta_column():
    return book(ETA_COLUMN, {**SEED, "η": 0.8},
                slips={g: swap(g, SLOPE[j], f"h{j}*(1-h{j})") for g, j in HIDDEN.items()})


@case("right", "out_h1/δE_total/δw1 spellings and a row of formulas as text above the first data row")
def _formula_text_row():
    return book(TEXT_ROW)


ETAS = ("0.1", "0.2", "0.5", "0.8", "1.0", "2.0")


@case("right", "one sheet per η, named after it, E∂w1 headers, E1 with POWER", tables=len(ETAS))
def _per_sheet_eta():
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    power = {f"E{k}": f"=0.5*POWER(t{k}-a_o{k},2)" for k in (1, 2)}
    for name in ETAS:
        write_table(wb.create_sheet(name), PER_SHEET, {**SEED, "η": float(name)}, 25, formulas={**FORMULAS, **power})
    return wb


@case("right", "Mazur's biases b1 = 0.35 (hidden) and b2 = 0.6 (output) as labelled cells beside the table")
def _mazur_biases():
    return book(MAZUR, {**SEED, "b1": 0.35, "b2": 0.6}, formulas=plus(h1="+b1", h2="+b1", o1="+b2", o2="+b2"))


@case("right", "one frozen bias per neuron as columns b1..b4, typed once and `=b1 above` below")
def _bias_columns():
    formulas = {**plus(h1="+b1", h2="+b2", o1="+b3", o2="+b4"), **{b: f"=prev:{b}" for b in B}}
    return book(BIAS_COLUMNS, {**SEED, **dict(zip(B, (0.1, 0.2, 0.3, 0.4)))}, formulas=formulas)


@case("right", "inputs and targets in a panel of labelled cells (`i1 =` 0.05 ...) the formulas read with $")
def _input_panel():
    return book(INPUT_PANEL)


@case("right", "the hidden gradients through columns of ∂E/∂a_h1 and ∂E/∂a_h2, which the checker reads through")
def _intermediate_columns():
    return book(INTERMEDIATE, formulas={**FORMULAS, **THROUGH})


@case("wrong", "∂E/∂a_h2's column uses w5 where w6 belongs: ∂E/∂w3 and ∂E/∂w4, which read it, are wrong",
      errors=[expect(g, "formula", R0, "w5", "w6", "through") for g in GRAD[2:4]])
def _intermediate_slip():
    return book(INTERMEDIATE, formulas={**FORMULAS, **THROUGH, "g_h2": THROUGH["g_h2"].replace("w6", "w5")})


@case("right", "Mazur's two shared biases as columns b1 (hidden) and b2 (output), `=b1 above` below")
def _mazur_bias_columns():
    formulas = {**plus(h1="+b1", h2="+b1", o1="+b2", o2="+b2"), **{b: f"=prev:{b}" for b in B[:2]}}
    return book(MAZUR_COLUMNS, {**SEED, "b1": 0.35, "b2": 0.6}, formulas=formulas)


@case("right", "a single iteration")
def _one_iteration():
    return book(iterations=1)


@case("right", "h1 h2 a_h1 a_h2 order, inputs 0.6/0.25, `α = ` 0.1, =1/2*(..)^2, targets `=A31`, 100 iterations")
def _column_order():
    formulas = {**FORMULAS, "E1": "=1/2*(t1-a_o1)^2", "E2": "=1/2*(t2-a_o2)^2", "t1": "=prev:t1", "t2": "=prev:t2"}
    return book(ORDERED, {**SEED, "i1": 0.6, "i2": 0.25, "η": 0.1}, 100, formulas=formulas)


@case("wrong", "two sheets whose ∂E/∂w3 formulas read alike (J33*(1-J33)), but column J is a_h1 on one and "
      "a_h2 on the other: the first keeps the template's slip, the second is right (a file's tables share "
      "their diagnoses only where the same formula means the same)",
      errors=[expect(g, "formula", R0, "a_h1", "a_h2", sheet="slip") for g in GRAD[2:4]], tables=2)
def _alike_sheets():
    wb = openpyxl.Workbook()
    wb.active.title = "slip"
    write_table(wb.active, RIGHT, SEED, 30, slips={g: swap(g, SLOPE[2], SLOPE[1]) for g in GRAD[2:4]})
    k1, k2 = COLUMNS.index("a_h1"), COLUMNS.index("a_h2")
    swapped = list(COLUMNS)
    swapped[k1], swapped[k2] = swapped[k2], swapped[k1]
    write_table(wb.create_sheet("right"), replace(RIGHT, columns=tuple(swapped)), SEED, 30)
    return wb


@case("incomplete", "the header and the given numbers only: nothing computed yet")
def _not_filled():
    return book(iterations=1, formulas={})


@case("wrong", "∂E/∂w5 with * typed for -: (1*a_o1)", errors=[expect("∂E/∂w5", "formula", R0)])
def _operator_slip():
    return book(slips={"∂E/∂w5": swap("∂E/∂w5", "(1-a_o1)", "(1*a_o1)")})


@case("wrong", "∂E/∂w1 uses w6 where w5 belongs", errors=[expect("∂E/∂w1", "formula", R0, "w5", "w6")])
def _wrong_hidden_weight():
    return book(slips={"∂E/∂w1": swap("∂E/∂w1", "w5", "w6")})


def build_case(name: str, folder: str | Path) -> Path:
    """Write case ``name``'s workbook to ``folder/<name>.xlsx``."""
    path = Path(folder) / f"{name}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    CASES[name].build().save(path)
    return path


_CELL = re.compile(rb"<c\b([^>]*?)(?<!/)>(.*?)</c>", re.S)
_TEXT_TYPE = re.compile(rb'\bt="(?:s|str|inlineStr|b|e|d)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")


def round_stored_values(src: str | Path, dst: str | Path, digits: int = 10) -> None:
    """Copy the package ``src`` to ``dst`` with every stored number of its worksheets rounded to
    ``digits`` significant digits, as a Google Sheets export stores them; all else byte-identical."""
    def number(match: re.Match) -> bytes:
        try:
            return b"<v>" + format(float(match[1]), f".{digits}g").encode() + b"</v>"
        except ValueError:
            return match[0]

    def cell(match: re.Match) -> bytes:
        if _TEXT_TYPE.search(match[1]):
            return match[0]
        return b"<c" + match[1] + b">" + _VALUE.sub(number, match[2]) + b"</c>"

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
                data = _CELL.sub(cell, data)
            zout.writestr(info, data)
