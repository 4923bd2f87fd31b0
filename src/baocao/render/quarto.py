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
names holding a copy of `_quarto.yml` (a default project whose `render:` lists the
documents), of the files it names (filters, CSS, partials, fonts), and of each document with
its `figures/` in a folder of its own. Quarto writes its outputs there; they are checked
against the options (render/checks.py) and only then written next to each document,
atomically. A failed render or check replaces nothing. One `quarto render` without `--to`
renders every format the scratch project's `_quarto.yml` lists (Quarto 1.7 accepts one
`--to` format per call), which saves a Quarto start-up per format: the copy of
`_quarto.yml` lists only the formats wanted (a build's `baocao.formats`, or the steps that
are stale). And one `quarto render` renders every document of the project, which saves a
Quarto start-up per report: :meth:`QuartoRenderer.render_many` renders several years'
reports in one process (a serial multi-year build, :func:`baocao.batch.build_years_together`);
a lone report goes the same way, in a project of one.

Dates: one process has one environment, so SOURCE_DATE_EPOCH is one fixed time
(:data:`RENDER_TIME`) for every render, and pandoc dates the .docx (its zip entries,
`docProps/core.xml`) with it; each .docx is then given its report's date
(:func:`baocao.render.docx.redate`). The HTML holds no time, and the PDF's dates come from the
document (`set document(date: …)` in the typst layout).

PDF/A: Quarto passes `pdf-standard` to typst from 1.9 on; with an older Quarto the PDF is a
plain PDF and :meth:`QuartoRenderer.pdf_standard` says so (None), so that nothing claims
PDF/A for it.
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
from baocao.errors import BaocaoError, InputError, Location, RenderCheckError, RenderError, ToolMissingError
from baocao.render.base import FORMATS, SUFFIXES, Renderer, check_formats, read_front_matter, report_day
from baocao.render.options import CONFIG_NAME, RenderOptions

QUARTO_TO = {"html": "html", "pdf": "typst", "docx": "docx"}
TIMEOUT_S = 600
WORKSPACE = "baocao-quarto"  # the scratch project's folder: a visible name
PDF_STANDARD_SINCE = (1, 9)
# SOURCE_DATE_EPOCH of every render: one process renders several reports, so one time for all;
# pandoc dates the .docx with it, and each .docx is then given its report's date (docx.redate).
# Not 1980-01-01, the date of the parts copied from the reference document, which stay as they are.
RENDER_TIME = dt.datetime(1980, 1, 2, tzinfo=dt.UTC)


