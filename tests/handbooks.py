"""Hand-made gradient descent beyond the course's table, as people lay it out, written with openpyxl.

Each builder writes one sheet (or a few) in a layout of its own and takes ``slips``, a mapping
of a cell (``"B30"``, or ``"P"`` for every row of a column) to the formula a slip puts there;
``{row}``, ``{prev}`` and ``{at}`` in a slip stand for the cell's row, the row above and its
block's parameters' row; a number is a value pasted over the formula. The tests recalculate them with LibreOffice, as a student's spreadsheet does:

    mazur       one sheet an iteration, a vertical list of labelled cells, 2-2-2 sigmoid with frozen
                biases, each sheet's weights linked to the previous sheet's updated weights
    online      one row a step, two samples in turn, a 2-1-1 tanh/sigmoid net with trained biases,
                per-layer η typed into the updates, ``w + η·δ·x`` with δ = (t − y)·g′ and the loss
                (t − y)² (its gradients those of ½(t − y)²); labels in Portuguese; optionally the
                same net with a sigmoid hidden neuron beside it on the sheet
    runs        one group of 9 columns an iteration, one row an independent run started at
                ``=RAND()``, a 1-1-1 sigmoid chain
    homework    a 3-1-2 sigmoid net whose biases are the weights of a constant-1 input, one row a
                step, two samples in turn (saved as an old .xls by the tests)
    batch       a block of 8 rows a step: the parameters under their labels, the samples' header,
                4 samples (XOR), their means (AVERAGE); a 2-2-1 sigmoid net with trained biases, the
                loss (t − y)²
"""

from __future__ import annotations

from openpyxl import Workbook

MAZUR_WEIGHTS = (0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55)


class _Keep(dict):
    """format_map's fields: those it lacks stay as written (``{O}``, a column a table fills in)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _slipped(formulas: dict[str, str], slips: dict, row: int, **fields) -> dict:
    out = dict(formulas)
    for where, text in slips.items():
        column = where.rstrip("0123456789")
        key = where if where in out else column if column in out else None
        if key is not None and (where == column or where == key or int(where[len(column):]) == row):
            out[key] = text.format_map(_Keep(row=row, **fields)) if isinstance(text, str) else text  # a number pasted
    return out


def mazur(path, sheets: int = 3, slips: dict[str, str] | None = None,
          extra: dict[str, tuple[str, str]] | None = None) -> None:
    """Mazur's worked example: per sheet ``Iter k``, labels in A and values in B, rows 1-46;
    ``extra`` more labelled cells (``{"B47": ("dE/dout_o1", "=-(B3-B21)")}``), as his chain-rule
    partials are."""
    slips = slips or {}
    wb = Workbook()
    wb.remove(wb.active)
    for s in range(sheets):
        ws = wb.create_sheet(f"Iter {s + 1}")
        for r, (label, value) in enumerate((("i1", 0.05), ("i2", 0.1), ("t1", 0.01), ("t2", 0.99), ("eta", 0.5)), 1):
            ws.cell(r, 1, label)
            ws.cell(r, 2, value)
        for k in range(8):
            ws.cell(6 + k, 1, f"w{k + 1}")
            ws.cell(6 + k, 2, MAZUR_WEIGHTS[k] if s == 0 else f"='Iter {s}'!B{39 + k}")
        ws["A14"], ws["B14"], ws["A15"], ws["B15"] = "b1", 0.35, "b2", 0.6
        cells = {
            "B16": ("net_h1", "=B6*B1+B7*B2+B14"), "B17": ("out_h1", "=1/(1+EXP(-B16))"),
            "B18": ("net_h2", "=B8*B1+B9*B2+B14"), "B19": ("out_h2", "=1/(1+EXP(-B18))"),
            "B20": ("net_o1", "=B10*B17+B11*B19+B15"), "B21": ("out_o1", "=1/(1+EXP(-B20))"),
            "B22": ("net_o2", "=B12*B17+B13*B19+B15"), "B23": ("out_o2", "=1/(1+EXP(-B22))"),
            "B24": ("E_o1", "=0.5*(B3-B21)^2"), "B25": ("E_o2", "=0.5*(B4-B23)^2"), "B26": ("E_total", "=B24+B25"),
            "B27": ("delta_o1", "=(B21-B3)*B21*(1-B21)"), "B28": ("delta_o2", "=(B23-B4)*B23*(1-B23)"),
            "B29": ("delta_h1", "=(B27*B10+B28*B12)*B17*(1-B17)"),
            "B30": ("delta_h2", "=(B27*B11+B28*B13)*B19*(1-B19)"),
            "B31": ("dE/dw1", "=B29*B1"), "B32": ("dE/dw2", "=B29*B2"), "B33": ("dE/dw3", "=B30*B1"),
            "B34": ("dE/dw4", "=B30*B2"), "B35": ("dE/dw5", "=B27*B17"), "B36": ("dE/dw6", "=B27*B19"),
            "B37": ("dE/dw7", "=B28*B17"), "B38": ("dE/dw8", "=B28*B19"),
            **{f"B{39 + k}": (f"new w{k + 1}", f"=B{6 + k}-$B$5*B{31 + k}") for k in range(8)}, **(extra or {})}
        for at, (label, formula) in cells.items():
            row = int(at[1:])
            ws.cell(row, 1, label)
            ws[at] = slips.get(at, formula)
    wb.save(path)


ONLINE_FIRST, ONLINE_STEPS = 5, 12
ONLINE_SAMPLES = ((0.2, 0.9, 0.8), (0.7, 0.1, 0.2))  # x1, x2, t
ONLINE_LABELS = ("passo", "x1", "x2", "alvo", "w1", "w2", "b1", "v", "c", "z oculta", "h", "z saída", "y",
                 "perda", "delta saída", "delta oculta", "Δv")
COURSE_LIKE = ("step", "i1", "i2", "t1", "w1", "w2", "w3", "w4", "w5", "h1", "a_h1", "o1", "a_o1",
               "E_total", "delta_o1", "delta_h1", "dw4")  # the course's labels over another network


def online(path, slips: dict[str, str] | None = None, beside: dict[str, str] | None = None,
           labels: tuple[str, ...] = ONLINE_LABELS, changes: bool = False) -> None:
    """One row a step from row 5 (``labels`` in row 4), the two samples in turn; with ``beside``
    (its slips), the same net with a sigmoid hidden neuron in columns U..AK beside it, as one
    homework sets both on one sheet; ``changes``: each weight's change η·δ·x in a column of its own
    (Δv in Q, then R..U) and the updates ``w + Δw``."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Online"
    ws["A1"], ws["A2"] = "taxa oculta 0.5, taxa saída 0.3", "rede 2-1-1: tanh, sigmoide"
    _online_table(ws, 0, "tanh", slips or {}, labels, changes)
    if beside is not None:
        _online_table(ws, 20, "sigmoid", beside, labels, changes)
    wb.save(path)


