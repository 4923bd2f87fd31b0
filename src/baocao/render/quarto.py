"""The Quarto backend: `quarto render FILE --to html` and `--to typst`.

Written from /work/shared/QUARTO.md and the Quarto source (not run here: Quarto cannot be
installed on the build machines this was written on):

- Options come from the nearest `_quarto.yml` above the document, so the document must sit
  inside the project folder.
- `--output-dir` / `--output` are unreliable for single files (quarto-cli #2329, #6472), and
  two renders in one folder collide (#5861). So each render runs in the document's folder on
  a temporary copy of the document (same folder, so `figures/` and `_quarto.yml` resolve the
  same way), one format after the other, and the outputs are then moved into place
  atomically. A failed render leaves the previous outputs untouched.
- PDF/A: `pdf-standard: a-2b` in `_quarto.yml` is honoured by Quarto >= 1.9; older Quarto
  writes a plain PDF. The PDF's dates come from the document (`set document(date: …)` in the
  typst layout); SOURCE_DATE_EPOCH is also set to the report date for the typst CLI, which
  honours it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from typing import Sequence

import yaml

from baocao.errors import ConfigError, InputError, Location, ToolMissingError
from baocao.render import FORMATS, Renderer, RenderError, check_formats
from baocao.render.options import CONFIG_NAME, RenderOptions

QUARTO_TO = {"html": ("html", ".html"), "pdf": ("typst", ".pdf")}
TIMEOUT_S = 600


class QuartoRenderer(Renderer):
    name = "quarto"

    def __init__(self, executable: str | None = None):
        self.executable = executable or shutil.which("quarto")

    def available(self) -> bool:
        return bool(self.executable) and Path(self.executable).exists()

    def versions(self) -> dict[str, str]:
        quarto = self._require()
        out = subprocess.run([quarto, "--version"], capture_output=True, text=True)
        versions = {"quarto": out.stdout.strip() or "unknown"}
        typst = subprocess.run([quarto, "typst", "--version"], capture_output=True, text=True)
        if typst.returncode == 0 and typst.stdout.strip():
            versions["typst"] = typst.stdout.strip().split("\n", 1)[0]
        return versions

    def render(
        self,
        qmd: Path,
        formats: Sequence[str] = FORMATS,
        *,
        options: RenderOptions,
    ) -> dict[str, Path]:
        quarto = self._require()
        wanted = check_formats(formats)
        qmd = Path(qmd).resolve()
        if not qmd.is_file():
            raise InputError(Location(file=str(qmd)), "không tìm thấy tệp báo cáo cần dựng",
                             "the report document to render does not exist")
        if not qmd.is_relative_to(options.project_root):
            raise ConfigError(
                f"{qmd} nằm ngoài thư mục dự án {options.project_root}: Quarto sẽ không đọc {CONFIG_NAME}",
                f"{qmd} is outside the project folder {options.project_root}: Quarto would not read {CONFIG_NAME}",
            )
        env = dict(os.environ)
        epoch = _report_epoch(qmd)
        if epoch is not None:
            env["SOURCE_DATE_EPOCH"] = str(epoch)

        work = qmd.with_name(f"{qmd.stem}.baocao-render.qmd")
        produced: dict[str, Path] = {}
        try:
            shutil.copyfile(qmd, work)
            for fmt in wanted:
                to, suffix = QUARTO_TO[fmt]
                proc = subprocess.run(
                    [quarto, "render", work.name, "--to", to],
                    cwd=str(qmd.parent),
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=TIMEOUT_S,
                )
                out = work.with_suffix(suffix)
                if proc.returncode != 0 or not out.is_file():
                    detail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
                    raise RenderError(
                        f"quarto render --to {to} thất bại (mã {proc.returncode}) với {qmd.name}:\n{detail}",
                        f"quarto render --to {to} failed (exit code {proc.returncode}) for {qmd.name}:\n{detail}",
                    )
                produced[fmt] = out
            outputs: dict[str, Path] = {}
            for fmt, out in produced.items():
                final = qmd.with_suffix(QUARTO_TO[fmt][1])
                os.replace(out, final)  # same folder: atomic
                outputs[fmt] = final
            return outputs
        finally:
            for path in [work, *produced.values(), work.with_suffix(".typ")]:
                if path.exists():
                    path.unlink()
            leftovers = work.with_name(f"{work.stem}_files")
            if leftovers.is_dir():
                shutil.rmtree(leftovers)

    def _require(self) -> str:
        if not self.available():
            raise ToolMissingError(
                "không tìm thấy Quarto (lệnh `quarto` không có trong PATH)",
                "Quarto is not installed (`quarto` is not on PATH)",
                hint_vi="Cài Quarto (https://quarto.org/docs/get-started/) hoặc dùng `--renderer pandoc`.",
                hint_en="Install Quarto (https://quarto.org/docs/get-started/) or use `--renderer pandoc`.",
            )
        return str(self.executable)


def _report_epoch(qmd: Path) -> int | None:
    """The report's `date` (front matter) at 00:00 UTC, as a unix time: the same instant the
    typst layout writes for a date without a time, and the same calendar day in Việt Nam."""
    text = qmd.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    try:
        front = yaml.safe_load(text[3:end]) if end > 0 else None
    except yaml.YAMLError:
        return None
    value = front.get("date") if isinstance(front, dict) else None
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            return None
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())
