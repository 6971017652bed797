"""The errors xlbackprop raises on purpose, each with a message written for a user.

The command line prints ``str(error)`` on one line and exits with ``error.exit_code``;
anything else escaping is a bug in xlbackprop, not in the user's input. An error about one value
names it as the library does (``eta``, ``iterations``, ``path``: :class:`FieldError`); the
command line says the flag instead (``--lr``), from its one table of flags.
"""


class XlbackpropError(Exception):
    """Base of every error xlbackprop raises for a user to read."""

    exit_code = 2


class FieldError(XlbackpropError):
    """One value is wrong: ``field`` names it as the library does, ``problem`` says what is wrong.

    >>> str(SpecError("eta", "must be a finite number, got 'fast'"))
    "eta: must be a finite number, got 'fast'"
    """

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class SpecError(FieldError):
    """A network file, preset or override is wrong."""


class ExcelLimitError(SpecError):
    """The workbook would not fit in Excel's 1,048,576 rows or 16,384 columns."""


class WorkbookError(XlbackpropError):
    """A file given to verify cannot be checked: missing, not an xlsx, not ours."""


class OutputError(FieldError):
    """An output cannot go where it was asked to: it would replace an input, a file of another
    kind or a workbook a user edited, or its folder cannot be written (read-only, full)."""


class EngineError(XlbackpropError):
    """The spreadsheet engine (LibreOffice) is missing, failed or timed out."""


class ReferenceProcessError(XlbackpropError):
    """The second process that computes a long build's reference run stopped before it finished
    (killed, out of memory); nothing is written."""

    exit_code = 1