def _online_table(ws, offset: int, hidden: str, slips: dict[str, str], labels: tuple[str, ...],
                  changes: bool = False) -> None:
    from openpyxl.utils.cell import get_column_letter

    def at(letter: str) -> str:  # a column of the table, moved ``offset`` columns to the right
        return get_column_letter(ord(letter) - ord("A") + 1 + offset)

    for col, label in enumerate(labels + (("Δw1", "Δw2", "Δb1", "Δc") if changes else ()), 1):
        ws.cell(4, col + offset, label)
    activation, slope = {"tanh": ("=TANH({J}{r})", "(1-{K}{r}^2)"),
                         "sigmoid": ("=1/(1+EXP(-{J}{r}))", "{K}{r}*(1-{K}{r})")}[hidden]
    for r in range(ONLINE_FIRST, ONLINE_FIRST + ONLINE_STEPS):
        x1, x2, t = ONLINE_SAMPLES[(r - ONLINE_FIRST) % 2]
        p = r - 1
        first = r == ONLINE_FIRST
        formulas = {
            "A": r - ONLINE_FIRST + 1, "B": x1, "C": x2, "D": t,
            "E": 0.3 if first else "={E}{p}+0.5*{P}{p}*{B}{p}", "F": -0.2 if first else "={F}{p}+0.5*{P}{p}*{C}{p}",
            "G": 0.1 if first else "={G}{p}+0.5*{P}{p}", "H": 0.4 if first else "={H}{p}+0.3*{O}{p}*{K}{p}",
            "I": -0.1 if first else "={I}{p}+0.3*{O}{p}",
            "J": "={E}{r}*{B}{r}+{F}{r}*{C}{r}+{G}{r}", "K": activation, "L": "={H}{r}*{K}{r}+{I}{r}",
            "M": "=1/(1+EXP(-{L}{r}))", "N": "=({D}{r}-{M}{r})^2", "O": "=({D}{r}-{M}{r})*{M}{r}*(1-{M}{r})",
            "P": "={O}{r}*{H}{r}*" + slope, "Q": "=0.3*{O}{r}*{K}{r}"}
        if changes:  # each weight's change in a column, the updates w + Δw
            formulas.update({"R": "=0.5*{P}{r}*{B}{r}", "S": "=0.5*{P}{r}*{C}{r}", "T": "=0.5*{P}{r}", "U": "=0.3*{O}{r}"})
            if not first:
                formulas.update({"E": "={E}{p}+{R}{p}", "F": "={F}{p}+{S}{p}", "G": "={G}{p}+{T}{p}",
                                 "H": "={H}{p}+{Q}{p}", "I": "={I}{p}+{U}{p}"})
        formulas.update(_slipped({k: v for k, v in formulas.items() if isinstance(v, str)}, slips, r))
        letters = {c: at(c) for c in "ABCDEFGHIJKLMNOPQRSTU"}
        for col, value in formulas.items():
            ws[f"{at(col)}{r}"] = value.format(r=r, p=p, row=r, **letters) if isinstance(value, str) else value


