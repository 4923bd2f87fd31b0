"""The Quarto backend: real `quarto render`, with the options of `_quarto.yml`.

Facts this follows (observed with Quarto 1.7.34, see ../shared/QUARTO.md):

- Quarto takes a document's options from the nearest `_quarto.yml` above it, but leaves out
  of the project every file under a folder whose name starts with "." or "_": such a file is
  rendered as a lone document (US Letter, Quarto's default typst template, no TOC, an HTML
  whose `_files/` resources are deleted), silently, with exit 0. Builds are staged in
  `build/.<year>.staging/`, and `--build-dir` or `baocao reproduce` may put the document
  outside the project altogether.
- `--output-dir`/`--output` are unreliable for single files (quarto-cli #2329, #6472), and
  two renders in one folder collide (#5861).

So every render runs in a scratch Quarto project of its own: a temporary folder with visible
names holding a copy of `_quarto.yml`, of the files it names (filters, CSS, partials,
fonts), of the document and of its `figures/`. Quarto writes its outputs there; they are
checked against the options (render/checks.py) and only then written next to the document,
atomically. A failed render or check replaces nothing. One `quarto render` without `--to`
renders every format the scratch project's `_quarto.yml` lists (Quarto 1.7 accepts one
`--to` format per call), which saves a Quarto start-up per format: the copy of
`_quarto.yml` lists only the formats wanted (a build's `baocao.formats`, or the steps that
are stale).

PDF/A: Quarto passes `pdf-standard` to typst from 1.9 on; with an older Quarto the PDF is a
plain PDF and :meth:`QuartoRenderer.pdf_standard` says so (None), so that nothing claims
PDF/A for it. The PDF's dates come from the document (`set document(date: …)` in the typst
layout); SOURCE_DATE_EPOCH is set to the report's date as well.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from baocao.config import BuildFiles
from baocao.errors import InputError, Location, RenderCheckError, RenderError, ToolMissingError
from baocao.render.base import FORMATS, SUFFIXES, Renderer, check_formats, read_front_matter, report_day
from baocao.render.options import CONFIG_NAME, RenderOptions

QUARTO_TO = {"html": "html", "pdf": "typst", "docx": "docx"}
TIMEOUT_S = 600
WORKSPACE = "baocao-quarto"  # the scratch project's folder: a visible name
PDF_STANDARD_SINCE = (1, 9)


class QuartoRenderer(Renderer):
    name = "quarto"

    def __init__(self, executable: str | None = None):
        self.executable = executable or shutil.which("quarto")

    def available(self) -> bool:
        return bool(self.executable) and Path(self.executable).exists()  # type: ignore[arg-type]  # not None here

    def versions(self) -> dict[str, str]:
        return dict(_tool_versions(self._require()))

    def pdf_standard(self, options: RenderOptions) -> str | None:
        if not options.quarto_pdf_standard:
            return None
        return options.quarto_pdf_standard if _version_tuple(self.versions()["quarto"]) >= PDF_STANDARD_SINCE else None

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
            raise InputError(
                Location(file=str(qmd)),
                "không tìm thấy tệp báo cáo cần dựng",
                "the report document to render does not exist",
            )
        env = dict(os.environ)
        day = report_day(read_front_matter(qmd))
        if day is not None:
            env["SOURCE_DATE_EPOCH"] = str(int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()))
        with tempfile.TemporaryDirectory(prefix="baocao-quarto-") as tmp:
            work = Path(tmp) / WORKSPACE
            doc = lay_out_workspace(work, qmd, options, wanted)
            self._run(quarto, doc, None, env)
            produced = {
                f: doc.with_suffix(SUFFIXES[f]).read_bytes() for f in wanted if doc.with_suffix(SUFFIXES[f]).is_file()
            }
        missing = [f"không tạo ra / wrote no {qmd.with_suffix(SUFFIXES[f]).name}" for f in wanted if f not in produced]
        if missing:  # exit 0 without the format _quarto.yml lists: the configuration was not read
            raise RenderCheckError(self.name, missing, CONFIG_NAME)
        return self.finish(qmd, produced, options)

    def _run(self, quarto: str, doc: Path, to: str | None, env: dict[str, str]) -> None:
        args = [quarto, "render", doc.name] + (["--to", to] if to else [])
        try:
            proc = subprocess.run(args, cwd=str(doc.parent), env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise RenderError(f"quarto render quá {TIMEOUT_S} s", f"quarto render took over {TIMEOUT_S} s") from None
        if proc.returncode != 0:
            detail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
            what = f"--to {to}" if to else "(" + ", ".join(_formats_in(doc.parent / CONFIG_NAME)) + ")"
            raise RenderError(
                f"quarto render {what} thất bại (mã {proc.returncode}) với {doc.name}:\n{detail}",
                f"quarto render {what} failed (exit code {proc.returncode}) for {doc.name}:\n{detail}",
            )

    def _require(self) -> str:
        if not self.available():
            raise ToolMissingError(
                "không tìm thấy Quarto (lệnh `quarto` không có trong PATH)",
                "Quarto is not installed (`quarto` is not on PATH)",
                hint_vi="Cài Quarto (https://quarto.org/docs/get-started/) hoặc dùng `--renderer pandoc`.",
                hint_en="Install Quarto (https://quarto.org/docs/get-started/) or use `--renderer pandoc`.",
            )
        return str(self.executable)


def workspace_config(options: RenderOptions, wanted: Sequence[str]) -> bytes:
    """`_quarto.yml` for the scratch project of one report: its format options (`format:`
    narrowed to the ``wanted`` formats, since one `quarto render` renders them all) without the
    site keys of the project's `_quarto.yml` (its `project:` website with pre-render step, page
    list and resources, and `metadata-files`): a report's render is a default project."""
    import yaml

    from ..yamlfile import load_yaml

    data = dict(load_yaml(options.config_file))  # the one YAML reader: no alias, no oversize file
    targets = {QUARTO_TO[f] for f in wanted}
    data["project"] = {"type": "default"}
    data.pop("metadata-files", None)
    data["format"] = {k: v for k, v in data["format"].items() if k in targets}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def lay_out_workspace(work: Path, qmd: Path, options: RenderOptions, wanted: Sequence[str] = FORMATS) -> Path:
    """A scratch Quarto project in ``work``: `_quarto.yml` (narrowed to the ``wanted``
    formats), the files it names, the document and its `figures/`, at the same relative
    paths. Returns the document's path in it."""
    work.mkdir(parents=True)
    (work / CONFIG_NAME).write_bytes(workspace_config(options, wanted))
    for asset in options.assets():
        rel = asset.relative_to(options.project_root)
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if asset.is_dir():
            shutil.copytree(asset, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(asset, target)
    figures = qmd.parent / BuildFiles.FIGURES
    if figures.is_dir():
        shutil.copytree(figures, work / BuildFiles.FIGURES)
    doc = work / qmd.name
    shutil.copyfile(qmd, doc)
    return doc


def _formats_in(config: Path) -> list[str]:
    from ..errors import ConfigError
    from ..yamlfile import load_yaml

    try:
        return list((load_yaml(config) or {}).get("format") or {})
    except (OSError, ConfigError, AttributeError):
        return []


def _version_tuple(text: str) -> tuple[int, ...]:
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    return tuple(int(x) for x in m.groups() if x is not None) if m else (0,)


def _first_version(text: str) -> str:
    m = re.search(r"\d+\.\d+(?:\.\d+)*", text)
    return m.group(0) if m else "unknown"


@lru_cache(maxsize=4)
def _tool_versions(quarto: str) -> tuple[tuple[str, str], ...]:
    """Quarto's version, and those of the pandoc and typst it runs (its bundled tools, or
    QUARTO_PANDOC / QUARTO_TYPST where set), for step keys and the manifest."""

    def run(*args: str) -> str:
        try:
            proc = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return ""
        return (proc.stdout + "\n" + proc.stderr).strip()

    versions = {"quarto": _first_version(run(quarto, "--version"))}
    paths = run(quarto, "--paths").splitlines()
    bin_dir = Path(paths[0]) if paths else None
    for tool in ("pandoc", "typst"):
        exe = os.environ.get(f"QUARTO_{tool.upper()}")
        if not exe and bin_dir is not None:
            for candidate in (bin_dir / "tools" / platform.machine() / tool, bin_dir / "tools" / tool):
                if candidate.exists():
                    exe = str(candidate)
                    break
        out = run(exe, "--version") if exe else run(quarto, tool, "--version")
        versions[tool] = _first_version(out.splitlines()[0] if out else "")
    return tuple(sorted(versions.items()))
