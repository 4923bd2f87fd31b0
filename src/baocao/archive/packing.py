"""``baocao archive``: a year's build and everything it read, as a BagIt bag and its zip.

The build must still match its own ``manifest.json`` and the sources must be the ones it read.
The bag is made in a staging folder next to where it goes, verified, optionally signed, zipped,
and only then moved into place; a killed run leaves the previous bag (repaired by
:func:`recover_out`). Two archives of one build are byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..atomic import year_lock
from ..config import BuildFiles
from ..errors import BagDamagedError, BuildChangedError, StaleBuildError, UsageError
from ..narrative import load_meta
from ..steps import input_files
from .bag import bag_info, finish_bag, write_zip
from .crate import write_crate
from .layout import (
    Out,
    bag_name,
    files,
    hidden,
    inside,
    payload_path_for_input,
    payload_path_for_output,
    safe_relpath,
    sha256,
    writes_to,
)
from .readme import readme_text
from .signedpdf import signature_lines, signed_name, signed_report
from .signing import KeyFile, sign_bag
from .verification import verify_bag_dir


@dataclass
class ArchiveResult:
    bag_dir: Path
    zip_path: Path
    files: int
    payload_bytes: int
    zip_bytes: int
    seconds: float = 0.0


# ---------------------------------------------------------------------------- the build
def _read_manifest(project, year: int) -> dict:
    manifest_path = project.manifest_path(year)
    rebuild = dict(hint_vi=f"dựng lại: 'baocao build --year {year}'", hint_en=f"rebuild: 'baocao build --year {year}'")
    if not manifest_path.is_file():
        raise UsageError(
            f"chưa có bản dựng năm {year} ({project.rel(manifest_path)} không tồn tại)",
            f"there is no build of {year} ({project.rel(manifest_path)} does not exist)",
            hint_vi=f"chạy 'baocao build --year {year}' trước, rồi lưu trữ",
            hint_en=f"run 'baocao build --year {year}' first, then archive",
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BuildChangedError(
            f"{project.rel(manifest_path)} không phải JSON hợp lệ",
            f"{project.rel(manifest_path)} is not valid JSON",
            **rebuild,
        ) from None
    if not isinstance(manifest, dict) or manifest.get("year") != year:
        found = manifest.get("year") if isinstance(manifest, dict) else None
        raise BuildChangedError(
            f"{project.rel(manifest_path)} ghi năm {found}, không phải {year}",
            f"{project.rel(manifest_path)} is for {found}, not {year}",
            **rebuild,
        )
    listed = list(manifest.get("outputs", {})) + list(manifest.get("inputs", {}))
    outside = [rel for rel in listed if not safe_relpath(rel)]
    if outside:  # never copy a file from outside the project into a bag
        raise BuildChangedError(
            f"{project.rel(manifest_path)} ghi đường dẫn ra ngoài dự án: {outside[0]!r}",
            f"{project.rel(manifest_path)} lists a path outside the project: {outside[0]!r}",
            **rebuild,
        )
    return manifest


def _changed_outputs(project, year: int, manifest: dict) -> list[str]:
    """Outputs: exactly what the manifest lists, byte for byte."""
    build_dir = project.build_dir(year)
    changed: list[str] = []
    listed = manifest.get("outputs", {})
    for rel, digest in sorted(listed.items()):
        p = build_dir / rel
        if not p.is_file():
            changed.append(f"{project.rel(p)} (thiếu / missing)")
        elif sha256(p) != digest:
            changed.append(f"{project.rel(p)} (đã bị sửa / modified)")
    for p in files(build_dir):
        rel = p.relative_to(build_dir).as_posix()
        if rel != BuildFiles.MANIFEST and rel not in listed and not hidden(rel) and rel != signed_name(year):
            changed.append(f"{project.rel(p)} (không có trong manifest / not in the manifest)")
    return changed


def _stale_inputs(project, year: int, manifest: dict) -> list[str]:
    """Inputs: the sources on disk now are the ones the build read."""
    if project.unit_id and project.unit.is_aggregate:  # a city's: its own files and its members' bags
        from ..aggregate.inputs import input_files as aggregate_inputs

        sources = aggregate_inputs(project, year)
    else:
        sources = input_files(project, year)
    now = {p.relative_to(project.root).as_posix(): p for p in sources}
    recorded = manifest.get("inputs", {})
    return sorted(
        [f"{rel} (mới / new)" for rel in now if rel not in recorded]
        + [f"{rel} (đã xóa / removed)" for rel in recorded if rel not in now]
        + [f"{rel} (đã sửa / modified)" for rel, p in now.items() if rel in recorded and sha256(p) != recorded[rel]]
    )


def check_build(project, year: int) -> dict:
    """The build's manifest, after checking that build/<year>/ and the sources still match it."""
    from ..pipeline import verify_outputs

    manifest = _read_manifest(project, year)
    changed = _changed_outputs(project, year, manifest)
    # and what each step recorded when it ran: an edited metrics.json or tidy table whose
    # manifest was rewritten to match is still not what the build made
    changed += [
        f"{rel} (không phải tệp bước dựng đã ghi / not what its build step wrote)"
        for rel in verify_outputs(project, year)
        if not any(c.startswith(rel) for c in changed)
    ]
    if changed:
        listed = "; ".join(changed)
        raise BuildChangedError(
            f"thư mục bản dựng năm {year} không khớp manifest.json của nó: {listed}",
            f"the {year} build folder no longer matches its manifest.json: {listed}",
            hint_vi=f"dựng lại bằng 'baocao build --year {year}' rồi lưu trữ",
            hint_en=f"rebuild with 'baocao build --year {year}', then archive",
        )
    stale = _stale_inputs(project, year, manifest)
    if stale:
        listed = "; ".join(stale)
        raise StaleBuildError(
            f"số liệu hoặc cấu hình đã thay đổi sau lần dựng năm {year}: {listed}",
            f"inputs changed since the {year} build: {listed}",
            hint_vi=f"dựng lại bằng 'baocao build --year {year}' để bản lưu trữ khớp với số liệu",
            hint_en=f"rebuild with 'baocao build --year {year}' so the archive matches its data",
        )
    return manifest


