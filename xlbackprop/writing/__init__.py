"""The build's writing: the workbook through openpyxl, the stored values and ready rows, the zip, the reference's second process, the examples."""
