"""xlbackprop: Excel workbooks that train a neural network in live formulas, checked against numpy.

    import xlbackprop
    xlbackprop.build("class-2024", "output/backprop.xlsx")        # a preset, a TOML file, a mapping or a Spec
    xlbackprop.train("class-2024").to_pandas()                     # the reference run, one row per iteration
    xlbackprop.verify("output/backprop.xlsx").ok                   # recalculated (LibreOffice or IronCalc), every cell held
    xlbackprop.whatif("output/backprop.xlsx", {"eta": 0.5}).below  # as if 0.5 were typed in: where it lands
    xlbackprop.check_file("anna.xlsx").status                      # a hand-made workbook's slips

See :mod:`xlbackprop.api`.
"""

__version__ = "0.1.0"

__all__ = ["build", "train", "verify", "whatif", "check_file", "as_spec", "TrainingTable", "__version__"]


def __getattr__(name: str):
    """The API, imported when first asked for: a process that needs only the reference engine (a
    long build's second process) imports numpy, not openpyxl, lxml and the checker."""
    if name in ("build", "train", "verify", "whatif", "as_spec", "TrainingTable"):
        from . import api
        return getattr(api, name)
    if name == "check_file":
        from .check import check_file
        return check_file
    raise AttributeError(f"module 'xlbackprop' has no attribute {name!r}")
