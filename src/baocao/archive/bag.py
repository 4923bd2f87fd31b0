"""Writing a deterministic BagIt bag: bag-info, payload and tag manifests, and its zip."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import stat
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .. import __version__
from ..atomic import atomic_path
from .layout import BAGIT_VERSION, CHECKSUMS, README_NAME, SIGNATURE_NAME, bag_name, files, hashes, human_size, pdf_kind


@contextlib.contextmanager
def quiet_bagit() -> Iterator[None]:
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


def bag_info(project, year: int, meta, payload_bytes: int, manifest: dict | None = None) -> dict[str, str]:
    import bagit

    unit = project.unit
    address = ", ".join(x for x in (unit.ward, unit.city, unit.province) if x)
    return {
        "Source-Organization": unit.name,
        "Organization-Address": address,
        "External-Description": (
            f"Báo cáo tổng kết công tác Mặt trận năm {year}, phương hướng nhiệm vụ năm {year + 1} "
            f"của {unit.name} (HTML, {pdf_kind(manifest or {})[0]}), cùng số liệu gốc, số liệu đã xử lý, sổ tay tính toán "
            f"đã chạy, mẫu báo cáo và cấu hình để kiểm tra và dựng lại báo cáo."
        ),
        "External-Identifier": f"{meta.number}/{unit.symbol}",
        "Bag-Group-Identifier": bag_name(unit.id, year),
        "Bagging-Date": meta.date.isoformat(),
        "Bag-Size": human_size(payload_bytes),
        "Bag-Software-Agent": f"baocao {__version__} (bagit.py {bagit.VERSION})",
    }


def finish_bag(bag_dir: Path, info: dict[str, str], readme: str | None = None) -> None:
    """Make ``bag_dir`` (its files become the payload) a deterministic BagIt 1.0 bag.

    bagit.py writes BagIt-Version 0.97 and lists the tag manifest in directory order; we
    write ``bagit.txt`` as RFC 8493 (1.0), add README.txt as a tag file, and write sorted
    tag manifests, so the bag's bytes depend on its content alone.
    """
    import bagit

    with quiet_bagit():
        bagit.make_bag(str(bag_dir), dict(info), checksums=list(CHECKSUMS))
    (bag_dir / "bagit.txt").write_text(
        f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    if readme is not None:
        (bag_dir / README_NAME).write_text(readme, encoding="utf-8")
    for alg in CHECKSUMS:  # payload manifests: already sorted by bagit's _walk; sort anyway
        m = bag_dir / f"manifest-{alg}.txt"
        lines = sorted(m.read_text(encoding="utf-8").splitlines(), key=lambda line: line.split(None, 1)[1])
        m.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    write_tagmanifests(bag_dir)


def write_tagmanifests(bag_dir: Path, algorithms: Iterable[str] = CHECKSUMS) -> None:
    """Tag manifests of every tag file but the tag manifests and the signature (which signs them)."""
    tag_files = sorted(
        p.relative_to(bag_dir).as_posix()
        for p in files(bag_dir)
        if p.relative_to(bag_dir).parts[0] != "data"
        and not p.name.startswith("tagmanifest-")
        and p.name != SIGNATURE_NAME
    )
    digests = {rel: hashes(bag_dir / rel, algorithms) for rel in tag_files}
    for alg in algorithms:
        text = "".join(f"{digests[rel][alg]}  {rel}\n" for rel in tag_files)
        (bag_dir / f"tagmanifest-{alg}.txt").write_text(text, encoding="utf-8")


def write_zip(bag_dir: Path, zip_path: Path, date: dt.date) -> Path:
    """Zip the bag under one top folder, entries sorted, fixed times and modes (deterministic)."""
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    with (
        atomic_path(zip_path) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
    ):
        for p in files(bag_dir):
            info = zipfile.ZipInfo(f"{bag_dir.name}/{p.relative_to(bag_dir).as_posix()}", date_time=stamp)
            info.create_system = 3  # Unix, so the mode below is read as such
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, p.read_bytes(), compresslevel=9)
    return zip_path