RUNS, RUN_GROUPS, RUN_WIDTH = 3, 5, 9
RUN_LABELS = ("w1", "w2", "z1", "a1", "z2", "a2", "E", "dE/dw2", "dE/dw1")


def runs(path, slips: dict[str, str] | None = None) -> None:
    """Rows 2-4 three runs, columns A-I iteration 1, J-R iteration 2 ...; x, t, η in B7:B9."""
    from openpyxl.utils.cell import get_column_letter as L

    slips = slips or {}
    wb = Workbook()
    ws = wb.active
    ws.title = "Runs"
    for label, row, value in (("x", 7, 1.0), ("t", 8, 0.5), ("eta", 9, 2.0)):
        ws[f"A{row}"], ws[f"B{row}"] = label, value
    for g in range(RUN_GROUPS):
        c = [L(1 + RUN_WIDTH * g + k) for k in range(RUN_WIDTH)]  # this group's letters
        q = [L(1 + RUN_WIDTH * (g - 1) + k) for k in range(RUN_WIDTH)] if g else None
        for k, label in enumerate(RUN_LABELS):
            ws[f"{c[k]}1"] = label
        for r in range(2, 2 + RUNS):
            formulas = {
                c[0]: "=RAND()" if q is None else f"={q[0]}{r}-$B$9*{q[8]}{r}",
                c[1]: "=RAND()" if q is None else f"={q[1]}{r}-$B$9*{q[7]}{r}",
                c[2]: f"={c[0]}{r}*$B$7", c[3]: f"=1/(1+EXP(-{c[2]}{r}))",
                c[4]: f"={c[1]}{r}*{c[3]}{r}", c[5]: f"=1/(1+EXP(-{c[4]}{r}))",
                c[6]: f"=0.5*($B$8-{c[5]}{r})^2",
                c[7]: f"=({c[5]}{r}-$B$8)*{c[5]}{r}*(1-{c[5]}{r})*{c[3]}{r}",
                c[8]: f"=({c[5]}{r}-$B$8)*{c[5]}{r}*(1-{c[5]}{r})*{c[1]}{r}*{c[3]}{r}*(1-{c[3]}{r})*$B$7"}
            for k, text in slips.items():  # a slip by the index of its column in the group: "8"
                formulas[c[int(k)]] = text.format(**{f"c{j}": f"{c[j]}{r}" for j in range(RUN_WIDTH)})
            for col, formula in formulas.items():
                ws[f"{col}{r}"] = formula
    wb.save(path)


BATCH_TOP, BATCH_BLOCK, BATCH_STEPS = 4, 8, 8
XOR = ((0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0))
BATCH_PARAMS = ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")
BATCH_START = (0.5, -0.4, 0.3, 0.6, -0.7, 0.8, 0.1, -0.2, 0.05)
BATCH_LABELS = ("amostra", "x1", "x2", "t", "z1", "a1", "z2", "a2", "z3", "y", "erro", "d3", "d1", "d2",
                "g w1", "g w2", "g w3", "g w4", "g w5", "g w6", "g b1", "g b2", "g b3")


