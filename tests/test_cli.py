"""The command line: exit codes, help, one-line errors, no half-written files."""

import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from xlbackprop.cli import main
from xlbackprop.core.errors import SpecError
from xlbackprop.writing import writer


def run(*args):
    return CliRunner().invoke(main, list(args), prog_name="xlbackprop")


@pytest.mark.parametrize("command", [[], ["build"], ["verify"], ["render"], ["presets"]])
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: xlbackprop {' '.join(command)}".rstrip())


def test_the_bare_command_prints_its_help_not_an_error():
    result = subprocess.run([sys.executable, "-m", "xlbackprop"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: ") and "Commands:" in result.stdout and "build" in result.stdout


def test_build_defaults_write_output_backprop_xlsx(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "output" / "backprop.xlsx").stat().st_size > 0
    assert "2-2-2 network, 100 iterations, eta 1" in result.output


def test_build_with_overrides_and_config(tmp_path):
    config = tmp_path / "net.toml"
    config.write_text('layers = [2, 2, 2]\ninputs = [[0.05, 0.1]]\ntargets = [[0.01, 0.99]]\nseed = 3\n')
    result = run("build", "--config", str(config), "--lr", "0.2", "--iterations", "12", "-o", str(tmp_path / "n.xlsx"))
    assert result.exit_code == 0, result.output
    assert "12 iterations, eta 0.2" in result.output


def test_presets_lists_one_line_each():
    from xlbackprop.core import presets

    result = run("presets")
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if not line.startswith("name ")]  # the header, if printed
    assert [line.split()[0] for line in lines] == ["adam-vs-sgd", "class-2021", "class-2024", "deep", "mazur", "softmax-3class", "xor"]
    titles = {line.index(presets.load(line.split()[0]).title.split(": ", 1)[-1]) for line in lines}
    assert len(titles) == 1, result.output  # aligned: every title starts in the same column


def test_a_bad_network_file_is_named_in_the_error(tmp_path):
    config = tmp_path / "my-net.toml"
    config.write_text('layers = [2, 2, 2]\nweights = [0.1, 0.2, 0.3]\ninputs = [[0.05, 0.1]]\ntargets = [[0.5, 0.5]]\n')
    result = run("build", "--config", str(config), "-o", str(tmp_path / "n.xlsx"))
    assert result.exit_code == 2
    assert result.output == f"error: {config}: weights: must hold 8 numbers for this network, got 3\n"
    assert list(tmp_path.iterdir()) == [config]


@pytest.mark.parametrize("args, message", [
    (["build", "--preset", "nope"], "error: --preset: unknown preset 'nope'; choose from adam-vs-sgd, class-2021, "
                                    "class-2024, deep, mazur, softmax-3class, xor"),
    (["build", "--iterations", "0"], "error: --iterations: must be a positive whole number, got 0"),
    (["build", "--lr", "inf"], "error: --lr: must be a finite number, got inf"),
    (["build", "--lr", "abc"], "error: Invalid value for '--lr': 'abc' is not a number"),
    (["build", "--lr", "0,5"], "error: Invalid value for '--lr': '0,5' is not a number; write the decimal point "
                               "as a dot: 0.5"),
    (["build", "--lr", "0"], "error: --lr: must be a learning rate above 0, got 0.0"),
    (["build", "--lr", "-1"], "error: --lr: must be a learning rate above 0, got -1.0"),
    (["build", "--sweep", "-1,1"], "error: --sweep: rates must be above 0, got -1"),
    (["build", "--sweep", "0,5"], "error: --sweep: rates must be above 0, got 0: 0 never moves the weights and a "
                                  "negative rate climbs the loss (a decimal comma? write 0.5, not 0,5)"),
    (["build", "-o", "a.xls"], "error: -o: a.xls must end in .xlsx, as the workbook is an Excel file; try a.xlsx"),
    (["build", "-o", "a.csv"], "error: -o: a.csv must end in .xlsx"),
    (["build", "-o", "noextension"], "error: -o: noextension must end in .xlsx"),
    (["build", "--config", "/no/such.toml"], "error: --config: no such file: /no/such.toml"),
    (["build", "--preset", "mazur", "--config", "x.toml"], "error: --preset and --config: give one or the other"),
    (["verify", "/no/such.xlsx"], "error: /no/such.xlsx: no such file"),
    (["frobnicate"], "error: No such command 'frobnicate'."),
])
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert list(tmp_path.rglob("*")) == []  # nothing written, not even output/
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_failed_build_leaves_existing_file_untouched(tmp_path):
    target = tmp_path / "keep.xlsx"
    target.write_bytes(b"precious")
    result = run("build", "--iterations", "2000000", "-o", str(target))
    assert result.exit_code == 2
    assert "past Excel's last row" in result.output
    assert target.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.xlsx"]


@pytest.mark.libreoffice
def test_verify_exit_codes(built, tmp_path):
    from conftest import edit_cell

    assert run("verify", str(built("class-2021"))).exit_code == 0
    tampered = tmp_path / "t.xlsx"
    edit_cell(built("class-2021"), tampered, "R14", '<c r="R14" s="10"><f>0.5*($D$4-O14)^3</f><v></v></c>')
    result = run("verify", str(tampered))
    assert result.exit_code == 1
    assert "CULPRIT R14 (E1, iteration 1): =0.5*($D$4-O14)^3 where xlbackprop writes =0.5*($D$4-O14)^2" \
        in result.output
    assert "MISMATCH E1 at R14 (iteration 1): got " in run("verify", "--all", str(tampered)).output
    not_xlsx = tmp_path / "n.xlsx"
    not_xlsx.write_text("x")
    assert run("verify", str(not_xlsx)).exit_code == 2


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "xlbackprop", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("xlbackprop, version")


def test_build_interrupted_midway_leaves_no_file(tmp_path):
    from xlbackprop.core import presets
    from xlbackprop.writing import writer

    target = writer.build(presets.load("class-2024").with_overrides(iterations=3), tmp_path / "keep.xlsx")
    precious = target.read_bytes()  # an earlier build, which this one may replace once it is whole

    def fail(rows):
        if rows > 500:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        writer.build(presets.load("class-2024").with_overrides(iterations=5000), target, progress=fail)
    assert target.read_bytes() == precious
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.xlsx"]


@pytest.mark.libreoffice
def test_render_draws_the_loss_chart(built, tmp_path):
    import numpy as np
    from PIL import Image

    result = run("render", str(built("class-2024")), "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "loss-chart.png") as picture:
        assert picture.width > 400 and picture.height > 150
        rgb = np.asarray(picture.convert("RGB")).astype(int)
    reds = int(((rgb[..., 0] > 150) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)).sum())
    assert reds > 300  # the E_total curve is drawn in dark red


def test_the_python_api_takes_any_source(tmp_path):
    import xlbackprop
    from xlbackprop.core import presets

    toml = tmp_path / "net.toml"
    toml.write_text('layers = [2, 2, 2]\nweights = [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55]\n'
                    'inputs = [[0.05, 0.1]]\ntargets = [[0.5, 0.5]]\neta = 1.0\n')
    sources = ["class-2024", toml, str(toml), presets.load("class-2024"),
               {"layers": [2, 2, 2], "weights": [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55],
                "inputs": [[0.05, 0.1]], "targets": [[0.5, 0.5]], "eta": 1.0}]
    tables = [xlbackprop.train(s, iterations=5) for s in sources]
    assert all(np.array_equal(t["E_total"], tables[0]["E_total"]) for t in tables)
    assert xlbackprop.train("class-2024", eta=0.5).spec.eta == 0.5
    with pytest.raises(TypeError):  # one name for the learning rate: eta (lr is the command line's flag)
        xlbackprop.train("class-2024", lr=0.5)
    with pytest.raises(SpecError) as err:  # the library's words, not a flag the caller never typed
        xlbackprop.train("class-2024", eta=-1)
    assert str(err.value).startswith("eta: must be a learning rate above 0") and "--lr" not in str(err.value)
    assert xlbackprop.build(sources[-1], tmp_path / "m.xlsx", sweep=()).exists()
    with pytest.raises(TypeError, match="xlbackprop.build takes a preset"):
        writer.build({"layers": [2, 2, 2]}, tmp_path / "x.xlsx")
    with pytest.raises(SpecError, match="source: must be a preset name"):
        xlbackprop.train(42)


def test_a_killed_reference_process_is_one_line_and_no_file(tmp_path, monkeypatch):
    """Should the second process of a long build die (the out-of-memory killer, kill -9), the build
    says so in one line, exits 1 and leaves no file behind."""
    from xlbackprop.writing import second_process, stored

    monkeypatch.setattr(stored, "CACHED_RUNS", 10)  # 50 iterations take the long build's path
    monkeypatch.setattr(second_process, "_COMMAND", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    result = run("build", "--iterations", "50", "--sweep", "none", "-o", str(tmp_path / "book.xlsx"))
    assert result.exit_code == 1
    assert result.output == ("error: build: the process computing the reference run stopped (killed by signal 9); "
                             "nothing was written\n")
    assert list(tmp_path.iterdir()) == []
