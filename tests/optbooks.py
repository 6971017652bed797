"""Hand-made training tables with momentum or Adam, as students lay them out, written with openpyxl.

One row a step: the course's 2-2-2 sigmoid net (Mazur's numbers, no biases), the gradients
∂E/∂w1..∂E/∂w8, then each weight's optimizer state in columns of its own, the constants in a
panel above the table, and the weights of the next row updated from the states:

    momentum   v_w = μ·v_w(row above) + ∂E/∂w,           w(next row) = w − η·v_w
    velocity   v_w = μ·v_w(row above) − η·∂E/∂w,         w(next row) = w + v_w   (CS231n's form)
    adam       m_w = β1·m_w + (1 − β1)·∂E/∂w,  s_w = β2·s_w + (1 − β2)·∂E/∂w²,
               m̂_w = m_w/(1 − β1^t),  ŝ_w = s_w/(1 − β2^t),  w(next row) = w − η·m̂_w/(√ŝ_w + ε)

With ``inline``, Adam's bias corrections are written into the update (no m̂, ŝ columns):
``w − η·(m/(1 − β1^t))/(SQRT(s/(1 − β2^t)) + ε)``; with ``ema``, momentum's gradient is scaled by
1 − μ (``v = μ·v + (1 − μ)·∂E/∂w``); ``headers`` spells the states' headers (``{"v": "velocity "}``).
The first row's states read no state above (``=AC9``, ``=(1-$B$2)*AC9``: the state before is 0).
``slips`` maps a cell (``"AL12"``) or a column (``"AL"``, every row) to the formula a slip puts
there (a column's from the second row on), with ``{r}`` the cell's row and ``{p}`` the row above.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.utils.cell import get_column_letter as L

WEIGHTS = (0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55)
INPUTS, TARGETS = (0.05, 0.1), (0.01, 0.99)
HEADER, FIRST = 8, 9
# the table's columns, from A: the step, w1..w8, the forward pass, the loss, the gradients
FORWARD = ("t", *(f"w{k}" for k in range(1, 9)), "h1", "a_h1", "h2", "a_h2", "o1", "a_o1", "o2", "a_o2",
           "E1", "E2", "E_total", *(f"∂E/∂w{k}" for k in range(1, 9)))
COL = {name: L(k) for k, name in enumerate(FORWARD, 1)}  # "w1" -> "B", "∂E/∂w1" -> "Y"
STATES = {"momentum": ("v",), "velocity": ("vel",), "adam": ("m", "s", "m_hat", "s_hat")}
CONSTANTS = {"momentum": (("eta", 0.5), ("mu", 0.9)), "velocity": (("learning rate", 0.5), ("momentum", 0.9)),
             "adam": (("eta", 0.1), ("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-8))}


def state_column(state: str, k: int, optimizer: str) -> str:
    """The column of weight k's state (``"v"``, ``"m_hat"`` ...): after the gradients, a block of 8 a state."""
    return L(len(FORWARD) + 1 + STATES[optimizer].index(state) * 8 + (k - 1))


def _forward(r: int) -> dict[str, str]:
    c = {n: f"{COL[n]}{r}" for n in FORWARD}
    i1, i2, t1, t2 = "$E$1", "$E$2", "$E$3", "$E$4"
    d1 = f"({c['a_o1']}-{t1})*{c['a_o1']}*(1-{c['a_o1']})"
    d2 = f"({c['a_o2']}-{t2})*{c['a_o2']}*(1-{c['a_o2']})"
    return {
        "h1": f"={c['w1']}*{i1}+{c['w2']}*{i2}", "a_h1": f"=1/(1+EXP(-{c['h1']}))",
        "h2": f"={c['w3']}*{i1}+{c['w4']}*{i2}", "a_h2": f"=1/(1+EXP(-{c['h2']}))",
        "o1": f"={c['w5']}*{c['a_h1']}+{c['w6']}*{c['a_h2']}", "a_o1": f"=1/(1+EXP(-{c['o1']}))",
        "o2": f"={c['w7']}*{c['a_h1']}+{c['w8']}*{c['a_h2']}", "a_o2": f"=1/(1+EXP(-{c['o2']}))",
        "E1": f"=0.5*({t1}-{c['a_o1']})^2", "E2": f"=0.5*({t2}-{c['a_o2']})^2", "E_total": f"={c['E1']}+{c['E2']}",
        "∂E/∂w1": f"=({d1}*{c['w5']}+{d2}*{c['w7']})*{c['a_h1']}*(1-{c['a_h1']})*{i1}",
        "∂E/∂w2": f"=({d1}*{c['w5']}+{d2}*{c['w7']})*{c['a_h1']}*(1-{c['a_h1']})*{i2}",
        "∂E/∂w3": f"=({d1}*{c['w6']}+{d2}*{c['w8']})*{c['a_h2']}*(1-{c['a_h2']})*{i1}",
        "∂E/∂w4": f"=({d1}*{c['w6']}+{d2}*{c['w8']})*{c['a_h2']}*(1-{c['a_h2']})*{i2}",
        "∂E/∂w5": f"={d1}*{c['a_h1']}", "∂E/∂w6": f"={d1}*{c['a_h2']}",
        "∂E/∂w7": f"={d2}*{c['a_h1']}", "∂E/∂w8": f"={d2}*{c['a_h2']}",
    }