class QuartoRenderer(Renderer):
    name = "quarto"
    renders_many_at_once = True

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
        outcome = self.render_many([(qmd, formats)], options=options)[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def render_many(
        self, documents: Sequence[tuple[Path, Sequence[str]]], *, options: RenderOptions
    ) -> list[dict[str, Path] | Exception]:
        """The documents that want the same formats in one `quarto render` (one scratch project
        holding them all, each in a folder of its own): one Quarto start-up for them all. A lone
        document goes the same way, so that it comes out the same. When a shared render fails,
        each of its documents is rendered again alone: a failure is its own document's, with
        Quarto's message about it."""
        quarto = self._require()
        outcomes: dict[int, dict[str, Path] | Exception] = {}
        together: dict[tuple[str, ...], list[int]] = {}
        for i, (qmd, formats) in enumerate(documents):
            if not Path(qmd).is_file():
                outcomes[i] = InputError(
                    Location(file=str(Path(qmd).resolve())),
                    "không tìm thấy tệp báo cáo cần dựng",
                    "the report document to render does not exist",
                )
            else:
                together.setdefault(check_formats(formats), []).append(i)
        for wanted, indices in together.items():
            found = self._outcomes(quarto, [Path(documents[i][0]).resolve() for i in indices], wanted, options)
            outcomes.update(zip(indices, found, strict=True))
        return [outcomes[i] for i in range(len(documents))]

    def _outcomes(
        self, quarto: str, qmds: list[Path], wanted: tuple[str, ...], options: RenderOptions
    ) -> list[dict[str, Path] | Exception]:
        try:
            produced = self._render_together(quarto, qmds, wanted, options)
        except (BaocaoError, OSError) as exc:
            if len(qmds) == 1:
                return [exc]
            return [self._outcomes(quarto, [qmd], wanted, options)[0] for qmd in qmds]
        return [self._checked(qmd, wanted, p, options) for qmd, p in zip(qmds, produced, strict=True)]

    def _render_together(
        self, quarto: str, qmds: list[Path], wanted: tuple[str, ...], options: RenderOptions
    ) -> list[dict[str, bytes]]:
        """One `quarto render` of a scratch project holding ``qmds``: what it wrote for each,
        every .docx given its report's date (:func:`baocao.render.docx.redate`)."""
        from baocao.render.docx import redate

        env = dict(os.environ, SOURCE_DATE_EPOCH=str(int(RENDER_TIME.timestamp())))
        produced: list[dict[str, bytes]] = []
        with tempfile.TemporaryDirectory(prefix="baocao-quarto-") as tmp:
            work = Path(tmp) / WORKSPACE
            docs = lay_out_workspace(work, qmds, options, wanted)
            self._run(quarto, work, docs, env)
            for qmd, doc in zip(qmds, docs, strict=True):
                out = {f: doc.with_suffix(SUFFIXES[f]) for f in wanted}
                produced.append({f: path.read_bytes() for f, path in out.items() if path.is_file()})
                day = report_day(read_front_matter(qmd))
                if "docx" in produced[-1] and day is not None:
                    produced[-1]["docx"] = redate(produced[-1]["docx"], RENDER_TIME, day)
        return produced

    def _checked(
        self, qmd: Path, wanted: tuple[str, ...], produced: dict[str, bytes], options: RenderOptions
    ) -> dict[str, Path] | Exception:
        """The outputs checked (render/checks.py) and written next to ``qmd``, or why not."""
        missing = [f"không tạo ra / wrote no {qmd.with_suffix(SUFFIXES[f]).name}" for f in wanted if f not in produced]
        try:
            if missing:  # exit 0 without the format _quarto.yml lists: the configuration was not read
                raise RenderCheckError(self.name, missing, CONFIG_NAME)
            return self.finish(qmd, produced, options)
        except (BaocaoError, OSError) as exc:
            return exc

    def _run(self, quarto: str, work: Path, docs: list[Path], env: dict[str, str]) -> None:
        timeout = TIMEOUT_S * len(docs)
        try:
            proc = subprocess.run(
                [quarto, "render"], cwd=str(work), env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise RenderError(f"quarto render quá {timeout} s", f"quarto render took over {timeout} s") from None
        if proc.returncode != 0:
            detail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
            what = "(" + ", ".join(_formats_in(work / CONFIG_NAME)) + ")"
            names = ", ".join(doc.name for doc in docs)
            raise RenderError(
                f"quarto render {what} thất bại (mã {proc.returncode}) với {names}:\n{detail}",
                f"quarto render {what} failed (exit code {proc.returncode}) for {names}:\n{detail}",
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


def workspace_config(options: RenderOptions, wanted: Sequence[str], documents: Sequence[str] = ()) -> bytes:
    """`_quarto.yml` for the scratch project of the reports: their format options (`format:`
    narrowed to the ``wanted`` formats, since one `quarto render` renders them all) without the
    site keys of the project's `_quarto.yml` (its `project:` website with pre-render step, page
    list and resources, and `metadata-files`): a default project, whose `render:` lists the
    ``documents`` (paths in it)."""
    import yaml

    from ..yamlfile import load_yaml

    data = dict(load_yaml(options.config_file))  # the one YAML reader: no alias, no oversize file
    targets = {QUARTO_TO[f] for f in wanted}
    data["project"] = {"type": "default", **({"render": list(documents)} if documents else {})}
    data.pop("metadata-files", None)
    data["format"] = {k: v for k, v in data["format"].items() if k in targets}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def lay_out_workspace(
    work: Path, qmds: Sequence[Path], options: RenderOptions, wanted: Sequence[str] = FORMATS
) -> list[Path]:
    """A scratch Quarto project in ``work``: `_quarto.yml` (narrowed to the ``wanted`` formats,
    listing the documents), the files it names at the same relative paths, and each document
    with its `figures/` in a folder of its own, named after it (`bao-cao-2023/`; a second
    document of that name `bao-cao-2023-2/`). Returns the documents' paths in it."""
    work.mkdir(parents=True)
    for asset in options.assets():
        rel = asset.relative_to(options.project_root)
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if asset.is_dir():
            shutil.copytree(asset, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(asset, target)
    docs: list[Path] = []
    for qmd in qmds:
        folder, n = work / qmd.stem, 1
        while folder.exists():
            n += 1
            folder = work / f"{qmd.stem}-{n}"
        folder.mkdir()
        figures = qmd.parent / BuildFiles.FIGURES
        if figures.is_dir():
            shutil.copytree(figures, folder / BuildFiles.FIGURES)
        docs.append(folder / qmd.name)
        shutil.copyfile(qmd, docs[-1])
    listed = [doc.relative_to(work).as_posix() for doc in docs]
    (work / CONFIG_NAME).write_bytes(workspace_config(options, wanted, listed))
    return docs


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
