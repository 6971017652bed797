"""xlbackprop: Excel workbooks that train a neural network in live formulas, checked against numpy.

    from xlbackprop import presets, writer, verify
    writer.build(presets.load("class-2024"), "output/backprop.xlsx")
    verify.verify("output/backprop.xlsx").ok
"""

__version__ = "0.1.0"
