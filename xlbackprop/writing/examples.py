"""The ready-made workbooks in ``docs/examples/``, for whoever wants the file and not the tool.

    python -m xlbackprop.writing.examples docs/examples      # writes them anew

Each is exactly what ``xlbackprop build`` writes (``tests/test_examples.py`` holds them to fresh
builds byte for byte), so a download is as good as a build.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..core import presets
from ..sheets.sweep import DEFAULT_RATES
from .writer import build

# file name: (preset, learning-rate sweep (None: the preset's comparison of optimizers), what it shows)
EXAMPLES = {
    "backprop.xlsx": ("class-2024", DEFAULT_RATES, "the default: the course's 2024 network, and the assignment's "
                                                   "six rates on their own sheets and the Sweep chart"),
    "class-2021.xlsx": ("class-2021", DEFAULT_RATES, "the course's 2021-23 network (targets 0.01 and 0.99), "
                                                     "with the assignment's sweep"),
    "mazur.xlsx": ("mazur", (), "Matt Mazur's step-by-step example, with his frozen biases"),
    "xor.xlsx": ("xor", (), "a 2-3-1 network learning XOR from four samples, 1,000 iterations"),
    "adam-vs-sgd.xlsx": ("adam-vs-sgd", None, "the seed network trained by SGD, momentum and Adam, a sheet each, "
                                              "their curves overlaid on the Sweep sheet"),
    "softmax-3class.xlsx": ("softmax-3class", (), "a softmax classifier of 12 iris flowers, cross-entropy"),
}


def write(folder: str | Path) -> list[Path]:
    """Write every example into ``folder``, replacing what is there (these are ours to remake)."""
    return [build(presets.load(preset), Path(folder) / name, sweep=rates, force=True)
            for name, (preset, rates, _) in EXAMPLES.items()]


if __name__ == "__main__":
    for path in write(sys.argv[1] if len(sys.argv) > 1 else "docs/examples"):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
