"""A simulated class: assign's start files, filled in the way students fill them, with known slips.

Each student of :data:`PLAN` gets a start file from ``xlbackprop assign``; :func:`fill` then writes
formulas into it as a student types them (the sigmoid as ``1/(1+EXP(-x))``, η as ``$B$2``), one
row at a time, with the student's slip; adds a sheet per asked rate and a loss chart; and
LibreOffice recalculates the lot in one run, as Excel would save them. What each student must
get is written beside: the parts lost (by ``covers``), the flags, the status.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.chart import LineChart, Reference

from xlbackprop.core.spec import Spec
from xlbackprop.sheets.expressions import Templates
from xlbackprop.sheets.layout import Layout
from xlbackprop.xlsx import engines

RATES = (0.5, 2.0)  # the learning rates the test's assignment asks for
ITERATIONS = 30
_SIGMOID = re.compile(r"=IF\((\w+)\{r\}>=0,1/\(1\+EXP\(-\1\{r\}\)\),.*\)$")


@dataclass(frozen=True)
class Student:
    """One planted student: ``slips`` are (quantity, old, new) replacements in its formula templates."""

    id: str
    name: str
    slips: tuple[tuple[str, str, str], ...] = ()
    lost: tuple[str, ...] = ()  # the rubric parts (covers) that must lose their points
    rates: bool = True  # a sheet per asked rate
    chart: bool = True
    file: str | None = None  # the file's name, when not <id>.xlsx
    numbers_of: str | None = None  # trains this student's numbers instead of their own
    copy_of: str | None = None  # hands in this student's filled file, renamed to its own id
    empty: bool = False  # hands in the start file as it was given
    unreadable: bool = False
    missing: bool = False
    pasted: str | None = None  # a column whose formulas are pasted over with their values
    flags: tuple[str, ...] = ()  # words that must be in the student's flags
    extra: tuple[str, ...] = ()  # more files of the same student


TEMPLATE = ("δ_h2", "(M{r}*(1-M{r}))", "(K{r}*(1-K{r}))")  # the course template's slip: a_h1's slope in h2's δ
PLAN = [
    *[Student(f"s{k:02d}", f"Student {name}") for k, name in enumerate(
        ["Ada Byron", "Ben Cole", "Cara Diaz", "Dev Engel", "Eva Ford", "Finn Gray", "Gia Hahn", "Hugo Ito",
         "Ines Jung", "Jon Kerr", "Kai Lund", "Lea Moss", "Max Nash", "Nia Orr"], 1)],
    Student("s15", "Olga Pratt", slips=(TEMPLATE,), lost=("hidden-gradients",)),
    Student("s16", "Paul Quinn", slips=(TEMPLATE,), lost=("hidden-gradients",)),
    Student("s17", "Rosa Stein", slips=(TEMPLATE,), lost=("hidden-gradients",)),
    Student("s18", "Sami Tal", slips=(TEMPLATE,), lost=("hidden-gradients",)),
    Student("s19", "Tara Udo", slips=(("w3", "AA{p}", "Y{p}"),), lost=("updates",)),  # w3 with ∂E/∂w1
    Student("s20", "Umar Vik", slips=(("o1", "K{r}", "J{r}"),), lost=("forward",)),  # o1 reads h1, not a_h1
    Student("s21", "Vera Wolf", slips=(("E1", "0.5*", ""),), lost=("loss",)),
    Student("s22", "Will Xu", slips=(("∂E/∂w6", "M{r}", "K{r}"),), lost=("output-gradients",)),
    Student("s23", "Xena Yang", chart=False, lost=("chart",)),
    Student("s24", "Yuri Zeller", rates=False, lost=("learning-rates",)),
    Student("s25", "Zoe Abel", empty=True, lost=("forward", "loss", "output-gradients", "hidden-gradients",
                                                   "updates", "learning-rates", "chart")),
    Student("s26", "Anil Bose", numbers_of="s27", flags=("numbers of student s27",),
            lost=("forward", "loss", "output-gradients", "hidden-gradients", "updates")),
    Student("s27", "Bea Chan", slips=(("∂E/∂w8", "M{r}", "K{r}"),), lost=("output-gradients",)),
    Student("s28", "Carl Dahl", copy_of="s27", flags=("numbers of student s27",),
            lost=("forward", "loss", "output-gradients", "hidden-gradients", "updates")),
    Student("s29", "Dana Ekk", file="final_version.xlsx"),
    Student("s30", "Emil Falk", unreadable=True, lost=("forward", "loss", "output-gradients", "hidden-gradients",
                                                        "updates", "learning-rates", "chart")),
    Student("s31", "Fay Gold", missing=True),
    Student("s32", "Gus Holm", pasted="w2", lost=("updates",), extra=("s32_old.xlsx",)),
]
UNMATCHED = "mystery.xlsx"  # a file no student's id or name fits


def roster(path: Path) -> Path:
    lines = ["id,name,email,section"] + [f"{s.id},{s.name},{s.id}@uni.example,A" for s in PLAN]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _templates(layout: Layout, slips) -> tuple[dict[str, str], dict[str, str]]:
    t = Templates(layout, "$B$2")
    out = []
    for formulas in (t.first, t.rest):
        formulas = {n: _SIGMOID.sub(r"=1/(1+EXP(-\1{r}))", f) for n, f in formulas.items()}
        for name, old, new in slips:
            assert old in t.rest[name] or old in formulas[name], (name, old, t.rest[name])
            formulas[name] = formulas[name].replace(old, new, 1)  # the first row's links stay
        out.append(formulas)
    return out[0], out[1]


def fill(start: Path, out: Path, spec: Spec, student: Student, numbers: Spec | None = None) -> Path:
    """Fill ``start`` as ``student`` does (see the module docstring); ``numbers`` typed over the given ones."""
    wb = openpyxl.load_workbook(start)
    ws = wb["Training"]
    layout = Layout(spec.network, ITERATIONS)
    if numbers is not None:  # typed over the given numbers: another student's
        for n, w in enumerate(numbers.weights, 1):
            ws[layout.initial_weight_cell(n).replace("$", "")] = w
        for k, v in enumerate(list(numbers.inputs[0]) + list(numbers.targets[0])):
            ws.cell(layout.samples_rows[0] + 1, 2 + k, v)
    first, rest = _templates(layout, student.slips)
    for k in range(1, ITERATIONS + 1):
        r = layout.row(k)
        ws.cell(r, 1, k)
        for c in layout.columns[1:]:
            if k == 1 and c.kind == "weight":
                continue  # given: linked to the initial values
            ws[f"{c.letter}{r}"] = (first if k == 1 else rest)[c.name].format(r=r, p=r - 1)
    if student.chart:
        chart = LineChart()
        chart.title = "E_total"
        col = layout.column["E_total"].index
        chart.add_data(Reference(ws, min_col=col, min_row=layout.header_row, max_row=layout.last_row),
                       titles_from_data=True)
        ws.add_chart(chart, "K1")
    if student.rates:
        for rate in RATES:
            copy = wb.copy_worksheet(ws)
            copy.title = f"eta {rate:g}"
            copy["B2"] = rate
    wb.save(out)
    return out


def paste_values(path: Path, column: str, sheet: str = "Training") -> None:
    """Paste a column's values over its formulas (after the first data rows), as a student does with Ctrl-Shift-V."""
    wb = openpyxl.load_workbook(path, data_only=True)
    values = {c.row: c.value for c in wb[sheet][column]}
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for row, value in values.items():
        if row > 16 and isinstance(ws[f"{column}{row}"].value, str) and ws[f"{column}{row}"].value.startswith("="):
            ws[f"{column}{row}"] = value
    wb.save(path)


