"""The reference run computed by a second process: the same blocks, its failures raised here, and
no process left behind when the writer stops early."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from xlbackprop.core import presets
from xlbackprop.core.errors import ReferenceProcessError
from xlbackprop.core.reference import matrices_in_blocks, train
from xlbackprop.writing import second_process


def _spy(monkeypatch) -> list[subprocess.Popen]:
    """The processes the second-process module starts from now on, recorded (on any platform)."""
    started, real = [], subprocess.Popen

    def spy(*args, **kwargs):
        process = real(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(second_process.subprocess, "Popen", spy)
    return started


def test_the_second_process_gives_the_blocks_of_the_run():
    spec = presets.load("xor").with_overrides(iterations=250)
    names = list(train(spec.with_overrides(iterations=1)))
    got = list(second_process.matrices(spec, 100, names))
    exp = list(matrices_in_blocks(spec, 100, names))
    assert [m.shape for m in got] == [(100, len(names)), (100, len(names)), (50, len(names))]
    for g, e in zip(got, exp):
        assert np.array_equal(g, e)


def test_a_failure_in_the_second_process_is_raised_here():
    spec = presets.load("class-2024").with_overrides(iterations=20)
    with pytest.raises(ReferenceProcessError, match="range.. arg 3 must not be zero"):
        list(second_process.matrices(spec, 0, ["E_total"]))  # a block size of 0 is a ValueError there


def test_stopping_early_stops_the_second_process(monkeypatch):
    started = _spy(monkeypatch)
    spec = presets.load("class-2024").with_overrides(iterations=1_000_000)
    blocks = second_process.matrices(spec, 1000, ["E_total"])
    assert next(blocks).shape == (1000, 1)
    assert len(started) == 1 and started[0].poll() is None  # at work
    blocks.close()
    assert started[0].poll() is not None  # stopped, and waited for


def test_the_second_process_runs_this_process_s_copy_of_the_package(tmp_path):
    """A copy of the package put on sys.path by hand (no install) is the one the second process runs:
    here a copy whose second process adds 1 to every number it sends."""
    import shutil
    import subprocess
    import sys

    import xlbackprop

    copy = tmp_path / "elsewhere"
    shutil.copytree(Path(xlbackprop.__file__).parent, copy / "xlbackprop",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(Path(xlbackprop.__file__).parent.parent / "templates", copy / "templates")  # as in a checkout
    source = (copy / "xlbackprop" / "writing" / "second_process.py").read_text()
    marked = source.replace("np.ascontiguousarray(matrix, dtype", "np.ascontiguousarray(matrix + 1.0, dtype")
    assert marked != source
    (copy / "xlbackprop" / "writing" / "second_process.py").write_text(marked)
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import xlbackprop.writing.second_process as b, xlbackprop.core.presets as p; "
              "assert b.__file__.startswith(sys.argv[1]), b.__file__; "
              "print(next(b.matrices(p.load('class-2024').with_overrides(iterations=3), 3, ['E_total']))[0, 0])")
    out = subprocess.run([sys.executable, "-c", script, str(copy)], capture_output=True, text=True, cwd=tmp_path,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert out.returncode == 0, out.stderr
    e_total = train(presets.load("class-2024").with_overrides(iterations=1))["E_total"][0]
    assert float(out.stdout) == e_total + 1.0


@pytest.mark.parametrize("executable", ["", "/nonexistent/python3"])
def test_without_a_second_interpreter_the_blocks_come_from_this_process(monkeypatch, executable):
    import sys

    monkeypatch.setattr(sys, "executable", executable)
    started = _spy(monkeypatch)
    spec = presets.load("class-2024").with_overrides(iterations=25)
    got = list(second_process.matrices(spec, 10, ["E_total", "w1"]))
    assert started == []
    exp = list(matrices_in_blocks(spec, 10, ["E_total", "w1"]))
    assert len(got) == len(exp) == 3 and all(np.array_equal(g, e) for g, e in zip(got, exp))