def _optimizer(optimizer: str, r: int, k: int, inline: bool = False, ema: bool = False) -> dict[str, str]:
    """Weight k's state cells of row r, and its update in row r + 1: column letter -> formula."""
    g, first, p = f"{COL[f'∂E/∂w{k}']}{r}", r == FIRST, r - 1
    s = {name: state_column(name, k, optimizer) for name in STATES[optimizer]}
    w = COL[f"w{k}"]
    if optimizer == "momentum":
        v = s["v"]
        scaled = f"(1-$B$2)*{g}" if ema else g
        return {f"{v}{r}": f"={scaled}" if first else f"=$B$2*{v}{p}+{scaled}",
                f"{w}{r + 1}": f"={w}{r}-$B$1*{v}{r}"}
    if optimizer == "velocity":
        v = s["vel"]
        return {f"{v}{r}": f"=-$B$1*{g}" if first else f"=$B$2*{v}{p}-$B$1*{g}",
                f"{w}{r + 1}": f"={w}{r}+{v}{r}"}
    m, v, mh, vh = s["m"], s["s"], s["m_hat"], s["s_hat"]
    if inline:
        return {f"{m}{r}": f"=(1-$B$2)*{g}" if first else f"=$B$2*{m}{p}+(1-$B$2)*{g}",
                f"{v}{r}": f"=(1-$B$3)*{g}^2" if first else f"=$B$3*{v}{p}+(1-$B$3)*{g}^2",
                f"{w}{r + 1}": f"={w}{r}-$B$1*({m}{r}/(1-$B$2^A{r}))/(SQRT({v}{r}/(1-$B$3^A{r}))+$B$4)"}
    return {f"{m}{r}": f"=(1-$B$2)*{g}" if first else f"=$B$2*{m}{p}+(1-$B$2)*{g}",
            f"{v}{r}": f"=(1-$B$3)*{g}^2" if first else f"=$B$3*{v}{p}+(1-$B$3)*{g}^2",
            f"{mh}{r}": f"={m}{r}/(1-$B$2^A{r})", f"{vh}{r}": f"={v}{r}/(1-$B$3^A{r})",
            f"{w}{r + 1}": f"={w}{r}-$B$1*{mh}{r}/(SQRT({vh}{r})+$B$4)"}


def write(path, optimizer: str, steps: int = 12, slips: dict[str, str] | None = None, inline: bool = False,
          ema: bool = False, headers: dict[str, str] | None = None) -> None:
    """One sheet ``Train``: the constants in A1:B4 (``eta``, ``mu`` / ``beta1``, ``beta2``, ``eps``),
    the inputs and targets in D1:E4, the header in row 8, ``steps`` rows from row 9."""
    slips = slips or {}
    wb = Workbook()
    ws = wb.active
    ws.title = "Train"
    for r, (label, value) in enumerate(CONSTANTS[optimizer], 1):
        ws.cell(r, 1, label)
        ws.cell(r, 2, value)
    for r, (label, value) in enumerate(zip(("i1", "i2", "t1", "t2"), INPUTS + TARGETS), 1):
        ws.cell(r, 4, label)
        ws.cell(r, 5, value)
    for k, name in enumerate(FORWARD, 1):
        ws.cell(HEADER, k, name)
    for state in STATES[optimizer][:2] if inline else STATES[optimizer]:
        for k in range(1, 9):
            ws[f"{state_column(state, k, optimizer)}{HEADER}"] = f"{(headers or {}).get(state, state + '_')}w{k}"
    for r in range(FIRST, FIRST + steps):
        cells = {f"A{r}": r - FIRST + 1}
        if r == FIRST:
            cells.update({f"{COL[f'w{k}']}{r}": WEIGHTS[k - 1] for k in range(1, 9)})
        cells.update({f"{COL[n]}{r}": f for n, f in _forward(r).items()})
        for k in range(1, 9):
            cells.update({at: f for at, f in _optimizer(optimizer, r, k, inline, ema).items()
                          if int(at.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) < FIRST + steps})
        for at, text in list(cells.items()):
            column = at.rstrip("0123456789")
            slip = slips.get(at, slips.get(column) if int(at[len(column):]) > FIRST else None)
            if slip is not None:
                row = int(at[len(column):])
                cells[at] = slip.format(r=row, p=row - 1) if isinstance(slip, str) else slip
        for at, value in cells.items():
            ws[at] = value
    wb.save(path)