def make_class(folder: Path, assign) -> tuple[Path, Path, Path]:
    """The class's roster, key and submissions folder; ``assign(roster, out_folder)`` runs ``xlbackprop assign``."""
    from xlbackprop.core import presets
    from xlbackprop.grading import numbers as drawn

    roster_path = roster(folder / "class.csv")
    given = folder / "assign"
    assign(roster_path, given)
    spec = presets.load(presets.DEFAULT).with_overrides(iterations=ITERATIONS)
    filled, sent = folder / "filled", folder / "submissions"
    filled.mkdir()
    sent.mkdir()
    for s in PLAN:
        if s.missing or s.copy_of or s.unreadable:
            continue
        if s.empty:
            shutil.copy(given / f"{s.id}.xlsx", filled / f"{s.id}.xlsx")
            continue
        numbers = drawn.draw(spec, 7, s.numbers_of, RATES) if s.numbers_of else None
        fill(given / f"{s.id}.xlsx", filled / f"{s.id}.xlsx", spec, s, numbers)
    recalculated = engines.convert_all(sorted(filled.iterdir()), folder / "recalculated")
    done = {p.stem: p for p in recalculated}
    changed = folder / "changed"  # files changed after saving: openpyxl drops stored values, so saved again
    changed.mkdir()
    layout = Layout(spec.network, ITERATIONS)
    for s in PLAN:
        if s.pasted:
            shutil.copy(done[s.id], changed / f"{s.id}.xlsx")
            paste_values(changed / f"{s.id}.xlsx", openpyxl.utils.get_column_letter(layout.column[s.pasted].index))
    shutil.copy(done["s01"], changed / "mystery.xlsx")
    _strip_id(changed / "mystery.xlsx")
    done.update({p.stem: p for p in engines.convert_all(sorted(changed.iterdir()), folder / "again")})
    for s in PLAN:
        if s.missing:
            continue
        target = sent / (s.file or f"{s.id}.xlsx")
        if s.unreadable:
            target.write_bytes(b"PK\x03\x04 this is not a workbook")
            continue
        shutil.copy(done[s.copy_of or s.id], target)
        for name in s.extra:  # an older file of the same student: the start file, unfilled
            shutil.copy(given / f"{s.id}.xlsx", sent / name)
    shutil.copy(done["mystery"], sent / UNMATCHED)
    return roster_path, given / "key.csv", sent


def _strip_id(path: Path) -> None:
    """The file without assign's student id (someone's workbook, started from scratch)."""
    wb = openpyxl.load_workbook(path)
    wb.custom_doc_props.props = [p for p in wb.custom_doc_props.props if p.name != "xlbackprop student"]
    wb.save(path)
