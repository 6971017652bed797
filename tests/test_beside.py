"""The reference run computed by a second process: the same blocks, its failures raised here, and
no process left behind when the writer stops early."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from xlbackprop import beside, presets
from xlbackprop.errors import ReferenceProcessError
from xlbackprop.reference import matrices_in_blocks, train


def _children() -> set[int]:
    path = Path(f"/proc/self/task/{os.getpid()}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def test_the_second_process_gives_the_blocks_of_the_run():
    spec = presets.load("xor").with_overrides(iterations=250)
    names = list(train(spec.with_overrides(iterations=1)))
    got = list(beside.matrices(spec, 100, names))
    exp = list(matrices_in_blocks(spec, 100, names))
    assert [m.shape for m in got] == [(100, len(names)), (100, len(names)), (50, len(names))]
    for g, e in zip(got, exp):
        assert np.array_equal(g, e)


def test_a_failure_in_the_second_process_is_raised_here():
    spec = presets.load("class-2024").with_overrides(iterations=20)
    with pytest.raises(ReferenceProcessError, match="range.. arg 3 must not be zero"):
        list(beside.matrices(spec, 0, ["E_total"]))  # a block size of 0 is a ValueError there


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc to see child processes")
def test_stopping_early_stops_the_second_process():
    spec = presets.load("class-2024").with_overrides(iterations=1_000_000)
    before = _children()
    blocks = beside.matrices(spec, 1000, ["E_total"])
    assert next(blocks).shape == (1000, 1)
    assert len(_children() - before) == 1
    blocks.close()
    assert _children() == before
