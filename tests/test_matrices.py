"""The Matrices sheet: one iteration as the lecture's matrices, MMULT array formulas recalculated by
LibreOffice, Gnumeric and IronCalc, held to a matrix implementation of backprop written here in
numpy (from the reference run's weights at that iteration) and to the reference's own columns."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import openpyxl
import pytest
from conftest import VALIDATOR, edit_cell

from xlbackprop.core import presets
from xlbackprop.core.reference import train
from xlbackprop.core.spec import from_mapping
from xlbackprop.sheets import matrices
from xlbackprop.sheets.layout import Layout
from xlbackprop.verifying.verification import verify
from xlbackprop.writing.writer import build
from xlbackprop.xlsx import grid
from xlbackprop.xlsx.engines import convert, convert_gnumeric

SEED = {"title": "seed", "layers": [2, 2, 2], "activation": ["sigmoid", "sigmoid"], "eta": 0.5,
        "inputs": [[0.05, 0.1]], "targets": [[0.01, 0.99]],
        "weights": [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55]}


def specs():
    """The seed, trained biases, several samples (xor), a deeper network, and three optimizers."""
    return {
        "seed": presets.load("class-2024").with_overrides(iterations=30),
        "biases": from_mapping({**SEED, "iterations": 12, "biases": [0.35, 0.35, 0.6, 0.6], "train_biases": True}),
        "xor": presets.load("xor").with_overrides(iterations=40),
        "deep": presets.load("deep").with_overrides(iterations=25),
        "adam": from_mapping({**SEED, "iterations": 9, "optimizer": "adam", "eta": 0.1}),
        "momentum": from_mapping({**SEED, "iterations": 9, "optimizer": "momentum", "biases": [0.35, 0.35, 0.6, 0.6],
                                  "train_biases": True}),
        "rmsprop": from_mapping({**SEED, "iterations": 9, "optimizer": "rmsprop", "eta": 0.01}),
        "softmax": from_mapping({"layers": [2, 3, 3], "activation": ["sigmoid", "softmax"], "iterations": 10,
                                 "seed": 4, "inputs": [[0.05, 0.1], [0.9, 0.2], [0.4, 0.8]],
                                 "targets": [[0, 1, 0], [1, 0, 0], [0, 0, 1]], "train_biases": True, "eta": 0.5}),
        "binary": from_mapping({**SEED, "iterations": 8, "loss": "cross-entropy"}),
    }


G = {"sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
     "tanh": (np.tanh, lambda z, a: 1 - a * a),
     "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0) * 1.0),
     "linear": (lambda z: z, lambda z, a: np.ones_like(z))}


def by_matrix(spec, table, k: int) -> dict[str, np.ndarray]:
    """Iteration ``k`` in matrices, from the weights (and optimizer state) the reference has at
    that row: z = W·a + b, δ, ∂E/∂W = δ·aᵀ / samples, and the optimizer's next W."""
    net = spec.network
    S, L = net.n_samples, net.depth
    W, B = {}, {}
    for l in range(1, L + 1):
        W[l] = np.array([[table[f"w{net.weight_numbers[(l, j, i)]}"][k - 1] for i in range(1, net.layers[l - 1] + 1)]
                         for j in range(1, net.layers[l] + 1)])
        if net.bias_mode == "trained":
            B[l] = np.array([table[f"b{net.bias_numbers[(l, j)]}"][k - 1] for j in range(1, net.layers[l] + 1)])
        elif net.bias_mode == "frozen":
            B[l] = np.array([spec.biases[net.bias_numbers[(l, j)] - 1] for j in range(1, net.layers[l] + 1)])
        else:
            B[l] = np.zeros(net.layers[l])
    X, T = np.array(spec.inputs, dtype=float).T, np.array(spec.targets, dtype=float).T
    out = {"X": X, "T": T}
    A, Z = {0: X}, {}
    for l in range(1, L + 1):
        Z[l] = W[l] @ A[l - 1] + B[l][:, None]
        if net.activations[l - 1] == "softmax":  # a column (a sample) at a time, shifted by its largest sum
            out["o_max"] = Z[l].max(axis=0, keepdims=True)
            out["e"] = np.exp(Z[l] - out["o_max"])
            A[l] = out["e"] / out["e"].sum(axis=0, keepdims=True)
        else:
            A[l] = G[net.activations[l - 1]][0](Z[l])
        out.update({f"W{l}": W[l], f"Z{l}": Z[l], f"A{l}": A[l]})
        if net.bias_mode != "none":
            out[f"b{l}"] = B[l][:, None]
    # cross-entropy's output δ is a − t (PRML eq. 4.109 and 5.18); the squared error's (a − t)·g'
    D = {L: A[L] - T if net.loss == "cross-entropy" else (A[L] - T) * G[net.activations[-1]][1](Z[L], A[L])}
    for l in range(L - 1, 0, -1):
        D[l] = (W[l + 1].T @ D[l + 1]) * G[net.activations[l - 1]][1](Z[l], A[l])
    opt = net.optimizer
    c = spec.constants()
    for l in range(1, L + 1):
        out[f"Δ{l}"] = D[l]
        grads = {f"W{l}": D[l] @ A[l - 1].T / S}
        if net.bias_mode == "trained":
            grads[f"b{l}"] = D[l].sum(axis=1, keepdims=True) / S
        for p, g in grads.items():
            out[f"∂E/∂{p}"] = g
            names = ([[f"w{net.weight_numbers[(l, j, i)]}" for i in range(1, net.layers[l - 1] + 1)]
                      for j in range(1, net.layers[l] + 1)] if p[0] == "W" else
                     [[f"b{net.bias_numbers[(l, j)]}"] for j in range(1, net.layers[l] + 1)])

            def before(prefix):
                return np.array([[0.0 if k == 1 else table[f"{prefix}_{n}"][k - 2] for n in row] for row in names])
            value = out[p]
            if opt == "sgd":
                nxt = value - spec.eta * g
            elif opt == "momentum":
                v = c["momentum"] * before("v") + g
                out[f"v{p} before"], out[f"v{p}"] = before("v"), v
                nxt = value - spec.eta * v
            elif opt == "rmsprop":
                s = c["alpha"] * before("s") + (1 - c["alpha"]) * g * g
                out[f"s{p} before"], out[f"s{p}"] = before("s"), s
                nxt = value - spec.eta * g / (np.sqrt(s) + c["epsilon"])
            else:
                m = c["beta1"] * before("m") + (1 - c["beta1"]) * g
                v = c["beta2"] * before("v") + (1 - c["beta2"]) * g * g
                out.update({f"m{p} before": before("m"), f"m{p}": m, f"v{p} before": before("v"), f"v{p}": v})
                m_hat, v_hat = m / (1 - c["beta1"] ** k), v / (1 - c["beta2"] ** k)
                nxt = value - spec.eta * m_hat / (np.sqrt(v_hat) + c["epsilon"])
            out[f"{p} next"] = nxt
    return out