def batch(path, slips: dict[str, str] | None = None, picked: bool = False) -> None:
    """Blocks of 8 rows from row 4, one a step: the parameters' labels and values (B..J), the
    samples' header, 4 samples, their means (AVERAGE); η in B2. ``picked``: every reference to a
    parameter and every update's previous value and gradient picked by INDEX and ROW()
    (``=INDEX(B$1:B$200,ROW()-8)-$B$2*INDEX(O$1:O$200,ROW()-2)``), as some sheets do it."""
    slips = slips or {}
    wb = Workbook()
    ws = wb.active
    ws.title = "XOR"
    ws["A1"], ws["A2"], ws["B2"] = "full batch, 4 samples", "eta", 1.0
    params = [chr(ord("B") + k) for k in range(len(BATCH_PARAMS))]  # B..J in a block's second row
    grads = [chr(ord("O") + k) for k in range(len(BATCH_PARAMS))]  # O..W in the samples and the means
    for b in range(BATCH_STEPS):
        top = BATCH_TOP + b * BATCH_BLOCK
        at, mean = top + 1, top + 7  # the parameters, the means
        ws[f"A{top}"] = f"passo {b + 1}"
        for k, (p, name) in enumerate(zip(params, BATCH_PARAMS)):
            ws[f"{p}{top}"] = name
            ws[f"{p}{at}"] = (BATCH_START[k] if b == 0 else
                              f"=INDEX({p}$1:{p}$200,ROW()-8)-$B$2*INDEX({grads[k]}$1:{grads[k]}$200,ROW()-2)" if picked
                              else f"={p}{at - BATCH_BLOCK}-$B$2*{grads[k]}{mean - BATCH_BLOCK}")
        for col, label in enumerate(BATCH_LABELS, 1):
            ws.cell(top + 2, col, label)
        w = {name: f"INDEX({p}$1:{p}$200,ROW()-{{back}})" if picked else f"{p}{at}"  # the block's parameters
             for p, name in zip(params, BATCH_PARAMS)}
        _samples(ws, top + 3, w, slips, at=at)
        ws[f"A{mean}"] = "média"
        for col in ["K"] + grads:
            ws[f"{col}{mean}"] = f"=AVERAGE({col}{top + 3}:{col}{top + 6})"
    wb.save(path)


def _samples(ws, first: int, reads: dict[str, str], slips: dict, **fields) -> None:
    """The 4 XOR samples from row ``first``: forward, loss (t − y)², deltas and each parameter's
    gradient; ``reads`` says how a sample reads each parameter (``B5``, or an INDEX that picks it,
    ``{back}`` the rows from the parameters to the sample)."""
    for s, (x1, x2, t) in enumerate(XOR):
        r = first + s
        w = {name: ref.replace("{back}", str(r - fields.get("at", r))) for name, ref in reads.items()}
        formulas = {
            "A": s + 1, "B": x1, "C": x2, "D": t,
            "E": f"={w['w1']}*B{r}+{w['w2']}*C{r}+{w['b1']}", "F": f"=1/(1+EXP(-E{r}))",
            "G": f"={w['w3']}*B{r}+{w['w4']}*C{r}+{w['b2']}", "H": f"=1/(1+EXP(-G{r}))",
            "I": f"={w['w5']}*F{r}+{w['w6']}*H{r}+{w['b3']}", "J": f"=1/(1+EXP(-I{r}))",
            "K": f"=(D{r}-J{r})^2", "L": f"=(J{r}-D{r})*J{r}*(1-J{r})",
            "M": f"=L{r}*{w['w5']}*F{r}*(1-F{r})", "N": f"=L{r}*{w['w6']}*H{r}*(1-H{r})",
            "O": f"=M{r}*B{r}", "P": f"=M{r}*C{r}", "Q": f"=N{r}*B{r}", "R": f"=N{r}*C{r}",
            "S": f"=L{r}*F{r}", "T": f"=L{r}*H{r}", "U": f"=M{r}", "V": f"=N{r}", "W": f"=L{r}"}
        formulas.update(_slipped({k: v for k, v in formulas.items() if isinstance(v, str)}, slips, r,
                                 back=r - fields.get("at", r), **fields))
        for col, value in formulas.items():
            ws[f"{col}{r}"] = value


INDEXED_TOP, INDEXED_BLOCKS = 20, 20  # the blocks' first row; the parameters' table is rows 4..


