"""The command line: a thin click layer over the library.

    xlbackprop build [--preset NAME | --config FILE.toml] [--lr X] [--iterations N]
                     [--sweep RATES | --sweep none] [--compare OPTIMIZERS] [-o PATH] [--force]
                     [--progress/--no-progress]
    xlbackprop verify FILE [--engine libreoffice|gnumeric|ironcalc] [--timeout SECONDS] [--all]
    xlbackprop render FILE [-o DIR] [--dpi N]
    xlbackprop check FILE|FOLDER... [--json] [--html REPORT.html] [--recursive] [--recalc]
                     [--timeout SECONDS] [--progress/--no-progress]
    xlbackprop assign [--roster class.csv] [--seed N] [-o FOLDER] [--preset NAME | --config FILE.toml]
    xlbackprop grade FILE|FOLDER... --roster class.csv [--key key.csv] [--rubric rubric.toml]
                     [--gradebook grades.csv] [--html REPORT.html] [--json] [--feedback hint|cause|answer]
    xlbackprop grade FILE --gradescope results.json [--rubric rubric.toml] [--feedback LEVEL]
    xlbackprop presets

Errors the user can fix print one line and exit 2; verify exits 1 when a cell disagrees; an
interrupted run (Ctrl-C) exits 130. What it prints works on any console (:mod:`.core.console`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import __version__
from .core import console, presets
from .core import spec as spec_module
from .core.errors import FieldError, XlbackpropError
from .sheets.sweep import DEFAULT_RATES, parse_compare, parse_rates

DEFAULT_OUTPUT = Path("output") / "backprop.xlsx"
PROGRESS_MIN_ROWS = 5_000  # about two seconds of writing
DEFAULT_SWEEP = ",".join(f"{r:g}" for r in DEFAULT_RATES)
ENGINES = ("libreoffice", "gnumeric", "ironcalc")  # verify.ENGINES, named here so that build loads none of it
INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C (128 + SIGINT)
# the library's name of a value -> the flag that gives it here: the one place the two differ
FLAGS = {"eta": "--lr", "iterations": "--iterations", "sweep": "--sweep", "compare": "--compare", "preset": "--preset",
         "config": "--config", "path": "-o", "report": "--html", "pictures": "-o", "changes": "--set",
         "sheet": "--sheet", "roster": "--roster", "key": "--key", "rubric": "--rubric",
         "gradebook": "--gradebook", "folder": "-o", "gradescope": "--gradescope"}


def in_flags(error: XlbackpropError) -> str:
    """An error in the command line's words: ``eta: must be above 0`` is ``--lr: must be above 0``."""
    if isinstance(error, FieldError) and error.field in FLAGS:
        return f"{FLAGS[error.field]}: {error.problem}"
    return str(error)


class _Number(click.ParamType):
    """A number on the command line; a decimal comma gets a hint (``--lr 0,5``: write 0.5)."""

    name = "number"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            return float(value)
        except ValueError:
            hint = f"; write the decimal point as a dot: {value.replace(',', '.')}" if "," in value else ""
            self.fail(f"{value!r} is not a number{hint}", param, ctx)


