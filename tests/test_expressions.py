"""The formula text of the seed's 2-2-2 network and of Mazur's (frozen biases), cell by cell."""

import pytest

from xlbackprop.core import presets
from xlbackprop.sheets.expressions import Templates
from xlbackprop.sheets.layout import Layout

SEED = Layout(presets.load("class-2024").network, 100)
MAZUR = Layout(presets.load("mazur").network, 100)

# (layout, quantity, iteration, expected formula); iteration 1 is row 14 for the seed.
CASES = [
    (SEED, "w1", 1, "=$B$12"),
    (SEED, "w8", 1, "=$I$12"),
    (SEED, "w1", 2, "=B14-eta*Y14"),
    (SEED, "w5", 2, "=F14-eta*AC14"),
    (SEED, "w8", 100, "=I112-eta*AF112"),
    (SEED, "h1", 1, "=B14*$B$4+C14*$C$4"),
    (SEED, "a_h1", 1, "=IF(J14>=0,1/(1+EXP(-J14)),EXP(J14)/(1+EXP(J14)))"),
    (SEED, "h2", 1, "=D14*$B$4+E14*$C$4"),
    (SEED, "a_h2", 3, "=IF(L16>=0,1/(1+EXP(-L16)),EXP(L16)/(1+EXP(L16)))"),
    (SEED, "o1", 1, "=F14*K14+G14*M14"),
    (SEED, "a_o1", 1, "=IF(N14>=0,1/(1+EXP(-N14)),EXP(N14)/(1+EXP(N14)))"),
    (SEED, "o2", 1, "=H14*K14+I14*M14"),
    (SEED, "a_o2", 1, "=IF(P14>=0,1/(1+EXP(-P14)),EXP(P14)/(1+EXP(P14)))"),
    (SEED, "E1", 1, "=0.5*($D$4-O14)^2"),
    (SEED, "E2", 1, "=0.5*($E$4-Q14)^2"),
    (SEED, "E_total", 1, "=R14+S14"),
    (SEED, "δ_o1", 1, "=(O14-$D$4)*(O14*(1-O14))"),
    (SEED, "δ_o2", 1, "=(Q14-$E$4)*(Q14*(1-Q14))"),
    # the hidden deltas: δ_o1*w5 + δ_o2*w7 for h1, δ_o1*w6 + δ_o2*w8 for h2, each times its own g'
    (SEED, "δ_h1", 1, "=(U14*F14+V14*H14)*(K14*(1-K14))"),
    (SEED, "δ_h2", 1, "=(U14*G14+V14*I14)*(M14*(1-M14))"),
    (SEED, "∂E/∂w1", 1, "=W14*$B$4"),
    (SEED, "∂E/∂w2", 1, "=W14*$C$4"),
    # w3 and w4 feed h2: their gradients use h2's delta (the course template used h1's here)
    (SEED, "∂E/∂w3", 1, "=X14*$B$4"),
    (SEED, "∂E/∂w4", 1, "=X14*$C$4"),
    (SEED, "∂E/∂w5", 1, "=U14*K14"),
    (SEED, "∂E/∂w6", 1, "=U14*M14"),
    (SEED, "∂E/∂w7", 1, "=V14*K14"),
    (SEED, "∂E/∂w8", 7, "=V20*M20"),
    # Mazur: two more rows in the parameter block for the frozen biases, constants $B$6..$E$6
    (MAZUR, "h1", 1, "=B16*$B$4+C16*$C$4+$B$6"),
    (MAZUR, "h2", 1, "=D16*$B$4+E16*$C$4+$C$6"),
    (MAZUR, "o1", 1, "=F16*K16+G16*M16+$D$6"),
    (MAZUR, "o2", 2, "=H17*K17+I17*M17+$E$6"),
]


@pytest.mark.parametrize("layout, name, iteration, exp", CASES,
                         ids=[f"{'seed' if c[0] is SEED else 'mazur'}-{c[1]}-{c[2]}" for c in CASES])
def test_formula_text(layout, name, iteration, exp):
    got = Templates(layout).formula(name, iteration)
    assert got == exp


def test_every_quantity_has_a_formula_and_no_forbidden_function():
    templates = Templates(SEED)
    forbidden = ("LET(", "LAMBDA(", "OFFSET(", "INDIRECT(", "RAND", "NOW(", "TODAY(")
    for column in SEED.columns[1:]:
        for iteration in (1, 2):
            formula = templates.formula(column.name, iteration)
            assert formula.startswith("=")
            assert not any(f in formula for f in forbidden), formula
            assert "=-" not in formula and "(-" not in formula.replace("EXP(-", ""), formula
