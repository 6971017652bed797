"""Verify: an xlbackprop workbook read back, recalculated and compared with the reference, its root causes, its pictures."""