# ---------------------------------------------------------------------------- the bag
def recover_out(out_dir: Path, name: str) -> None:
    """After a killed archive run: restore the last good bag, drop half-made ones."""
    final, old = out_dir / name, out_dir / f".{name}.old"
    if old.exists() and not final.exists():
        os.replace(old, final)
    elif old.exists():
        shutil.rmtree(old, ignore_errors=True)
    for stale in out_dir.glob(f".{name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _refuse_out_inside_sources(project, out_dir: Path) -> None:
    for inner in (project.root / "data", project.notebooks_dir, project.report_dir, project.build_root):
        if out_dir == inner.resolve() or inner.resolve() in out_dir.parents:
            raise UsageError(
                f"không thể ghi bản lưu trữ vào {project.rel(out_dir)} (nằm trong {project.rel(inner)})",
                f"cannot write the archive into {project.rel(out_dir)} (it is inside {project.rel(inner)})",
                hint_vi="chọn thư mục khác với --out, ví dụ archive/",
                hint_en="choose another --out, e.g. archive/",
            )


def _copy_payload(project, year: int, manifest: dict, payload: Path) -> None:
    build_dir = project.build_dir(year)
    copies: list[tuple[Path, str]] = [(build_dir / BuildFiles.MANIFEST, f"report/{BuildFiles.MANIFEST}")]
    copies += [(build_dir / rel, payload_path_for_output(rel)) for rel in sorted(manifest["outputs"])]
    copies += [(project.root / rel, payload_path_for_input(rel)) for rel in sorted(manifest["inputs"])]
    signed = signed_report(project, year)
    if signed is not None:  # beside the built report; not an output of the build (reproduce ignores it)
        copies.append((signed, payload_path_for_output(signed.name)))
    for src, rel in copies:
        if not inside(payload, rel):  # pragma: no cover - _read_manifest refused such paths
            raise BuildChangedError(f"đường dẫn không an toàn {rel!r}", f"unsafe path {rel!r}")
        dest = payload / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)


def _make_bag(project, year: int, manifest: dict, meta, bag_dir: Path, key: KeyFile | None, out: Out) -> int:
    """Fill ``bag_dir`` and make it a verified (and signed) bag; returns the payload's size."""
    bag_dir.mkdir()
    _copy_payload(project, year, manifest, bag_dir)  # make_bag moves everything here into data/
    write_crate(bag_dir, manifest, project, meta)
    payload_bytes = sum(p.stat().st_size for p in files(bag_dir))
    info = bag_info(project, year, meta, payload_bytes, manifest)
    signatures = signature_lines(bag_dir / payload_path_for_output(signed_name(year)))  # not yet in data/
    finish_bag(bag_dir, info, readme_text(project, year, meta, manifest, bag_dir.name, signatures))
    if key is not None:
        sign_bag(bag_dir, key)
    problems = verify_bag_dir(bag_dir)
    if problems:  # pragma: no cover - would be a bug in this package
        for problem in problems:
            out(problem.line())
        raise BagDamagedError(bag_dir, problems)
    return payload_bytes


def _promote(staging: Path, out_dir: Path, name: str) -> tuple[Path, Path]:
    """Bag folder, then zip. A kill between the folder's two renames is repaired by
    recover_out; one between folder and zip leaves the previous (valid) zip: each verifies
    on its own, and the next archive run replaces it."""
    final, old = out_dir / name, out_dir / f".{name}.old"
    if final.exists():
        os.replace(final, old)
    os.replace(staging / name, final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
    zip_path = out_dir / f"{name}.zip"
    os.replace(staging / f"{name}.zip", zip_path)
    return final, zip_path


def make_archive(
    project, year: int, out_dir: Path | None = None, *, out: Out = print, key: KeyFile | None = None
) -> ArchiveResult:
    """Bag build/<year>/ with its sources into ``out_dir`` (default <project>/archive/),
    signed with ``key`` when given (see :mod:`.signing`)."""
    t0 = time.perf_counter()
    out_dir = (Path(out_dir) if out_dir else project.root / "archive").resolve()
    _refuse_out_inside_sources(project, out_dir)
    with writes_to(project.build_root):
        # no build of this year may swap build/<year> meanwhile
        lock = year_lock(project, year, wait=False, command="archive")
    try:
        manifest = check_build(project, year)
        meta = load_meta(project, year)
        name = bag_name(project.unit.id, year)
        with writes_to(out_dir):
            out_dir.mkdir(parents=True, exist_ok=True)
            recover_out(out_dir, name)
            staging = Path(tempfile.mkdtemp(prefix=f".{name}.staging-", dir=out_dir))
            try:
                payload_bytes = _make_bag(project, year, manifest, meta, staging / name, key, out)
                write_zip(staging / name, staging / f"{name}.zip", meta.date)
                count = len(files(staging / name))
                final, zip_path = _promote(staging, out_dir, name)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    finally:
        lock.release()
    return ArchiveResult(final, zip_path, count, payload_bytes, zip_path.stat().st_size, time.perf_counter() - t0)
