"""Where things live in a bag, and the small file helpers every part of the archive uses.

Payload layout (under ``data/``)::

    report/                 bao-cao-<year>.html, .pdf, .qmd, metrics.json, figures/, manifest.json
    processed/              build/<year>/data/* (tidy tables, rejects.csv, …)
    notebooks/executed/     the executed notebooks (the build's readable record)
    source/                 a project tree: baocao.yml, _quarto.yml, requirements.lock,
                            data/raw/<years read>/, data/reference/, notebooks/, report/
    ro-crate-metadata.json  RO-Crate provenance

Tag files (outside ``data/``): ``bagit.txt``, ``bag-info.txt``, the manifests, ``README.txt``
and, in a signed bag, ``baocao-signature.txt`` (see :mod:`.signing`).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath

from ..errors import EnvironmentWriteError

CHECKSUMS = ("sha256", "sha512")
BAGIT_VERSION = "1.0"  # RFC 8493
README_NAME = "README.txt"
CRATE_NAME = "ro-crate-metadata.json"
#: The signature tag file. It signs the tag manifests, so no tag manifest can list it.
SIGNATURE_NAME = "baocao-signature.txt"
#: The build's own manifest, inside the payload.
BUILD_MANIFEST = "data/report/manifest.json"
RECORDS_PREFIX = "notebooks/"

Out = Callable[[str], None]

_DRIVE = re.compile(r"^[A-Za-z]:")


def payload_path_for_output(rel: str) -> str:
    """Where an output of build/<year>/ (``rel``) lives in the bag, relative to ``data/``."""
    if rel.startswith("data/"):
        return "processed/" + rel[len("data/") :]
    if rel.startswith(RECORDS_PREFIX):
        return "notebooks/executed/" + rel[len(RECORDS_PREFIX) :]
    return "report/" + rel


def payload_path_for_input(rel: str) -> str:
    """Where an input of the build (project-relative ``rel``) lives in the bag."""
    return "source/" + rel


def pdf_kind(manifest: dict) -> tuple[str, str]:
    """How the build's PDF may be described, from what its manifest records: "PDF/A-2b" only
    where the renderer wrote that profile (a manifest from before the record: the pandoc
    backend always did)."""
    renderer = manifest.get("renderer")
    if isinstance(renderer, dict):
        standard = renderer.get("pdf_standard")
    else:
        standard = "a-2b" if manifest.get("parameters", {}).get("renderer", "pandoc") == "pandoc" else None
    if standard:
        label = f"PDF/{str(standard)[0].upper()}{str(standard)[1:]}"
        return label, label
    return "PDF thường, không phải PDF/A", "a plain PDF, not PDF/A"


def bag_name(unit_id: str, year: int) -> str:
    return f"{unit_id}-{year}"


def safe_relpath(rel: object) -> bool:
    """A relative POSIX path that cannot leave the folder it is joined to: no absolute path,
    no ``..``, no drive letter, no backslash, no ``~``, no NUL, not empty."""
    if not isinstance(rel, str) or not rel or "\x00" in rel or "\\" in rel:
        return False
    # PurePosixPath(rel).is_absolute() and its .parts, without building a path: a bag's
    # manifests list every file, and the intake checks 100 bags (benchmarks/README.md)
    return not (rel.startswith(("/", "~")) or ".." in rel.split("/") or _DRIVE.match(rel))


def inside(base: Path, rel: object) -> bool:
    """``rel`` is a safe relative path and ``base / rel`` resolves inside ``base``."""
    if not safe_relpath(rel):
        return False
    root = Path(base).resolve()
    target = (root / str(rel)).resolve()
    return target == root or root in target.parents


def hashes(path: Path, algorithms: Iterable[str] = CHECKSUMS) -> dict[str, str]:
    hs = {alg: hashlib.new(alg) for alg in algorithms}
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            for h in hs.values():
                h.update(chunk)
    return {alg: h.hexdigest() for alg, h in hs.items()}


def sha256(path: Path) -> str:
    return hashes(path, ("sha256",))["sha256"]


def files(folder: Path) -> list[Path]:
    """Regular files below ``folder``, sorted by their relative POSIX path."""
    found = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def hidden(rel: str) -> bool:
    """Build bookkeeping (``.baocao-state.json``, …): not an output, as in write_manifest."""
    return PurePosixPath(rel).name.startswith(".")


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{int(n)} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


@contextlib.contextmanager
def writes_to(path: Path | str) -> Iterator[None]:
    """Writing below ``path``: an OSError (disk full, permissions, read-only disk, a path that
    is not a folder) becomes one bilingual message and exit 3, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise EnvironmentWriteError.from_oserror(exc, path) from exc
