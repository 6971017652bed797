"""Build and verify times, file sizes and worst errors of the presets, measured in one run.

    python bench/build_verify.py [ITERATIONS ...]     (default: 100 10000)

Each workbook is built without the learning-rate sweep (``--sweep none``): Training, Derivation
and Network. The cells column counts the training cells verified; the worst error is over all
checked cells of Training (the Derivation's finite-difference cells are rounding by design).

Prints one table. Times are wall clock on whatever machine runs it: compare rows of one run.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from xlbackprop.core import presets
from xlbackprop.verifying.verification import verify
from xlbackprop.writing import writer


def main(counts: list[int]) -> None:
    print(f"{'preset':<11} {'iterations':>10} {'build s':>8} {'MB':>6} {'verify s':>9} "
          f"{'(recalc s)':>10} {'cells':>10} {'worst rel err':>14}  verdict")
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            for name in presets.names():
                spec = presets.load(name).with_overrides(iterations=n)
                path = Path(tmp, f"{name}-{n}.xlsx")
                start = time.perf_counter()
                writer.build(spec, path, sweep=())
                built = time.perf_counter() - start
                start = time.perf_counter()
                report = verify(path)
                checked = time.perf_counter() - start
                training = [c for c in report.checks if c.name not in ("Derivation", "Network")]
                worst = max(c.max_rel for c in training)
                print(f"{name:<11} {n:>10,} {built:>8.2f} {path.stat().st_size / 1e6:>6.2f} {checked:>9.2f} "
                      f"{report.seconds['recalculate']:>10.2f} {sum(c.cells for c in training):>10,} {worst:>14.1e}  "
                      f"{'OK' if report.ok else 'FAILED'}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 10_000])
