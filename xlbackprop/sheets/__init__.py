"""The build's plan: which quantity lives in which cell, each formula's text, the Derivation, Network and Sweep sheets, charts, styles, Excel's limits."""
