"""Quarto's pre- and post-render steps of this project (named in _quarto.yml).

Quarto runs this file with the Python it finds (QUARTO_PYTHON, else `python3`/`python` on
PATH), which need not be the one baocao is installed in. So this file uses the standard
library only: it runs ``python -m baocao site --quarto-pre-render`` (or ``--quarto-post-render``)
with this Python when it has baocao, else with the project's own environment (``.venv/``,
made by ``make report``), on Windows as on Linux and macOS.
"""

from __future__ import annotations

import importlib.util
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
    return subprocess.call([python, "-m", "baocao", "site", f"--quarto-{argv[0]}"], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
