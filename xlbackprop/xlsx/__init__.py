"""Any workbook as a file: the package guards, the one-pass sheet reader, formulas parsed and evaluated, the spreadsheet engines."""
