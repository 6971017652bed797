"""The formula text of the seed's 2-2-2 network and of Mazur's (frozen biases), cell by cell."""

import pytest

from xlbackprop import presets
from xlbackprop.expressions import Templates
from xlbackprop.layout import Layout

SEED = Layout(presets.load("class-2024").network, 100)
MAZUR = Layout(presets.load("mazur").network, 100)

# (layout, quantity, iteration, expected formula); iteration 1 is row 20 for the seed.
CASES = [
    (SEED, "w1", 1, "=$B$15"),
    (SEED, "w8", 1, "=$I$15"),
    (SEED, "w1", 2, "=B20-eta*Y20"),
    (SEED, "w5", 2, "=F20-eta*AC20"),
    (SEED, "w8", 100, "=I118-eta*AF118"),
    (SEED, "h1", 1, "=B20*$B$11+C20*$C$11"),
    (SEED, "a_h1", 1, "=IF(J20>=0,1/(1+EXP(-J20)),EXP(J20)/(1+EXP(J20)))"),
    (SEED, "h2", 1, "=D20*$B$11+E20*$C$11"),
    (SEED, "a_h2", 3, "=IF(L22>=0,1/(1+EXP(-L22)),EXP(L22)/(1+EXP(L22)))"),
    (SEED, "o1", 1, "=F20*K20+G20*M20"),
    (SEED, "a_o1", 1, "=IF(N20>=0,1/(1+EXP(-N20)),EXP(N20)/(1+EXP(N20)))"),
    (SEED, "o2", 1, "=H20*K20+I20*M20"),
    (SEED, "a_o2", 1, "=IF(P20>=0,1/(1+EXP(-P20)),EXP(P20)/(1+EXP(P20)))"),
    (SEED, "E1", 1, "=0.5*($D$11-O20)^2"),
    (SEED, "E2", 1, "=0.5*($E$11-Q20)^2"),
    (SEED, "E_total", 1, "=R20+S20"),
    (SEED, "δ_o1", 1, "=(O20-$D$11)*(O20*(1-O20))"),
    (SEED, "δ_o2", 1, "=(Q20-$E$11)*(Q20*(1-Q20))"),
    # the hidden deltas: δ_o1*w5 + δ_o2*w7 for h1, δ_o1*w6 + δ_o2*w8 for h2, each times its own g'
    (SEED, "δ_h1", 1, "=(U20*F20+V20*H20)*(K20*(1-K20))"),
    (SEED, "δ_h2", 1, "=(U20*G20+V20*I20)*(M20*(1-M20))"),
    (SEED, "∂E/∂w1", 1, "=W20*$B$11"),
    (SEED, "∂E/∂w2", 1, "=W20*$C$11"),
    # w3 and w4 feed h2: their gradients use h2's delta (the course template used h1's here)
    (SEED, "∂E/∂w3", 1, "=X20*$B$11"),
    (SEED, "∂E/∂w4", 1, "=X20*$C$11"),
    (SEED, "∂E/∂w5", 1, "=U20*K20"),
    (SEED, "∂E/∂w6", 1, "=U20*M20"),
    (SEED, "∂E/∂w7", 1, "=V20*K20"),
    (SEED, "∂E/∂w8", 7, "=V26*M26"),
    # Mazur: two more rows in the parameter block for the biases, frozen constants $B$19..$E$19
    (MAZUR, "h1", 1, "=B24*$B$11+C24*$C$11+$B$19"),
    (MAZUR, "h2", 1, "=D24*$B$11+E24*$C$11+$C$19"),
    (MAZUR, "o1", 1, "=F24*K24+G24*M24+$D$19"),
    (MAZUR, "o2", 2, "=H25*K25+I25*M25+$E$19"),
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