def batch_indexed(path, slips: dict[str, str] | None = None) -> None:
    """:func:`batch` laid out as INDEX picks: a table of the parameters, one row a step (labels in
    row 3, values from row 4, η in B1), and from row 20 a block of 8 rows a step (its label, the
    samples' header, 4 samples, their means, a blank) whose formulas pick their step's parameters
    with ``INDEX($B$4:$J$11, INT((ROW()-20)/8)+1, k)``; each update picks its block's means with
    ``INDEX($O$20:$O$200, 8*(ROW()-5)+7)``."""
    slips = slips or {}
    wb = Workbook()
    ws = wb.active
    ws.title = "XOR"
    ws["A1"], ws["B1"] = "eta", 1.0
    params = [chr(ord("B") + k) for k in range(len(BATCH_PARAMS))]
    grads = [chr(ord("O") + k) for k in range(len(BATCH_PARAMS))]
    last = 4 + BATCH_STEPS - 1
    ws["A3"] = "passo"
    for k, (p, name) in enumerate(zip(params, BATCH_PARAMS)):
        ws[f"{p}3"] = name
        for step in range(BATCH_STEPS):
            r = 4 + step
            ws[f"{p}{r}"] = BATCH_START[k] if step == 0 else \
                f"={p}{r - 1}-$B$1*INDEX(${grads[k]}${INDEXED_TOP}:${grads[k]}$200,8*(ROW()-5)+7)"
    for step in range(BATCH_STEPS):
        ws[f"A{4 + step}"] = step + 1
        top = INDEXED_TOP + 8 * step
        ws[f"A{top}"] = f"passo {step + 1}"
        for col, label in enumerate(BATCH_LABELS, 1):
            ws.cell(top + 1, col, label)
        w = {name: f"INDEX($B$4:$J${last},INT((ROW()-{INDEXED_TOP})/8)+1,{k + 1})"
             for k, name in enumerate(BATCH_PARAMS)}
        _samples(ws, top + 2, w, slips)
        mean = top + 6
        ws[f"A{mean}"] = "média"
        for col in ["K"] + grads:
            ws[f"{col}{mean}"] = f"=AVERAGE({col}{top + 2}:{col}{top + 5})"
    wb.save(path)


HOMEWORK_FIRST, HOMEWORK_STEPS = 4, 10
HOMEWORK_SAMPLES = ((0.3, 0.8, 0.9, 0.1), (0.6, 0.2, 0.2, 0.7))  # x1, x2, t1, t2
HOMEWORK_LABELS = ("step", "x0", "x1", "x2", "t1", "t2", "w0", "w1", "w2", "u10", "u11", "u20", "u21",
                   "z", "h", "o1", "y1", "o2", "y2", "E", "d1", "d2", "dh")


def homework(path, slips: dict[str, str] | None = None) -> None:
    """A 3-1-2 sigmoid net, one row a step from row 4, two samples in turn, its biases the weights
    of a constant-1 input ``x0`` (column B); η typed in Y2. The tests save it as an old .xls."""
    slips = slips or {}
    wb = Workbook()
    ws = wb.active
    ws.title = "Homework"
    ws["X2"], ws["Y2"] = "eta", 0.5
    for col, label in enumerate(HOMEWORK_LABELS, 1):
        ws.cell(3, col, label)
    start = {"G": 0.1, "H": -0.3, "I": 0.4, "J": 0.2, "K": 0.5, "L": -0.1, "M": -0.6}
    grads = {"G": "W{p}*B{p}", "H": "W{p}*C{p}", "I": "W{p}*D{p}", "J": "U{p}*B{p}", "K": "U{p}*O{p}",
             "L": "V{p}*B{p}", "M": "V{p}*O{p}"}
    for r in range(HOMEWORK_FIRST, HOMEWORK_FIRST + HOMEWORK_STEPS):
        x1, x2, t1, t2 = HOMEWORK_SAMPLES[(r - HOMEWORK_FIRST) % 2]
        formulas = {"A": r - HOMEWORK_FIRST + 1, "B": 1.0, "C": x1, "D": x2, "E": t1, "F": t2}
        for col, w0 in start.items():
            formulas[col] = w0 if r == HOMEWORK_FIRST else f"={col}{r - 1}-$Y$2*{grads[col].format(p=r - 1)}"
        formulas.update({
            "N": f"=G{r}*B{r}+H{r}*C{r}+I{r}*D{r}", "O": f"=1/(1+EXP(-N{r}))",
            "P": f"=J{r}*B{r}+K{r}*O{r}", "Q": f"=1/(1+EXP(-P{r}))", "R": f"=L{r}*B{r}+M{r}*O{r}",
            "S": f"=1/(1+EXP(-R{r}))", "T": f"=0.5*((E{r}-Q{r})^2+(F{r}-S{r})^2)",
            "U": f"=(Q{r}-E{r})*Q{r}*(1-Q{r})", "V": f"=(S{r}-F{r})*S{r}*(1-S{r})",
            "W": f"=(U{r}*K{r}+V{r}*M{r})*O{r}*(1-O{r})"})
        formulas.update(_slipped({k: v for k, v in formulas.items() if isinstance(v, str)}, slips, r))
        for col, value in formulas.items():
            ws[f"{col}{r}"] = value
    wb.save(path)
