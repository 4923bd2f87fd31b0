"""Archive a year's build with its sources (BagIt + RO-Crate), verify an archive, reproduce it.

``baocao archive --year Y [--out DIR]``
    Packs ``build/<year>/`` and everything the build read into a BagIt bag (RFC 8493, the
    ``bagit`` package; sha256 and sha512 manifests) ``<out>/<unit>-<year>/`` and its zip
    ``<out>/<unit>-<year>.zip``. Payload layout (under ``data/``)::

        report/                 bao-cao-<year>.html, .pdf, .qmd, metrics.json, figures/, manifest.json
        processed/              build/<year>/data/* (tidy tables, rejects.csv, …)
        notebooks/executed/     the executed notebooks (the build's readable record)
        source/                 a project tree: baocao.yml, _quarto.yml, requirements.lock,
                                data/raw/<years read>/, data/reference/, notebooks/, report/
        ro-crate-metadata.json  RO-Crate: which notebooks made which data from which sources,
                                which report from those, by which organisation, on which date

    plus ``README.txt`` (Vietnamese and English) at the top of the bag. The bag is
    deterministic: Bagging-Date is the report's date, manifests are sorted, and the zip has
    sorted entries with fixed timestamps and modes, so two archives of one build are
    byte-identical.

``baocao verify PATH``
    A bag folder or its zip. Exit 0 when intact; otherwise one line per problem naming the
    file (changed, missing, extra, unsafe, unreadable), exit 1. A zip is checked entry by
    entry before anything is written: absolute names, ``..``, drive letters, backslashes,
    links and special files are refused.

``baocao reproduce PATH``
    Verifies the bag, copies its ``source/`` tree to a temporary folder, builds the year
    there with the installed baocao (the renderer the bag's manifest names), and compares
    every output with the bag's copy (``identical`` / ``DIFFERENT`` per file). Tool
    versions that differ from the bag's are named in a warning first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator

from . import __version__
from .errors import BaocaoError, UsageError

CHECKSUMS = ("sha256", "sha512")
BAGIT_VERSION = "1.0"  # RFC 8493
README_NAME = "README.txt"
CRATE_NAME = "ro-crate-metadata.json"
RECORDS_PREFIX = "notebooks/"

Out = Callable[[str], None]


# ---------------------------------------------------------------------------- errors
class BagDamagedError(BaocaoError):
    """The bag (or zip) is not intact; the problems were printed one per line."""

    exit_code = 1

    def __init__(self, path: Path | str, problems: list["Problem"]):
        self.problems = problems
        n = len(problems)
        super().__init__(
            f"túi lưu trữ {path} KHÔNG nguyên vẹn: {n} vấn đề (mỗi dòng ở trên nêu một tệp)",
            f"the archive {path} is NOT intact: {n} problem(s) (one line above per file)",
            hint_vi="lấy lại bản lưu trữ từ nơi cất giữ khác; không dùng bản này làm căn cứ",
            hint_en="restore the archive from another copy; do not rely on this one",
        )


class BuildChangedError(BaocaoError):
    """build/<year>/ no longer matches its own manifest.json (edited after the build)."""

    exit_code = 1


class StaleBuildError(UsageError):
    """The sources changed after the build; archiving would pair a report with other data."""


class ReproduceMismatchError(BaocaoError):
    exit_code = 1


# ---------------------------------------------------------------------------- problems
LABELS = {
    "changed": "SAI LỆCH / CHANGED",
    "missing": "THIẾU / MISSING",
    "extra": "THỪA / EXTRA",
    "unsafe": "KHÔNG AN TOÀN / UNSAFE",
    "unreadable": "KHÔNG ĐỌC ĐƯỢC / UNREADABLE",
    "invalid": "KHÔNG HỢP LỆ / INVALID",
    "inconsistent": "KHÔNG KHỚP / INCONSISTENT",
}


@dataclass(frozen=True)
class Problem:
    kind: str  # a key of LABELS
    path: str  # the file, relative to the bag (or the zip entry as written)
    vi: str
    en: str

    def line(self) -> str:
        return f"{LABELS[self.kind]}  {self.path}: {self.vi} / {self.en}"


# ---------------------------------------------------------------------------- helpers
def _hashes(path: Path, algorithms: Iterable[str] = CHECKSUMS) -> dict[str, str]:
    hs = {alg: hashlib.new(alg) for alg in algorithms}
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            for h in hs.values():
                h.update(chunk)
    return {alg: h.hexdigest() for alg, h in hs.items()}


def _sha256(path: Path) -> str:
    return _hashes(path, ("sha256",))["sha256"]


def _files(folder: Path) -> list[Path]:
    """Regular files below ``folder``, sorted by their relative POSIX path."""
    found = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _hidden(rel: str) -> bool:
    """Build bookkeeping (``.baocao-state.json``, …): not an output, as in write_manifest."""
    return PurePosixPath(rel).name.startswith(".")


def _human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


@contextlib.contextmanager
def _quiet_bagit() -> Iterator[None]:
    """bagit logs every finding at WARNING; we report them ourselves, one line per file."""
    logger = logging.getLogger("bagit")
    level, propagate = logger.level, logger.propagate
    handler = logging.NullHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def payload_path_for_output(rel: str) -> str:
    """Where an output of build/<year>/ (``rel``) lives in the bag, relative to ``data/``."""
    if rel.startswith("data/"):
        return "processed/" + rel[len("data/"):]
    if rel.startswith(RECORDS_PREFIX):
        return "notebooks/executed/" + rel[len(RECORDS_PREFIX):]
    return "report/" + rel


def payload_path_for_input(rel: str) -> str:
    """Where an input of the build (project-relative ``rel``) lives in the bag."""
    return "source/" + rel


def bag_name(unit_id: str, year: int) -> str:
    return f"{unit_id}-{year}"


# ---------------------------------------------------------------------------- archive
@dataclass
class ArchiveResult:
    bag_dir: Path
    zip_path: Path
    files: int
    payload_bytes: int
    zip_bytes: int
    seconds: float = 0.0


def _check_build(project, year: int) -> dict:
    """The build's manifest, after checking that build/<year>/ and the sources still match it."""
    from .steps import input_files, sha256

    build_dir = project.build_dir(year)
    manifest_path = project.manifest_path(year)
    if not manifest_path.is_file():
        raise UsageError(
            f"chưa có bản dựng năm {year} ({project.rel(manifest_path)} không tồn tại)",
            f"there is no build of {year} ({project.rel(manifest_path)} does not exist)",
            hint_vi=f"chạy 'baocao build --year {year}' trước, rồi lưu trữ",
            hint_en=f"run 'baocao build --year {year}' first, then archive",
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("year") != year:
        raise BuildChangedError(
            f"{project.rel(manifest_path)} ghi năm {manifest.get('year')}, không phải {year}",
            f"{project.rel(manifest_path)} is for {manifest.get('year')}, not {year}",
            hint_vi=f"dựng lại: 'baocao build --year {year}'", hint_en=f"rebuild: 'baocao build --year {year}'",
        )

    # 1. Outputs: exactly what the manifest lists, byte for byte.
    changed: list[str] = []
    listed = manifest.get("outputs", {})
    for rel, digest in sorted(listed.items()):
        p = build_dir / rel
        if not p.is_file():
            changed.append(f"{project.rel(p)} (thiếu / missing)")
        elif sha256(p) != digest:
            changed.append(f"{project.rel(p)} (đã bị sửa / modified)")
    for p in _files(build_dir):
        rel = p.relative_to(build_dir).as_posix()
        if rel != "manifest.json" and rel not in listed and not _hidden(rel):
            changed.append(f"{project.rel(p)} (không có trong manifest / not in the manifest)")
    if changed:
        files = "; ".join(changed)
        raise BuildChangedError(
            f"thư mục bản dựng năm {year} không khớp manifest.json của nó: {files}",
            f"the {year} build folder no longer matches its manifest.json: {files}",
            hint_vi=f"dựng lại bằng 'baocao build --year {year}' rồi lưu trữ",
            hint_en=f"rebuild with 'baocao build --year {year}', then archive",
        )

    # 2. Inputs: the sources on disk now are the ones the build read.
    now = {p.relative_to(project.root).as_posix(): p for p in input_files(project, year)}
    recorded = manifest.get("inputs", {})
    stale = sorted(
        [f"{rel} (mới / new)" for rel in now if rel not in recorded]
        + [f"{rel} (đã xóa / removed)" for rel in recorded if rel not in now]
        + [f"{rel} (đã sửa / modified)" for rel, p in now.items() if rel in recorded and sha256(p) != recorded[rel]]
    )
    if stale:
        files = "; ".join(stale)
        raise StaleBuildError(
            f"số liệu hoặc cấu hình đã thay đổi sau lần dựng năm {year}: {files}",
            f"inputs changed since the {year} build: {files}",
            hint_vi=f"dựng lại bằng 'baocao build --year {year}' để bản lưu trữ khớp với số liệu",
            hint_en=f"rebuild with 'baocao build --year {year}' so the archive matches its data",
        )
    return manifest


def _recover_out(out_dir: Path, name: str) -> None:
    """After a killed archive run: restore the last good bag, drop half-made ones."""
    final, old = out_dir / name, out_dir / f".{name}.old"
    if old.exists() and not final.exists():
        os.replace(old, final)
    elif old.exists():
        shutil.rmtree(old, ignore_errors=True)
    for stale in out_dir.glob(f".{name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


def make_archive(project, year: int, out_dir: Path | None = None, *, out: Out = print) -> ArchiveResult:
    """Bag build/<year>/ with its sources into ``out_dir`` (default <project>/archive/)."""
    from .narrative import load_meta
    from .pipeline import _lock

    t0 = time.perf_counter()
    out_dir = Path(out_dir) if out_dir else project.root / "archive"
    out_dir = out_dir.resolve()
    for inside in (project.root / "data", project.notebooks_dir, project.report_dir, project.build_root):
        if out_dir == inside.resolve() or inside.resolve() in out_dir.parents:
            raise UsageError(
                f"không thể ghi bản lưu trữ vào {project.rel(out_dir)} (nằm trong {project.rel(inside)})",
                f"cannot write the archive into {project.rel(out_dir)} (it is inside {project.rel(inside)})",
                hint_vi="chọn thư mục khác với --out, ví dụ archive/", hint_en="choose another --out, e.g. archive/",
            )
    lock = _lock(project, year, wait=False)  # no build of this year may swap build/<year> meanwhile
    try:
        manifest = _check_build(project, year)
        meta = load_meta(project, year)
        unit = project.unit
        name = bag_name(unit.id, year)
        out_dir.mkdir(parents=True, exist_ok=True)
        _recover_out(out_dir, name)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.staging-", dir=out_dir))
        try:
            bag_dir = staging / name
            payload = bag_dir  # make_bag moves everything here into data/
            bag_dir.mkdir()
            build_dir = project.build_dir(year)
            copies: list[tuple[Path, str]] = [(build_dir / "manifest.json", "report/manifest.json")]
            copies += [(build_dir / rel, payload_path_for_output(rel)) for rel in sorted(manifest["outputs"])]
            copies += [(project.root / rel, payload_path_for_input(rel)) for rel in sorted(manifest["inputs"])]
            for src, rel in copies:
                dest = payload / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
            write_crate(payload, manifest, project, meta)
            payload_bytes = sum(p.stat().st_size for p in _files(payload))
            info = bag_info(project, year, meta, payload_bytes)
            finish_bag(bag_dir, info, readme_text(project, year, meta, manifest, name))
            problems = verify_bag_dir(bag_dir)
            if problems:  # pragma: no cover - would be a bug in this module
                for p in problems:
                    out(p.line())
                raise BagDamagedError(bag_dir, problems)
            zip_tmp = staging / f"{name}.zip"
            write_zip(bag_dir, zip_tmp, meta.date)
            files = len(_files(bag_dir))

            # Promote: bag folder, then zip. A kill between the folder's two renames is repaired
            # by _recover_out; one between folder and zip leaves the previous (valid) zip: each
            # verifies on its own, and the next archive run replaces it.
            final, old = out_dir / name, out_dir / f".{name}.old"
            if final.exists():
                os.replace(final, old)
            os.replace(bag_dir, final)
            if old.exists():
                shutil.rmtree(old, ignore_errors=True)
            zip_path = out_dir / f"{name}.zip"
            os.replace(zip_tmp, zip_path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        lock.release()
    return ArchiveResult(final, zip_path, files, payload_bytes, zip_path.stat().st_size, time.perf_counter() - t0)


def bag_info(project, year: int, meta, payload_bytes: int) -> dict[str, str]:
    import bagit

    unit = project.unit
    address = ", ".join(x for x in (unit.ward, unit.city, unit.province) if x)
    return {
        "Source-Organization": unit.name,
        "Organization-Address": address,
        "External-Description": (
            f"Báo cáo tổng kết công tác Mặt trận năm {year}, phương hướng nhiệm vụ năm {year + 1} "
            f"của {unit.name} (HTML, PDF/A), cùng số liệu gốc, số liệu đã xử lý, sổ tay tính toán "
            f"đã chạy, mẫu báo cáo và cấu hình để kiểm tra và dựng lại báo cáo."
        ),
        "External-Identifier": f"{meta.number}/{unit.symbol}",
        "Bag-Group-Identifier": bag_name(unit.id, year),
        "Bagging-Date": meta.date.isoformat(),
        "Bag-Size": _human_size(payload_bytes),
        "Bag-Software-Agent": f"baocao {__version__} (bagit.py {bagit.VERSION})",
    }


def finish_bag(bag_dir: Path, info: dict[str, str], readme: str | None = None) -> None:
    """Make ``bag_dir`` (its files become the payload) a deterministic BagIt 1.0 bag.

    bagit.py writes BagIt-Version 0.97 and lists the tag manifest in directory order; we
    write ``bagit.txt`` as RFC 8493 (1.0), add README.txt as a tag file, and write sorted
    tag manifests, so the bag's bytes depend on its content alone.
    """
    import bagit

    with _quiet_bagit():
        bagit.make_bag(str(bag_dir), dict(info), checksums=list(CHECKSUMS))
    (bag_dir / "bagit.txt").write_text(
        f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    if readme is not None:
        (bag_dir / README_NAME).write_text(readme, encoding="utf-8")
    for alg in CHECKSUMS:  # payload manifests: already sorted by bagit's _walk; sort anyway
        m = bag_dir / f"manifest-{alg}.txt"
        lines = sorted(m.read_text(encoding="utf-8").splitlines(), key=lambda l: l.split(None, 1)[1])
        m.write_text("".join(l + "\n" for l in lines), encoding="utf-8")
    write_tagmanifests(bag_dir)


def write_tagmanifests(bag_dir: Path, algorithms: Iterable[str] = CHECKSUMS) -> None:
    tag_files = sorted(
        p.relative_to(bag_dir).as_posix()
        for p in _files(bag_dir)
        if p.relative_to(bag_dir).parts[0] != "data" and not p.name.startswith("tagmanifest-")
    )
    digests = {rel: _hashes(bag_dir / rel, algorithms) for rel in tag_files}
    for alg in algorithms:
        text = "".join(f"{digests[rel][alg]}  {rel}\n" for rel in tag_files)
        (bag_dir / f"tagmanifest-{alg}.txt").write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------- RO-Crate
_FORMATS = {
    ".html": "text/html", ".pdf": "application/pdf", ".qmd": "text/markdown", ".md": "text/markdown",
    ".csv": "text/csv", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
    ".ipynb": "application/x-ipynb+json", ".yml": "application/yaml", ".yaml": "application/yaml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel", ".txt": "text/plain", ".lock": "text/plain",
    ".j2": "text/x-jinja2", ".typ": "text/x-typst", ".css": "text/css", ".lua": "text/x-lua",
    ".ttf": "font/ttf", ".otf": "font/otf",
}


def write_crate(payload: Path, manifest: dict, project, meta) -> Path:
    """ro-crate-metadata.json at the payload root: files, organisation, tools, and four
    CreateActions (clean, analyze, compose, render) linking sources → data → report."""
    from rocrate.rocrate import ROCrate
    from rocrate.model.contextentity import ContextEntity

    year = manifest["year"]
    unit = project.unit
    date = meta.date.isoformat()
    crate = ROCrate()
    crate.name = f"Báo cáo tổng kết công tác Mặt trận năm {year} – {unit.name}"
    crate.description = (
        f"Báo cáo tổng kết năm {year} của {unit.name}, số {meta.number}/{unit.symbol}, ngày {date}, "
        f"cùng số liệu gốc, số liệu đã xử lý và sổ tay tính toán đã tạo ra nó. / The {year} year-end report "
        f"of {unit.name} with the source data, processed data and notebooks that produced it."
    )
    crate.datePublished = date  # RELIABILITY §1: never "now"
    crate.root_dataset["identifier"] = f"{meta.number}/{unit.symbol}"
    crate.root_dataset["inLanguage"] = "vi"

    org = crate.add(ContextEntity(crate, f"#{unit.id}", properties={
        "@type": "Organization", "name": unit.name,
        "address": ", ".join(x for x in (unit.ward, unit.city, unit.province) if x),
    }))
    crate.creator = org
    crate.publisher = org
    baocao_app = crate.add(ContextEntity(crate, "#baocao", properties={
        "@type": "SoftwareApplication", "name": "baocao", "version": manifest.get("baocao_version", __version__),
    }))
    tools = {}
    for tool, version in sorted(manifest.get("tools", {}).items()):
        if tool in ("baocao", "renderer"):
            continue
        tools[tool] = crate.add(ContextEntity(crate, f"#tool-{re.sub(r'[^A-Za-z0-9_.-]', '-', tool)}", properties={
            "@type": "SoftwareApplication", "name": tool, "version": str(version),
        }))

    files = {}
    for p in _files(payload):
        rel = p.relative_to(payload).as_posix()
        if rel == CRATE_NAME:
            continue
        props = {"name": p.name, "contentSize": str(p.stat().st_size)}
        fmt = _FORMATS.get(p.suffix.lower())
        if fmt:
            props["encodingFormat"] = fmt
        if p.suffix == ".ipynb" and rel.startswith("source/notebooks/"):
            props["@type"] = ["File", "SoftwareSourceCode"]
            props["programmingLanguage"] = "Python"
        files[rel] = crate.add_file(p, dest_path=rel, properties=props)
    report = {fmt: files.get(f"report/bao-cao-{year}.{fmt}") for fmt in ("html", "pdf", "qmd")}
    for fmt, entity in report.items():
        if entity is not None:
            entity["datePublished"] = date
            entity["author"] = org
            entity["description"] = {"html": "Báo cáo (HTML, một tệp, xem được không cần mạng)",
                                     "pdf": "Báo cáo (PDF/A-2b, khổ A4)",
                                     "qmd": "Văn bản báo cáo đã soạn (Quarto Markdown, không chứa mã)"}[fmt]

    def pick(pred) -> list:
        return [e for rel, e in files.items() if pred(rel)]

    raw_this = f"source/data/raw/{year}/"
    meta_files = {f"{raw_this}thong-tin-bao-cao.yml", f"{raw_this}nhan-dinh.md"}
    config = pick(lambda r: r in ("source/baocao.yml", "source/requirements.lock")
                  or r.startswith("source/data/reference/"))
    actions = [
        ("#clean", "Làm sạch, kiểm tra số liệu năm / clean and validate the year's data",
         [files.get("source/notebooks/01_clean.ipynb"), baocao_app],
         pick(lambda r: r.startswith(raw_this) and r not in meta_files) + config,
         pick(lambda r: r.startswith("processed/") or r == "notebooks/executed/01_clean.ipynb")),
        ("#analyze", "Tính chỉ tiêu, so sánh các năm trước, vẽ biểu đồ / metrics, comparison, figures",
         [files.get("source/notebooks/02_analyze.ipynb"), baocao_app],
         pick(lambda r: r.startswith("processed/"))
         + pick(lambda r: r.startswith("source/data/raw/") and not r.startswith(raw_this)) + config,
         pick(lambda r: r in ("report/metrics.json", "notebooks/executed/02_analyze.ipynb")
              or r.startswith("report/figures/"))),
        ("#compose", "Soạn văn bản báo cáo từ chỉ tiêu và phần nhận định / compose the report text",
         [baocao_app] + pick(lambda r: r == "source/report/bao-cao.qmd.j2"),
         pick(lambda r: r in ("report/metrics.json", "source/baocao.yml") or r in meta_files)
         + pick(lambda r: r.startswith("report/figures/")),
         pick(lambda r: r == f"report/bao-cao-{year}.qmd")),
        ("#render", f"Xuất HTML và PDF ({manifest.get('parameters', {}).get('renderer', '')}) / render HTML and PDF",
         [baocao_app] + [tools[t] for t in sorted(tools) if t.startswith("renderer:")]
         + pick(lambda r: r == "source/_quarto.yml" or (r.startswith("source/report/")
                                                         and r != "source/report/bao-cao.qmd.j2")),
         pick(lambda r: r == f"report/bao-cao-{year}.qmd" or r.startswith("report/figures/")),
         [e for e in (report["html"], report["pdf"]) if e is not None]),
    ]
    for ident, name, instrument, obj, result in actions:
        crate.add_action(
            [i for i in instrument if i is not None], identifier=ident, object=obj, result=result,
            properties={"@type": "CreateAction", "name": name, "agent": org, "endTime": date},
        )
    crate.add(ContextEntity(crate, "#build-parameters", properties={
        "@type": "PropertyValue", "name": "build parameters",
        "value": json.dumps(manifest.get("parameters", {}), sort_keys=True, ensure_ascii=False),
    }))
    crate.metadata.write(payload)
    return payload / CRATE_NAME


# ---------------------------------------------------------------------------- README
def readme_text(project, year: int, meta, manifest: dict, name: str) -> str:
    unit = project.unit
    tools = manifest.get("tools", {})
    renderer = manifest.get("parameters", {}).get("renderer", "pandoc")
    versions = ", ".join(f"{k} {v}" for k, v in sorted(tools.items()))
    commit = manifest.get("git_commit") or "(không có / none)"
    return f"""\
{name}: Báo cáo tổng kết công tác Mặt trận năm {year} / {year} year-end report
{unit.name}, số {meta.number}/{unit.symbol}, ngày {meta.date.isoformat()}

=== Tiếng Việt ===

Đây là một túi lưu trữ BagIt (RFC 8493). Mọi tệp nằm trong thư mục data/; mã băm SHA-256 và
SHA-512 của từng tệp ghi trong manifest-sha256.txt và manifest-sha512.txt.

Nội dung:
  data/report/              báo cáo bao-cao-{year}.html và .pdf (PDF/A-2b), văn bản đã soạn .qmd,
                            metrics.json (mọi con số trong báo cáo), figures/ (biểu đồ),
                            manifest.json (mã băm của mọi đầu vào, đầu ra; phiên bản công cụ)
  data/processed/           số liệu đã làm sạch (CSV), rejects.csv (các dòng bị loại và lý do)
  data/notebooks/executed/  sổ tay đã chạy: ghi lại việc làm sạch, tính toán năm {year}
  data/source/              nguồn để dựng lại: số liệu gốc data/raw/ (năm {year} và các năm so sánh),
                            danh mục data/reference/, sổ tay notebooks/, mẫu báo cáo report/,
                            baocao.yml, _quarto.yml, requirements.lock
  data/ro-crate-metadata.json  RO-Crate: sổ tay nào tạo số liệu nào từ nguồn nào, báo cáo từ đâu,
                            do đơn vị nào, ngày nào

Kiểm tra tính nguyên vẹn:
  baocao verify {name}.zip        (hoặc: baocao verify {name}/)
  hoặc không cần baocao: bagit.py --validate {name}/   hay   cd {name} && sha256sum -c manifest-sha256.txt

Dựng lại và so sánh từng tệp:
  baocao reproduce {name}.zip
  hoặc tự làm: cài Python 3.11, pip install --only-binary=:all: -r data/source/requirements.lock,
  cài baocao {manifest.get('baocao_version', __version__)}, rồi trong data/source/ chạy
  baocao build --year {year} --renderer {renderer}
  Kết quả chỉ giống từng byte khi dùng đúng các phiên bản công cụ ghi dưới đây.

=== English ===

This is a BagIt bag (RFC 8493). Every file is under data/; the SHA-256 and SHA-512 of each
are listed in manifest-sha256.txt and manifest-sha512.txt.

Contents:
  data/report/              the report bao-cao-{year}.html and .pdf (PDF/A-2b), the composed .qmd,
                            metrics.json (every number the report states), figures/,
                            manifest.json (hashes of every input and output; tool versions)
  data/processed/           the cleaned data (CSV) and rejects.csv (rejected rows and why)
  data/notebooks/executed/  the executed notebooks: the record of cleaning and analysis for {year}
  data/source/              what the report is rebuilt from: raw data data/raw/ ({year} and the
                            years it compares with), data/reference/, notebooks/, report/ templates,
                            baocao.yml, _quarto.yml, requirements.lock
  data/ro-crate-metadata.json  RO-Crate provenance: which notebooks made which data from which
                            sources, and which report from those, by which organisation, on which date

Verify: baocao verify {name}.zip  (or bagit.py --validate {name}/, or sha256sum -c manifest-sha256.txt)
Rebuild and compare every file: baocao reproduce {name}.zip
  By hand: Python 3.11, pip install --only-binary=:all: -r data/source/requirements.lock,
  install baocao {manifest.get('baocao_version', __version__)}, then in data/source/ run
  baocao build --year {year} --renderer {renderer}
  Outputs are byte-identical only with the tool versions below.

Built with / dựng bằng: {versions}
Git commit: {commit}
"""


# ---------------------------------------------------------------------------- zip
def write_zip(bag_dir: Path, zip_path: Path, date: dt.date) -> Path:
    """Zip the bag under one top folder, entries sorted, fixed times and modes (deterministic)."""
    from .atomic import atomic_path

    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    with atomic_path(zip_path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for p in _files(bag_dir):
                info = zipfile.ZipInfo(f"{bag_dir.name}/{p.relative_to(bag_dir).as_posix()}", date_time=stamp)
                info.create_system = 3  # Unix, so the mode below is read as such
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, p.read_bytes(), compresslevel=9)
    return zip_path


_DRIVE = re.compile(r"^[A-Za-z]:")


def zip_entry_problems(zf: zipfile.ZipFile) -> list[Problem]:
    """Entries that must never be extracted: absolute, ``..``, drive letters, backslashes,
    links, special files, duplicates, NUL bytes. Checked before anything is written."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for info in zf.infolist():
        name = info.filename
        mode = info.external_attr >> 16
        parts = name.split("/")
        why = None
        if "\x00" in name:
            why = ("tên tệp chứa ký tự NUL", "the name contains a NUL byte")
        elif name.startswith("/") or name.startswith("\\") or _DRIVE.match(name):
            why = ("đường dẫn tuyệt đối", "absolute path")
        elif "\\" in name:
            why = ("tên chứa dấu \\ (đường dẫn kiểu Windows)", "backslash in the name (a Windows path)")
        elif ".." in parts:
            why = ("đường dẫn có '..', trỏ ra ngoài thư mục", "path with '..', points outside the folder")
        elif info.create_system == 3 and stat.S_ISLNK(mode):
            why = ("liên kết tượng trưng (symlink)", "symbolic link")
        elif info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            why = ("không phải tệp thường", "not a regular file")
        elif name in seen:
            why = ("tên tệp xuất hiện hai lần trong zip", "the name appears twice in the zip")
        if why:
            problems.append(Problem("unsafe", name, *why))
        seen.add(name)
    return problems


@contextlib.contextmanager
def opened_bag(path: Path) -> Iterator[tuple[Path | None, list[Problem]]]:
    """Yield (bag folder, problems). A zip is checked, then extracted to a temporary folder;
    unsafe zips yield (None, problems) and nothing is written."""
    path = Path(path)
    if path.is_dir():
        yield path, []
        return
    if not path.exists():
        raise UsageError(
            f"không tìm thấy {path}", f"{path} does not exist",
            hint_vi="chỉ ra thư mục túi lưu trữ hoặc tệp .zip của nó",
            hint_en="give a bag folder or its .zip",
        )
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield None, [Problem("unreadable", path.name, f"không phải tệp zip đọc được ({exc})",
                             f"not a readable zip file ({exc})")]
        return
    with zf, tempfile.TemporaryDirectory(prefix="baocao-verify-") as tmp:
        problems = zip_entry_problems(zf)
        if problems:
            yield None, problems
            return
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        # The bag's folder: where the shallowest bagit.txt is ("" when at the top of the zip).
        tags = sorted((n for n in names if n == "bagit.txt" or n.endswith("/bagit.txt")), key=lambda n: n.count("/"))
        prefix = tags[0][: -len("bagit.txt")] if tags else ""
        outside = [n for n in names if not n.startswith(prefix)]
        problems += [Problem("extra", n, "tệp thừa nằm ngoài thư mục túi trong zip",
                             "extra file outside the bag's folder in the zip") for n in outside]
        dest = Path(tmp) / "bag"
        dest.mkdir()
        root = dest.resolve()
        for info in zf.infolist():
            if info.is_dir() or not info.filename.startswith(prefix):
                continue
            rel = info.filename[len(prefix):]
            target = (dest / rel).resolve()
            if root not in target.parents:  # belt and braces after zip_entry_problems
                problems.append(Problem("unsafe", info.filename, "trỏ ra ngoài thư mục", "points outside the folder"))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(target, "xb") as dst:
                    shutil.copyfileobj(src, dst)
            except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
                target.unlink(missing_ok=True)
                problems.append(Problem("unreadable", rel, f"không giải nén được, dữ liệu trong zip bị hỏng ({exc})",
                                        f"cannot be extracted, its data in the zip is damaged ({exc})"))
        yield dest, problems


# ---------------------------------------------------------------------------- verify
def _safe_manifest_path(rel: str) -> bool:
    p = PurePosixPath(rel)
    return not (p.is_absolute() or ".." in p.parts or rel.startswith("~") or "\\" in rel or _DRIVE.match(rel))


def verify_bag_dir(bag_dir: Path, *, skip: Iterable[str] = ()) -> list[Problem]:
    """Every problem of the bag at ``bag_dir``, one per file. ``skip``: files already
    reported (e.g. unreadable zip entries), not to be reported again as missing."""
    import bagit

    bag_dir = Path(bag_dir)
    skip = set(skip)
    problems: list[Problem] = []

    links = [p for p in sorted(bag_dir.rglob("*")) if p.is_symlink()]
    if links:
        return [Problem("unsafe", p.relative_to(bag_dir).as_posix(), "liên kết tượng trưng (symlink) trong túi",
                        "symbolic link inside the bag") for p in links]
    if not (bag_dir / "bagit.txt").is_file():
        return [Problem("missing", "bagit.txt", "không có: đây không phải túi BagIt, hoặc tệp đã bị xóa",
                        "not there: this is not a BagIt bag, or the file was deleted")]
    if not (bag_dir / "data").is_dir():
        return [Problem("missing", "data/", "không có thư mục dữ liệu của túi", "the payload folder is missing")]

    # Manifest lines that point outside the bag: bagit refuses them while opening; name them.
    for m in sorted(bag_dir.glob("*manifest-*.txt")):
        for lineno, line in enumerate(m.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            entry = line.strip().split(None, 1)
            if len(entry) == 2 and not _safe_manifest_path(entry[1].lstrip("*")):
                problems.append(Problem("unsafe", m.name, f"dòng {lineno} trỏ ra ngoài túi: {entry[1]!r}",
                                        f"line {lineno} points outside the bag: {entry[1]!r}"))
    if problems:
        return problems

    with _quiet_bagit():
        try:
            bag = bagit.Bag(str(bag_dir))
        except bagit.BagError as exc:
            msg = str(exc).replace(str(bag_dir.resolve()) + os.sep, "").replace(str(bag_dir) + os.sep, "")
            return [Problem("invalid", "bagit.txt" if "bagit.txt" in msg else "manifest",
                            f"túi không mở được: {msg}", f"the bag cannot be opened: {msg}")]
        if not list(bag.manifest_files()):
            return [Problem("missing", "manifest-sha256.txt", "túi không có tệp manifest nào",
                            "the bag has no payload manifest")]

        # Payload and tag files listed but absent, or present but not listed.
        only_in_manifest, only_on_fs = bag.compare_manifests_with_fs()
        for rel in sorted(only_in_manifest):
            if rel not in skip:
                problems.append(Problem("missing", rel, "có trong manifest nhưng không có trong túi",
                                        "listed in the manifest but not in the bag"))
        for rel in sorted(only_on_fs):
            problems.append(Problem("extra", rel, "có trong túi nhưng không có trong manifest nào",
                                    "in the bag but in no manifest"))

        # Tag files outside data/ that no tag manifest lists.
        tag_listed = set(bag.tagfile_entries())
        manifest_algs = {m.name[len("manifest-"):-len(".txt")] for m in bag_dir.glob("manifest-*.txt")}
        tag_algs = {m.name[len("tagmanifest-"):-len(".txt")] for m in bag_dir.glob("tagmanifest-*.txt")}
        for p in _files(bag_dir):
            rel = p.relative_to(bag_dir).as_posix()
            if rel.startswith("data/") or rel == "bagit.txt" or re.fullmatch(r"tagmanifest-\w+\.txt", rel):
                continue
            if rel not in tag_listed and (tag_algs or not re.fullmatch(r"(bag-info|fetch|manifest-\w+)\.txt", rel)):
                problems.append(Problem("extra", rel, "tệp thừa, không có trong tagmanifest",
                                        "extra file, not in the tag manifest"))
        if tag_algs:
            for alg in sorted(manifest_algs - tag_algs):
                problems.append(Problem("missing", f"tagmanifest-{alg}.txt", "thiếu manifest của các tệp mô tả",
                                        "the tag manifest is missing"))

        # Fixity: every listed file that is there, hashed with every algorithm listed for it.
        missing = set(only_in_manifest) | skip
        for rel, expected in sorted(bag.entries.items()):
            if rel in missing:
                continue
            fs_rel = bag.normalized_filesystem_names.get(rel, rel)
            p = bag_dir / fs_rel
            if not p.is_file():
                continue
            got = _hashes(p, [a for a in expected if a in hashlib.algorithms_available])
            bad = sorted(a for a in got if got[a] != expected[a].lower())
            if bad:
                problems.append(Problem("changed", rel, f"nội dung đã bị thay đổi ({', '.join(bad)} không khớp)",
                                        f"contents changed ({', '.join(bad)} mismatch)"))

        # Payload-Oxum (bag-info.txt): only worth a line when nothing above explains it.
        oxum = bag.info.get("Payload-Oxum") if hasattr(bag, "info") else None
        if isinstance(oxum, list):
            oxum = oxum[0]
        if oxum and not problems and not skip:
            files = [bag_dir / f for f in bag.payload_files()]
            actual = f"{sum(f.stat().st_size for f in files)}.{len(files)}"
            if actual != oxum:
                problems.append(Problem("changed", "bag-info.txt", f"Payload-Oxum {oxum} nhưng thực tế {actual}",
                                        f"Payload-Oxum says {oxum} but the payload is {actual}"))

        # bagit's own validator must agree (it should: this is a cross-check).
        if not problems and not skip:
            try:
                bag.validate(processes=1, fast=False, completeness_only=False)
            except bagit.BagError as exc:
                msg = str(exc).replace(str(bag_dir.resolve()) + os.sep, "")
                problems.append(Problem("invalid", "bag", f"bagit từ chối túi: {msg}", f"bagit rejects the bag: {msg}"))
    if not problems and not skip:
        problems += _consistency(bag_dir)
    return problems


def _consistency(bag_dir: Path) -> list[Problem]:
    """A baocao bag: its files must also match the build's own manifest.json (a bag re-made
    around an edited report would pass BagIt but fail here)."""
    manifest_path = bag_dir / "data" / "report" / "manifest.json"
    if not manifest_path.is_file():
        return []
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError:
        return [Problem("invalid", "data/report/manifest.json", "không phải JSON hợp lệ", "not valid JSON")]
    problems = []
    for rel, digest in sorted(manifest.get("outputs", {}).items()):
        where = "data/" + payload_path_for_output(rel)
        p = bag_dir / where
        if not p.is_file():
            problems.append(Problem("inconsistent", where, "manifest.json của bản dựng ghi tệp này nhưng túi không có",
                                    "the build's manifest.json lists it but the bag lacks it"))
        elif _sha256(p) != digest:
            problems.append(Problem("inconsistent", where, "khác với mã băm trong manifest.json của bản dựng",
                                    "differs from the hash in the build's manifest.json"))
    for rel, digest in sorted(manifest.get("inputs", {}).items()):
        where = "data/" + payload_path_for_input(rel)
        p = bag_dir / where
        if not p.is_file() or _sha256(p) != digest:
            problems.append(Problem("inconsistent", where, "khác (hoặc thiếu) so với đầu vào ghi trong manifest.json",
                                    "differs from (or lacks) the input listed in manifest.json"))
    return problems


def verify(path: Path) -> list[Problem]:
    """Problems of a bag folder or zip (empty: intact)."""
    with opened_bag(Path(path)) as (bag_dir, problems):
        if bag_dir is None:
            return problems
        return problems + verify_bag_dir(bag_dir, skip=[p.path for p in problems])


# ---------------------------------------------------------------------------- reproduce
@dataclass
class ReproduceResult:
    year: int
    identical: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    tool_differences: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.different or self.missing or self.new)


def tool_differences(recorded: dict, current: dict) -> list[tuple[str, str | None, str | None]]:
    return [(k, recorded.get(k), current.get(k)) for k in sorted(set(recorded) | set(current))
            if recorded.get(k) != current.get(k)]


def reproduce(path: Path, *, keep: bool = False, out: Out = print) -> ReproduceResult:
    from .config import Project
    from .pipeline import build_year, tool_versions
    from .steps import sha256, step_labels
    from .render import get_renderer

    t0 = time.perf_counter()
    path = Path(path)
    with opened_bag(path) as (bag_dir, problems):
        if bag_dir is not None:
            problems = problems + verify_bag_dir(bag_dir, skip=[p.path for p in problems])
        if problems:
            for p in problems:
                out(p.line())
            raise BagDamagedError(path, problems)
        manifest = json.loads((bag_dir / "data" / "report" / "manifest.json").read_text(encoding="utf-8"))
        year = int(manifest["year"])
        renderer_name = manifest.get("parameters", {}).get("renderer") or manifest.get("tools", {}).get("renderer", "auto")
        renderer = get_renderer(renderer_name)  # exit 3 when that tool is not installed here
        result = ReproduceResult(year)
        result.tool_differences = tool_differences(manifest.get("tools", {}), tool_versions(renderer))
        if manifest.get("baocao_version") != __version__:
            result.tool_differences.insert(0, ("baocao", manifest.get("baocao_version"), __version__))
            result.tool_differences = list(dict((d[0], d) for d in result.tool_differences).values())
        from . import pipeline

        recorded_code = manifest.get("baocao_code")  # sha256 of the package's code, when recorded
        if recorded_code and hasattr(pipeline, "code_digest") and recorded_code != pipeline.code_digest():
            result.tool_differences.append(("baocao code (sha256)", recorded_code[:12], pipeline.code_digest()[:12]))
        if result.tool_differences:
            out("CẢNH BÁO / WARNING: túi được tạo bằng phiên bản công cụ khác với bản cài ở đây; kết quả có thể khác "
                "/ the bag was made with other tool versions than installed here; outputs may differ:")
            for tool, then, now in result.tool_differences:
                out(f"  {tool}: trong túi / in the bag {then or '(không có / none)'}, "
                    f"ở đây / here {now or '(không có / none)'}")

        tmp = Path(tempfile.mkdtemp(prefix="baocao-reproduce-"))
        try:
            root = tmp / "project"
            shutil.copytree(bag_dir / "data" / "source", root)
            project = Project(root, tmp / "build")
            if getattr(project, "multi_unit", False) and manifest.get("unit"):
                project = project.for_unit(manifest["unit"])  # a province's baocao.yml lists several wards
            out(f"Dựng lại năm {year} trong {tmp} / rebuilding {year} in {tmp} (renderer {renderer_name})")

            def progress(y, step, state, seconds):
                if state == "done":
                    out(f"[{y}] {step_labels().get(step, step)}: xong / done ({seconds:.1f} s)")

            build_year(project, year, renderer_name=renderer_name, progress=progress)
            rebuilt = project.build_dir(year)
            records = set(manifest.get("records", []))
            expected = {rel for rel in manifest.get("outputs", {}) if rel not in records}
            for rel in sorted(expected):
                new, old = rebuilt / rel, bag_dir / "data" / payload_path_for_output(rel)
                if not new.is_file():
                    result.missing.append(rel)
                    out(f"THIẾU / MISSING    {rel}")
                elif sha256(new) == sha256(old):
                    result.identical.append(rel)
                    out(f"giống / identical  {rel}")
                else:
                    result.different.append(rel)
                    out(f"KHÁC / DIFFERENT   {rel}")
            for p in _files(rebuilt):
                rel = p.relative_to(rebuilt).as_posix()
                if rel != "manifest.json" and rel not in expected and rel not in records and not _hidden(rel):
                    result.new.append(rel)
                    out(f"MỚI / NEW          {rel}")
        finally:
            if keep:
                out(f"Giữ thư mục dựng lại / kept the rebuild in: {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = time.perf_counter() - t0
    return result


# ---------------------------------------------------------------------------- CLI
def _project(args):
    from .config import Project

    project = Project.find(Path(args.project) if getattr(args, "project", None) else None,
                           Path(args.build_dir) if getattr(args, "build_dir", None) else None)
    unit = getattr(args, "unit", None)
    if isinstance(unit, list):
        unit = unit[0] if len(unit) == 1 else None
    return project.for_unit(unit) if unit and hasattr(project, "for_unit") else project


def cmd_archive(args) -> int:
    project = _project(args)
    year = args.year or project.unit.default_year
    print(f"[{year}] Đóng gói lưu trữ / archiving …")
    res = make_archive(project, year, Path(args.out) if args.out else None)
    print(f"[{year}] Túi BagIt / bag: {project.rel(res.bag_dir)} ({res.files} tệp / files, "
          f"{_human_size(res.payload_bytes)} dữ liệu / payload) trong {res.seconds:.1f} s")
    print("Tệp đã tạo / files produced:")
    print(f"  {project.rel(res.bag_dir)}/")
    print(f"  {project.rel(res.zip_path)} ({_human_size(res.zip_bytes)})")
    return 0


def cmd_verify(args) -> int:
    path = Path(args.path)
    t0 = time.perf_counter()
    problems = verify(path)
    if problems:
        for p in problems:
            print(p.line())
        raise BagDamagedError(path, problems)
    print(f"Nguyên vẹn / intact: {path} (sha256 + sha512 khớp mọi tệp / match every file; "
          f"{time.perf_counter() - t0:.1f} s)")
    return 0


def cmd_reproduce(args) -> int:
    res = reproduce(Path(args.path), keep=getattr(args, "keep", False))
    total = len(res.identical) + len(res.different) + len(res.missing) + len(res.new)
    if not res.ok:
        bad = res.different + res.missing + res.new
        raise ReproduceMismatchError(
            f"dựng lại năm {res.year}: {len(bad)}/{total} tệp khác bản lưu trữ: {', '.join(bad)}",
            f"rebuilding {res.year}: {len(bad)}/{total} file(s) differ from the archive: {', '.join(bad)}",
            hint_vi="so sánh phiên bản công cụ ở cảnh báo trên (nếu có); dùng --keep để giữ bản dựng lại mà xem",
            hint_en="compare the tool versions warned about above (if any); --keep keeps the rebuild to inspect",
        )
    print(f"Dựng lại khớp hoàn toàn / reproduced exactly: {len(res.identical)}/{total} tệp giống hệt / files "
          f"identical ({res.seconds:.1f} s)")
    return 0


def add_commands(subparsers) -> None:
    """Register ``archive``, ``verify`` and ``reproduce`` on the CLI's subparsers."""
    p = subparsers.add_parser("archive", help="pack a year's build and its sources into a BagIt bag and a .zip")
    p.add_argument("--year", type=int, metavar="Y", help="the year (default: baocao.yml default_year)")
    p.add_argument("--out", metavar="DIR", help="where the bag and zip go (default: <project>/archive/)")
    p.add_argument("--unit", metavar="ID", help="one unit of a multi-unit baocao.yml")
    p.set_defaults(func=cmd_archive)

    p = subparsers.add_parser("verify", help="check a bag folder or its .zip; one line per damaged file")
    p.add_argument("path", metavar="PATH", help="bag folder or .zip")
    p.set_defaults(func=cmd_verify)

    p = subparsers.add_parser("reproduce", help="rebuild an archived year from the bag's own sources and compare")
    p.add_argument("path", metavar="PATH", help="bag folder or .zip")
    p.add_argument("--keep", action="store_true", help="keep the temporary rebuild folder")
    p.set_defaults(func=cmd_reproduce)
