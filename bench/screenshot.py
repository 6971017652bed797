"""What a laptop shows: open a workbook in LibreOffice on a virtual 1366×768 screen and save a PNG.

    python bench/screenshot.py output/backprop.xlsx docs/training-screen.png

Needs Debian's xvfb, xdotool and imagemagick, and a LibreOffice with a window (``libreoffice-calc``;
CI's ``libreoffice-calc-nogui`` has none). The screen is 728 pixels high: 768 less a 40-pixel
taskbar, as on a Windows laptop. Used to check the Training layout (20 iteration rows below the
frozen header, layout.VISIBLE_ITERATIONS), not by the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WIDTH, HEIGHT = 1366, 728


def main(workbook: str, png: str, wait: float = 25.0) -> None:
    for tool in ("Xvfb", "xdotool", "import", "soffice"):
        if shutil.which(tool) is None:
            sys.exit(f"screenshot: {tool} is not installed (apt-get install -y xvfb xdotool imagemagick libreoffice-calc)")
    display = ":77"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{WIDTH}x{HEIGHT}x24"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**os.environ, "DISPLAY": display}
    with tempfile.TemporaryDirectory() as profile:
        office = ["soffice", "--norestore", "--nologo", f"-env:UserInstallation=file://{profile}"]
        try:
            time.sleep(1)
            # a first, windowless start settles the profile; a first start with a window shows dialogs
            subprocess.run([*office, "--headless", "--terminate_after_init"], env=env, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            calc = subprocess.Popen([*office, "--calc", str(Path(workbook).resolve())], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(wait)
            subprocess.run(["xdotool", "key", "Escape"], env=env, check=False)  # the tip of the day
            time.sleep(1)
            windows = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", "libreoffice"], env=env,
                                     capture_output=True, text=True).stdout.split()
            for w in windows:
                subprocess.run(["xdotool", "windowmove", w, "0", "0", "windowsize", w, str(WIDTH), str(HEIGHT)],
                               env=env, check=False)
            time.sleep(3)
            subprocess.run(["import", "-window", "root", png], env=env, check=True)
            calc.terminate()
            calc.wait(timeout=30)
        finally:
            xvfb.terminate()
    print(f"wrote {png}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
