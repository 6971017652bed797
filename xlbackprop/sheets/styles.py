"""The look of the workbook: one named style per kind of cell, and the colour key that explains them.

Each kind of cell (a given value, a weight, the forward pass, the loss, a δ, a gradient) gets
a named style, so the colours mean the same thing everywhere and show up by name in the
spreadsheet program's style list.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

# kind -> (label in the colour key, fill colour, number format)
KINDS: dict[str, tuple[str, str, str]] = {
    "given": ("given value", "FFF2CC", "General"),
    "weight": ("weight, bias", "DDEBF7", "0.000000"),
    "forward": ("forward pass", "E2EFDA", "0.000000"),
    "loss": ("loss", "FCE4D6", "0.000E+00"),
    "delta": ("δ backprop", "EDE2F6", "0.000E+00"),
    "gradient": ("gradient", "FFE0EC", "0.000E+00"),
    "state": ("optimizer state", "BDD7EE", "0.000E+00"),  # m_w1, v_w1 ...: a deeper blue than their weight's
}
KINDS["bias"] = KINDS["weight"]
OPTIONAL = ("state",)  # registered only in a workbook that has such cells (SGD's stay as they were)

_thin = Side(style="thin", color="A6A6A6")
_middle = Alignment(vertical="center")
FONT, SIZE = "Calibri", 10  # rows 12.75 points high hold it (layout.ROW_PT)


def _font(**kw) -> Font:
    return Font(name=FONT, size=kw.pop("size", SIZE), **kw)


def named_styles(state: bool = False) -> dict[str, NamedStyle]:
    """Fresh named styles (a workbook owns the ones it registers), keyed by kind; the optimizer
    state's with ``state``."""
    styles = {}
    for kind, (label, colour, number_format) in KINDS.items():
        if kind == "bias" or (kind in OPTIONAL and not state):
            continue
        styles[kind] = NamedStyle(
            name=f"xlbackprop {kind}", font=_font(), fill=PatternFill("solid", fgColor=colour),
            number_format=number_format)
    styles["bias"] = styles["weight"]
    styles["header"] = NamedStyle(
        name="xlbackprop header", font=_font(bold=True), fill=PatternFill("solid", fgColor="D9D9D9"),
        alignment=Alignment(horizontal="center", vertical="center", wrap_text=True), border=Border(bottom=_thin))
    # words, math and formulas shown as text: wrapped in their column, never cut off by the next one
    styles["text"] = NamedStyle(name="xlbackprop text", font=_font(), alignment=Alignment(wrap_text=True))
    styles["iteration"] = NamedStyle(name="xlbackprop iteration", font=_font(color="595959"),
                                     alignment=Alignment(horizontal="center"))
    styles["title"] = NamedStyle(name="xlbackprop title", font=_font(bold=True, size=14), alignment=_middle)
    styles["label"] = NamedStyle(name="xlbackprop label", font=_font(bold=True), alignment=_middle)
    styles["eta"] = NamedStyle(
        name="xlbackprop eta", font=_font(bold=True, size=14), fill=PatternFill("solid", fgColor="FFD966"),
        border=Border(left=_thin, right=_thin, top=_thin, bottom=_thin), number_format="General",
        alignment=Alignment(horizontal="center", vertical="center"))
    # a matrix's difference from the Training sheet's cells (Matrices): 0 where they agree
    styles["difference"] = NamedStyle(name="xlbackprop difference", font=_font(color="595959"),
                                      fill=PatternFill("solid", fgColor="F2F2F2"), number_format="General")
    styles["hint"] = NamedStyle(name="xlbackprop hint", font=_font(italic=True, color="7F7F7F"), alignment=_middle)
    return styles