def block(values: dict, b: matrices.Block) -> np.ndarray:
    return np.array([[values.get(b.cell(i, j)) for j in range(1, b.cols + 1)] for i in range(1, b.rows + 1)],
                    dtype=object)


def held(spec, values: dict, k: int, rtol: float) -> None:
    """Every matrix of the sheet (by its block) against :func:`by_matrix`, within ``rtol`` of the
    matrix's largest entry (the sheet's MMULT and numpy's @ add in their own orders); every
    difference block 0 within ``rtol`` of the matrix it compares, or blank at the last iteration."""
    plan = matrices.plan(Layout(spec.network, spec.iterations))
    table = train(spec)
    want = by_matrix(spec, table, k)
    assert values[matrices.ITERATION_CELL] == k
    checked = 0
    for name, b in plan.blocks.items():
        if name.startswith("w") or name == "1":  # the weights' names, the ones row
            continue
        got = block(values, b)
        if name in plan.compares:
            source = want[plan.compares[name]]
            if name.endswith("next") and k == spec.iterations:
                assert all(v in (None, "") for v in got.flat), name
                continue
            assert np.abs(got.astype(float)).max() <= rtol * np.abs(source).max(), (name, got)
        else:
            assert got.shape == want[name].shape, name
            scale = np.abs(want[name]).max()
            assert np.abs(got.astype(float) - want[name]).max() <= rtol * scale, (name, got, want[name])
        checked += 1
    assert checked >= 8


