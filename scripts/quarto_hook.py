"""Quarto's pre- and post-render steps of this project (named in _quarto.yml).

Quarto runs this file with the Python it finds (QUARTO_PYTHON, else `python3`/`python` on
PATH), which need not be the one baocao is installed in. So this file uses the standard
library only: it runs ``python -m baocao site --quarto-pre-render`` (or ``--quarto-post-render``)
with this Python when it has baocao, else with the project's own environment (``.venv/``,
made by ``make report``), on Windows as on Linux and macOS.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("pre-render", "post-render")


def project_python() -> str | None:
    if importlib.util.find_spec("baocao") is not None:
        return sys.executable
    for folder in (ROOT, *ROOT.parents):  # the project's .venv, or the repository's above an example project
        for candidate in (folder / ".venv" / "bin" / "python", folder / ".venv" / "Scripts" / "python.exe"):
            if candidate.is_file():
                return str(candidate)
    return None


def under_quarto_preview() -> bool:
    """Whether Quarto runs this step for `quarto preview` rather than `quarto render`. Quarto
    (1.7) gives a pre- or post-render script no sign of it; but a preview writes its process id
    to .quarto/preview/lock while it serves, and that process runs this script. Any doubt (no
    lock, another process, such as Windows' ``py`` launcher between Quarto and this script):
    not a preview, and a failed year fails the step as it does for a render."""
    try:
        return int((ROOT / ".quarto" / "preview" / "lock").read_text(encoding="ascii").strip()) == os.getppid()
    except (OSError, ValueError):
        return False


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in STAGES:
        print(f"usage: {Path(__file__).name} {'|'.join(STAGES)}", file=sys.stderr)
        return 2
    python = project_python()
    if python is None:
        print(
            "Lỗi: không tìm thấy môi trường Python có baocao (.venv/).\n"
            "  Cách sửa: chạy `make report` một lần (tạo .venv/), hoặc kích hoạt môi trường đã cài baocao.\n"
            "Error: no Python environment with baocao found (.venv/).\n"
            "  To fix: run `make report` once (it creates .venv/), or activate an environment where baocao is installed.",
            file=sys.stderr,
        )
        return 3
    command = [python, "-m", "baocao", "site", f"--quarto-{argv[0]}"]
    if argv[0] == "post-render" and under_quarto_preview():
        command.append("--quarto-preview")  # a failed year is told, and the preview goes on serving
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
