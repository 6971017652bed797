"""xlbackprop: Excel workbooks that train a neural network in live formulas, checked against numpy.

    import xlbackprop
    xlbackprop.build("class-2024", "output/backprop.xlsx")        # a preset, a TOML file, a mapping or a Spec
    xlbackprop.train("class-2024").to_pandas()                     # the reference run, one row per iteration
    xlbackprop.verify("output/backprop.xlsx").ok                   # recalculated by LibreOffice, every cell held
    xlbackprop.check_file("anna.xlsx").status                      # a hand-made workbook's slips

See :mod:`xlbackprop.api`.
"""

__version__ = "0.1.0"

from .api import TrainingTable, as_spec, build, train, verify  # noqa: E402
from .check import check_file  # noqa: E402

__all__ = ["build", "train", "verify", "check_file", "as_spec", "TrainingTable", "__version__"]