class _Group(click.Group):
    """Turns every user error (ours or click's) into one line on stderr and exit code 2."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        console.setup()
        try:
            code = super().main(*args, **kwargs)
        except XlbackpropError as exc:
            click.echo(f"error: {in_flags(exc)}", err=True)
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):  # click 8.2+: the bare command
                click.echo(exc.ctx.get_help())
                sys.exit(0)
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"error: {exc.format_message()}{hint}", err=True)
            sys.exit(2)
        except (click.Abort, KeyboardInterrupt):  # Ctrl-C: not "wrong" (1), not "bad input" (2)
            click.echo("interrupted", err=True)
            sys.exit(INTERRUPTED)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlbackprop")
def main() -> None:
    """Write Excel workbooks that train a neural network in live formulas, and check them.

    Each row of the Training sheet is one step of gradient descent: weights, forward pass,
    loss, every ∂E/∂w, and the next row's weights w - eta*∂E/∂w. Type a new learning rate
    into the cell named eta (B2) and the whole sheet retrains.
    """


@main.command()
@click.option("--preset", "preset", metavar="NAME", help=f"A preset network (default {presets.DEFAULT}; "
              "see `xlbackprop presets`).")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.toml",
              help="A network file (TOML) instead of a preset.")
@click.option("--lr", "lr", type=_Number(), metavar="X",
              help="Learning rate eta, above 0 (overrides the preset or file).")
@click.option("--iterations", type=int, metavar="N", help="Training rows (overrides the preset or file).")
@click.option("--sweep", "sweep", metavar="RATES", default=DEFAULT_SWEEP, show_default=True,
              help="Learning rates of the sweep: one training sheet each, their E_total curves overlaid "
                   "on the Sweep sheet; 'none' leaves the sweep out.")
@click.option("--compare", "compare", metavar="OPTIMIZERS",
              help="Optimizers to compare instead of rates, such as sgd,momentum,adam (of sgd, momentum, "
                   "rmsprop, adam): one training sheet each, named by it, all at the network's eta, their "
                   "E_total curves overlaid on the Sweep sheet; 'none' drops a network file's compare key. "
                   "Not with --sweep.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=DEFAULT_OUTPUT, show_default=True,
              help="Where to write the .xlsx.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: on long builds when writing to a terminal).")
@click.option("--force", is_flag=True, help="Replace the output even if it is not xlbackprop's own unchanged "
              "workbook (one you edited, or saved from Excel or LibreOffice).")
def build(preset: str | None, config: Path | None, lr: float | None, iterations: int | None,
          sweep: str, compare: str | None, output: Path, progress: bool | None, force: bool) -> None:
    """Write the workbook of a preset or network file.

    An existing output is replaced only when it is xlbackprop's own unchanged workbook: one you
    edited or saved from another program is kept, unless --force.

    \b
    Example, three optimizers on the seed network, one curve each on the Sweep sheet:
      xlbackprop build --compare sgd,momentum,adam --iterations 200
    """
    from .writing.writer import build as write_workbook
    from .writing.writer import refusals

    if preset and config:
        raise XlbackpropError("--preset and --config: give one or the other, not both")
    spec = spec_module.load(config) if config else presets.load(preset or presets.DEFAULT)
    spec = spec.with_overrides(eta=lr, iterations=iterations)
    given = click.get_current_context().get_parameter_source("sweep") != click.core.ParameterSource.DEFAULT
    optimizers = parse_compare(compare) if compare is not None else None
    # the default rates give way to a comparison (the option's or the network file's); given ones refuse it
    rates, optimizers, _ = refusals(spec, output, parse_rates(sweep) if given else None, force, optimizers)
    rows = spec.iterations * (1 + len(rates) + len(optimizers))
    show = progress if progress is not None else (sys.stderr.isatty() and rows >= PROGRESS_MIN_ROWS)
    start = time.perf_counter()
    if show:
        from tqdm import tqdm

        with tqdm(total=rows, unit="row", desc="writing", file=sys.stderr) as bar:
            path = write_workbook(spec, output, progress=lambda k: bar.update(k - bar.n), sweep=rates, force=force,
                                  compare=optimizers)
    else:
        path = write_workbook(spec, output, sweep=rates, force=force, compare=optimizers)
    seconds = time.perf_counter() - start
    swept = f", sweep of {len(rates)} rate{'s' if len(rates) != 1 else ''}" if rates else ""
    if optimizers:
        swept = f", optimizers {', '.join(optimizers)} compared"
    click.echo(f"wrote {path}: {spec.network.describe()} network, {spec.iterations:,} iterations, "
               f"eta {spec.eta:g}{swept} ({path.stat().st_size / 1e6:.1f} MB in {seconds:.1f} s)")


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=900, show_default=True,
              metavar="SECONDS", help="Stop the spreadsheet engine after this long.")
@click.option("--engine", type=click.Choice(ENGINES), default=None,
              help="The spreadsheet engine that recalculates the file (default: LibreOffice where it is "
                   "installed, else IronCalc, which pip installs).")
@click.option("--all", "show_all", is_flag=True, help="List every wrong cell, not only the root causes.")
def verify(file: Path, timeout: float, engine: str | None, show_all: bool) -> None:
    """Recalculate FILE in a spreadsheet engine and compare every cell with the numpy reference.

    Exits 0 when every cell agrees (LibreOffice and IronCalc: within a relative 1e-12; Gnumeric,
    which computes in extended precision: relative 1e-9 + 1e-12 of the quantity's largest value),
    1 when any disagrees, 2 when the file cannot be checked (missing, not an xlsx, not an
    xlbackprop workbook, a zip bomb, the engine not installed or timed out).
    """
    from .verifying.verification import verify as run

    def say(message: str) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r\033[Kverify: {message} ...", err=True, nl=False)

    report = run(file, timeout=timeout, engine=engine, say=say, show_all=show_all)
    say("done")
    if sys.stderr.isatty():
        click.echo("\r\033[K", err=True, nl=False)
    click.echo(report.text)
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--set", "changes", multiple=True, required=True, metavar="NAME=VALUE",
              help="A given value to change: eta, an initial weight w1.. or bias b1.., or a constant of the "
                   "sheet's optimizer (momentum; alpha; beta1, beta2, epsilon) (repeatable).")
@click.option("--sheet", default="Training", show_default=True, help="The training sheet to change (a rate "
              "sheet of the sweep: 'eta 0.1'; an optimizer sheet of a comparison: adam).")
@click.option("--engine", type=click.Choice(ENGINES), default=None,
              help="The spreadsheet engine that recalculates (default: LibreOffice where it is installed, else IronCalc).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=900, show_default=True,
              metavar="SECONDS", help="Stop the spreadsheet engine after this long.")
def whatif(file: Path, changes: tuple[str, ...], sheet: str, engine: str | None, timeout: float) -> None:
    """Recalculate FILE as if you had typed new values into it, and say where training lands.

    Prints E_total at the first and last iteration, the iteration where it first falls below
    1 % of its start, and how closely the numpy reference agrees. FILE is not changed.

    \b
    Example:
      xlbackprop whatif output/backprop.xlsx --set eta=0.5 --sheet "eta 0.1"
      xlbackprop whatif output/compare.xlsx --set beta1=0.8 --sheet adam
    """
    from .verifying.whatif import parse_changes
    from .verifying.whatif import whatif as run

    click.echo(run(file, parse_changes(changes), sheet=sheet, engine=engine, timeout=timeout).text)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True, help="Folder for the pictures.")
@click.option("--dpi", type=click.IntRange(50, 600), default=300, show_default=True, help="Resolution (300: 1920×1080 pixels).")
def render(file: Path, out_dir: Path, dpi: int) -> None:
    """Draw FILE's charts as PNGs through LibreOffice (for READMEs and slides): the loss chart
    (loss-chart.png) and, when FILE has a learning-rate sweep, the overlay of every rate
    (sweep-chart.png)."""
    from .core.outputs import writable, written_error
    from .verifying.render import render as draw

    writable("pictures", out_dir / "loss-chart.png")
    try:
        pictures = draw(file, out_dir, dpi=dpi)
    except OSError as exc:  # the folder for the pictures cannot be made or written (reading errors are ours)
        raise written_error("pictures", out_dir, exc) from None
    for picture in pictures:
        click.echo(f"wrote {picture}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array, one object per file.")
@click.option("--html", "html_path", type=click.Path(path_type=Path), metavar="REPORT.html",
              help="Also write one self-contained HTML page for the whole batch (for a teacher). Its name "
                   "must end in .html; it never replaces a submission or any file but an earlier report.")
@click.option("-r", "--recursive", is_flag=True, help="In a folder, also check the spreadsheets in its "
              "subfolders (an LMS download: one subfolder per student).")
@click.option("--recalc", is_flag=True, help="Recalculate every file first (LibreOffice, or IronCalc where it is "
              "not installed), instead of trusting the values it stores (files without stored values are "
              "always recalculated).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120, show_default=True,
              metavar="SECONDS", help="Stop LibreOffice after this long on one file.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: for batches when stderr is a terminal).")
@click.option("--hints", is_flag=True, help="Say only where each slip is and what kind it is, not the fix "
              "(for a student checking their own file before handing it in).")
def check(files: tuple[Path, ...], as_json: bool, html_path: Path | None, recursive: bool, recalc: bool,
          timeout: float, progress: bool | None, hints: bool) -> None:
    """Find the slips in hand-made backprop workbooks (.xlsx, .xls, .ods), and say where and why.
    A folder stands for the spreadsheets in it (a class's submissions).

    Finds every training table (a header row with w1..w8 and the forward pass, loss and
    gradients, one row per iteration), recovers its inputs, targets, initial weights and η
    from the sheet, and holds every column against what its own row's cells give: only the
    columns whose own formula is wrong are reported, each with the cell, the value it holds and
    the one it should, its formula, and why in words.

    Exit codes: 0 every table is right; 1 some table is wrong or incomplete, or a file has no
    training table; 2 a file could not be read (the batch goes on past it).
    """
    from .check.batch import is_page, run, workbooks, write_page
    from .check.report import exit_code, text
    from .core.outputs import report_target

    paths = workbooks(list(files), recursive=recursive)  # the folders' listings: no file is read yet
    if html_path is not None:  # the report may replace no input and no other file
        report_target("report", html_path, ".html", paths, is_page)
    show = progress if progress is not None else (sys.stderr.isatty() and len(paths) > 1)
    results = run(paths, recalculate=recalc, timeout=timeout, progress=show)
    if as_json:
        import json

        plain = [{**r, "tables": [{k: v for k, v in t.items() if k != "curve"} for t in r["tables"]]}
                 for r in results]
        console.write_utf8(json.dumps(plain, ensure_ascii=False, indent=1) + "\n")
    elif hints:
        from .check.hints import hint_text

        click.echo(hint_text(results))
    else:
        click.echo(text(results))
    if html_path is not None:
        click.echo(f"wrote the report {write_page(html_path, results)}", err=True)
    sys.exit(exit_code(results))


@main.command()
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), metavar="class.csv",
              help="The class list (columns id,name,email; others ignored): one start file per student, "
                   "each with the student's own numbers, and key.csv with them all.")
@click.option("--seed", type=int, default=0, show_default=True, help="Draws the students' numbers: the same "
              "seed and id give the same numbers on any machine.")
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("assign"),
              show_default=True, help="Folder for the start files (and key.csv).")
@click.option("--preset", "preset", metavar="NAME", help=f"The assignment's network (default {presets.DEFAULT}).")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.toml",
              help="A network file instead of a preset.")
@click.option("--iterations", type=int, metavar="N", help="Rows the students fill (default: the preset's).")
@click.option("--rates", metavar="RATES", default=DEFAULT_SWEEP, show_default=True,
              help="The learning rates the students try ('none': no such part); each student's numbers "
                   "learn at every one of them.")
@click.option("--force", is_flag=True, help="Replace start files that were changed since assign wrote them.")
def assign(roster: Path | None, seed: int, folder: Path, preset: str | None, config: Path | None,
           iterations: int | None, rates: str, force: bool) -> None:
    """Write the start workbook students fill in: the parameter block, the header row and
    iteration 1's weights; every computed cell empty.

    Without --roster: FOLDER/start.xlsx with the class numbers. With it: FOLDER/<id>.xlsx for each
    student, with numbers of their own, and FOLDER/key.csv (id, inputs, targets, initial
    weights, eta) for grade --key. Each file carries its student's id, which grade reads.
    """
    from .grading.assign import assign as run

    if preset and config:
        raise XlbackpropError("--preset and --config: give one or the other, not both")
    spec = spec_module.load(config) if config else presets.load(preset or presets.DEFAULT)
    spec = spec.with_overrides(iterations=iterations)
    for line in run(spec, folder, roster=roster, seed=seed, rates=parse_rates(rates), force=force):
        click.echo(line)


@main.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), metavar="class.csv",
              help="The class list: columns id,name,email (others ignored). Needed unless --gradescope.")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), metavar="key.csv",
              help="assign's key: each student's own numbers, held to the ones their file trains.")
@click.option("--rubric", type=click.Path(dir_okay=False, path_type=Path), metavar="rubric.toml",
              help="Points per part (default: forward 2, loss 1, output gradients 2, hidden gradients 2, "
                   "updates 1, learning rates 1, chart 1).")
@click.option("--gradebook", type=click.Path(path_type=Path), metavar="grades.csv",
              help="Write the gradebook: id,name,email,score,max_score,status,feedback (UTF-8).")
@click.option("--html", "html_path", type=click.Path(path_type=Path), metavar="REPORT.html",
              help="Write the class report: the score distribution, the common slips, the copies, each student.")
@click.option("--gradescope", type=click.Path(path_type=Path), metavar="results.json",
              help="Write Gradescope's autograder results for one submission: a test per rubric part.")
@click.option("--json", "as_json", is_flag=True, help="Print everything as one JSON object.")
@click.option("--feedback", "level", type=click.Choice(("hint", "cause", "answer")), default="cause",
              show_default=True, help="How much the feedback tells: where and what kind of slip (hint), "
              "what check says (cause), or also the formula that belongs (answer).")
@click.option("-r", "--recursive", is_flag=True, help="In a folder, also the spreadsheets of its subfolders.")
@click.option("--recalc", is_flag=True, help="Recalculate every file first instead of trusting its stored values.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120, show_default=True,
              metavar="SECONDS", help="Stop LibreOffice after this long on one file.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
def grade(submissions: tuple[Path, ...], roster: Path | None, key: Path | None, rubric: Path | None,
          gradebook: Path | None, html_path: Path | None, gradescope: Path | None, as_json: bool, level: str, recursive: bool, recalc: bool, timeout: float,
          progress: bool | None) -> None:
    """Grade a class's workbooks: one row per student of the roster, also for those who sent
    nothing, with a score by the rubric, a status and feedback; the class's most common slips;
    and the pairs of files that look copied, with the evidence.

    A file is matched to its student by the id assign wrote into it, else by the id or name in
    its file name (or its folder's, as an LMS download has them). Exit codes: 0 graded; 2 bad
    input (the roster, key or rubric), or a submission could not be read (it is graded 0 and the
    rest go on).
    """
    from .check.batch import workbooks
    from .core.outputs import report_target
    from .grading import gradebook as books
    from .grading import rubric as rubrics
    from .grading.grade import grade as run
    from .grading.roster import read_key, read_roster

    from .grading import gradescope as scope
    from .grading.roster import Student

    paths = workbooks(list(submissions), recursive=recursive)
    if roster is None and gradescope is None:
        raise FieldError("roster", "give the class list (id,name,email), or --gradescope for one submission")
    if gradescope is not None and len(paths) != 1:
        raise FieldError("gradescope", f"grades one submission, got {len(paths)} files")
    students = read_roster(roster) if roster is not None else [Student(paths[0].stem)]
    numbers = read_key(key) if key is not None else None
    chosen = rubrics.load(rubric) if rubric is not None else rubrics.DEFAULT
    inputs = [*paths, *[p for p in (roster, key, rubric) if p is not None]]
    if gradebook is not None:
        report_target("gradebook", gradebook, ".csv", inputs, books.is_gradebook)
    if gradescope is not None:
        report_target("gradescope", gradescope, ".json", inputs, scope.is_results)
    if html_path is not None:
        from .grading import html as page

        report_target("report", html_path, ".html", inputs, page.is_page)
    show = progress if progress is not None else (sys.stderr.isatty() and len(paths) > 1)
    book = run(paths, students, numbers, chosen, level, recalc, timeout, show)
    if as_json:
        import json

        console.write_utf8(json.dumps(books.as_dict(book), ensure_ascii=False, indent=1) + "\n")
    else:
        click.echo(books.text(book))
    if gradebook is not None:
        click.echo(f"wrote the gradebook {books.write(gradebook, book)}", err=True)
    if html_path is not None:
        click.echo(f"wrote the class report {books.write_page(html_path, book)}", err=True)
    if gradescope is not None:
        row = next((r for r in book.rows if r.submissions), book.rows[0])
        click.echo(f"wrote {scope.write(gradescope, scope.results(row, level))}", err=True)
    unreadable = any(s.result["status"] == "unreadable" for r in book.rows for s in r.submissions)
    sys.exit(2 if unreadable else 0)


@main.command(name="presets")
def list_presets() -> None:
    """List the preset networks, one line each."""
    click.echo(presets.table())
