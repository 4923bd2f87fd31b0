"""The four sample years' reports rendered by Quarto: each in its own `quarto render` (as the
code before issue 19's item 2 did, one process per year) or all four in one
(`QuartoRenderer.render_many`). Prints the wall time and the CPU time of Quarto and the tools
it runs (user + system of the child processes), which stays comparable on a loaded machine.

    .venv/bin/python benchmarks/quarto_years.py alone|together BUILD_DIR [PROJECT_ROOT]

BUILD_DIR holds <year>/bao-cao-<year>.qmd and <year>/figures/ (a `baocao build --all`);
PROJECT_ROOT (default: this project) gives `_quarto.yml`. With another version's environment,
`alone` times that version's renderer (it has no `render_many`).
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from baocao.render.options import RenderOptions
from baocao.render.quarto import QuartoRenderer

YEARS = (2021, 2022, 2023, 2024)
FORMATS = ("html", "pdf", "docx")


def main(mode: str, build: Path, root: Path) -> None:
    options = RenderOptions.from_project(root)
    with tempfile.TemporaryDirectory() as tmp:
        qmds = []
        for year in YEARS:
            folder = Path(tmp) / str(year)
            folder.mkdir()
            shutil.copy(build / str(year) / f"bao-cao-{year}.qmd", folder)
            shutil.copytree(build / str(year) / "figures", folder / "figures")
            qmds.append(folder / f"bao-cao-{year}.qmd")
        renderer = QuartoRenderer()
        t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        if mode == "alone":
            for qmd in qmds:
                renderer.render(qmd, FORMATS, options=options)
        else:
            outcomes = renderer.render_many([(qmd, FORMATS) for qmd in qmds], options=options)
            assert all(isinstance(o, dict) for o in outcomes), outcomes
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
        print(f"{mode}: wall {time.perf_counter() - t0:.1f} s, CPU of Quarto and its tools {cpu:.1f} s")


if __name__ == "__main__":
    here = Path(__file__).resolve().parents[1]
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else here)