def recalculated(path, engine: str, tmp) -> dict:
    if engine == "ironcalc":
        _, computed = grid.in_memory(path)
        sheet = next(s for s in computed.sheets if s.name == matrices.SHEET)
        return {f"{openpyxl.utils.get_column_letter(c)}{r}": v for (r, c), v in sheet.values.items()}
    out = convert(path, tmp) if engine == "libreoffice" else convert_gnumeric(path, tmp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(out, data_only=True)[matrices.SHEET]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def typed(src, dst, k: int):
    edit_cell(src, dst, matrices.ITERATION_CELL, f'<c r="{matrices.ITERATION_CELL}" t="n"><v>{k}</v></c>',
              matrices.SHEET)
    return dst


RTOL = {"libreoffice": 1e-12, "ironcalc": 1e-12, "gnumeric": 1e-9}


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", list(specs()))
def test_libreoffice_computes_every_matrix(name, tmp_path):
    spec = specs()[name]
    path = build(spec, tmp_path / f"{name}.xlsx", sweep=())
    held(spec, recalculated(path, "libreoffice", tmp_path / "lo1"), 1, RTOL["libreoffice"])
    later = min(7, spec.iterations)
    held(spec, recalculated(typed(path, tmp_path / "later.xlsx", later), "libreoffice", tmp_path / "lo2"), later,
         RTOL["libreoffice"])
    last = typed(path, tmp_path / "last.xlsx", spec.iterations)  # no next row: its differences blank
    held(spec, recalculated(last, "libreoffice", tmp_path / "lo3"), spec.iterations, RTOL["libreoffice"])


@pytest.mark.gnumeric
@pytest.mark.parametrize("name", ["xor", "deep", "adam"])
def test_gnumeric_computes_every_matrix(name, tmp_path):
    spec = specs()[name]
    path = build(spec, tmp_path / f"{name}.xlsx", sweep=())
    held(spec, recalculated(typed(path, tmp_path / "later.xlsx", 5), "gnumeric", tmp_path / "gn"), 5,
         RTOL["gnumeric"])


@pytest.mark.parametrize("name", list(specs()))
def test_ironcalc_computes_every_matrix(name, tmp_path):
    spec = specs()[name]
    path = build(spec, tmp_path / f"{name}.xlsx", sweep=())
    held(spec, recalculated(path, "ironcalc", None), 1, RTOL["ironcalc"])
    held(spec, recalculated(typed(path, tmp_path / "later.xlsx", 6), "ironcalc", None), 6, RTOL["ironcalc"])


def test_stored_values_are_the_matrices_of_iteration_1(tmp_path):
    """What a reader that does not recalculate shows: the stored values, inside the arrays too."""
    for name in ("xor", "adam"):
        spec = specs()[name]
        path = build(spec, tmp_path / f"{name}.xlsx", sweep=())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ws = openpyxl.load_workbook(path, data_only=True)[matrices.SHEET]
        held(spec, {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}, 1, 1e-12)


def test_legacy_array_formulas_only(tmp_path):
    """MMULT as Excel 2007 writes an array formula: t="array" with its ref, no dynamic-array cm, no metadata part."""
    path = build(specs()["xor"], tmp_path / "xor.xlsx", sweep=())
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        books = re.findall(r'<sheet [^>]*name="([^"]*)"', z.read("xl/workbook.xml").decode())
        xml = z.read(f"xl/worksheets/sheet{books.index(matrices.SHEET) + 1}.xml").decode()
    assert not any("metadata" in n for n in names)
    arrays = re.findall(r'<c r="([A-Z]+\d+)"[^>]*><f t="array" ref="([A-Z]+\d+:[A-Z]+\d+)">([^<]*)</f><v>([^<]+)</v>', xml)
    assert len(arrays) >= 10 and any("MMULT(TRANSPOSE(" in f for _, _, f, _ in arrays)
    assert all(ref.startswith(anchor + ":") for anchor, ref, _, _ in arrays)
    assert ' cm="' not in xml and "<f>" in xml  # the differences are plain formulas


@pytest.mark.validator
def test_schema_valid(tmp_path):
    path = build(specs()["adam"], tmp_path / "adam.xlsx", sweep=())
    result = subprocess.run([sys.executable, str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.libreoffice
def test_verify_holds_the_matrices_and_names_a_tampered_cell(tmp_path):
    spec = specs()["xor"]
    path = build(spec, tmp_path / "xor.xlsx", sweep=())
    plan = matrices.plan(Layout(spec.network, spec.iterations))
    report = verify(typed(path, tmp_path / "it5.xlsx", 5))
    assert report.ok, report.text
    assert any(c.name == "Matrices" and c.cells >= 100 for c in report.checks)
    z = plan.blocks["Z1"]
    anchor = z.cell(1, 1)
    with zipfile.ZipFile(path) as zf:
        books = re.findall(r'<sheet [^>]*name="([^"]*)"', zf.read("xl/workbook.xml").decode())
        xml = zf.read(f"xl/worksheets/sheet{books.index(matrices.SHEET) + 1}.xml").decode()
    cell = re.search(rf'<c r="{anchor}"[^>]*>.*?</c>', xml)[0]
    tampered = tmp_path / "tampered.xlsx"
    edit_cell(path, tampered, anchor, cell.replace("</f>", "+0.001</f>"), matrices.SHEET)
    report = verify(tampered)
    assert not report.ok
    assert f"'Matrices'!{anchor}" in report.text and f"'Matrices'!{plan.blocks['ΔZ1'].cell(1, 1)}" in report.text


def test_activation_hook_has_a_matrix_form_for_every_activation():
    from xlbackprop.core.activations import ACTIVATIONS
    for name in ACTIVATIONS:
        assert matrices.forward(name, "B2:C3")
    with pytest.raises(ValueError, match="softmax"):  # not elementwise: the plan takes it a column at a time
        matrices.forward("softmax", "B2:C3")


def test_the_softmax_is_an_array_formula_a_column_shifted_by_its_largest_sum():
    spec = specs()["softmax"]
    plan = matrices.plan(Layout(spec.network, spec.iterations))
    z, shift, e, a = (plan.blocks[n] for n in ("Z2", "o_max", "e", "A2"))
    cells = {c: cell.value for r, row in plan.rows.items() for k, cell in enumerate(row, 1)
             for c in [f"{openpyxl.utils.get_column_letter(k)}{r}"]}
    column = f"{z.cell(1, 2)}:{z.cell(3, 2)}"
    assert cells[shift.cell(1, 2)] == f"=MAX({column})"
    assert cells[e.cell(1, 2)] == f"=EXP({column}-{shift.cell(1, 2)})"
    assert plan.arrays[e.cell(1, 2)] == f"{e.cell(1, 2)}:{e.cell(3, 2)}"
    assert cells[a.cell(1, 2)] == f"={e.cell(1, 2)}:{e.cell(3, 2)}/({e.cell(1, 2)}+{e.cell(2, 2)}+{e.cell(3, 2)})"
