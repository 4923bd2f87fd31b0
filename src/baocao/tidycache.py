"""A content-addressed cache of each year's tidy tables, so that a year's comparisons read the
earlier years instead of cleaning them again from their raw files.

An entry lives in ``<build root>/.cache/tidy/<year>-<key>/``: the tidy tables as the clean step
writes them (CSV, deterministic) and ``entry.json`` with the key and the SHA-256 of each file.
The key is the hash of everything cleaning a year depends on: that year's data files and
metadata (not its narrative), ``data/reference/``, the unit's configuration, the package's code
and the library versions (the clean step's declared inputs, from the step table). So an entry
is never stale: when any of these changes, the key does, and the year is cleaned again.

Safe by construction:

- the tables a comparison uses always come back through the same CSV round trip, whether the
  entry was there or has just been made, so a cold and a warm cache give the same bytes;
- an entry is written in a temporary folder and renamed into place whole (atomic); when two
  builds make the same entry at once, the first rename wins and the other is dropped;
- an entry that does not verify (a file missing, changed or unreadable, ``entry.json`` damaged)
  is ignored, moved aside and made again;
- a year that cannot be cleaned is never cached (its build says why, every time).

The clean step stores its own year's tables too (:func:`store_from`), so a later year's build
finds them. ``--force`` runs every step but still uses verified entries (they are content
addressed); removing ``build/.cache/`` is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from .config import Project

FORMAT = 1
KEEP_PER_YEAR = 4  # entries kept for one year of one unit (older data, other branches)
ENTRY = "entry.json"


def cache_dir(project: Project) -> Path:
    return project.build_root / ".cache" / "tidy"


def cache_key(project: Project, year: int) -> str:
    """What cleaning ``year`` of ``project`` depends on: the clean step's sources, hashed."""
    from . import steps

    parts = {
        "format": FORMAT,
        "year": year,
        "unit": project.unit_fingerprint(),
        "code": steps.code_digest(),
        "raw": steps.data_files(project, year),
    }
    for source in steps.step("clean").reads:
        if source != "raw":
            parts[source] = steps.read_source(source, project, year, project.build_dir(year), None)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def cleaned_tables(project: Project, year: int) -> dict:
    """``clean_year(project, year).tables``, read from the cache when a verified entry is there.

    Raises what :func:`baocao.clean.clean_year` raises when the year cannot be cleaned."""
    key = cache_key(project, year)
    entry = cache_dir(project) / f"{year}-{key}"
    tables = _load(project, entry, key)
    if tables is not None:
        return tables
    from .clean import clean_year, write_clean

    result = clean_year(project, year)
    stored = _store(project, year, key, lambda folder: write_clean(result, folder))
    if stored is not None:
        tables = _load(project, stored, key)
        if tables is not None:
            return tables
    # the cache cannot be written here (read-only, full): the same round trip, in a scratch folder
    with tempfile.TemporaryDirectory() as tmp:
        write_clean(result, Path(tmp))
        from .clean import read_clean

        return read_clean(Path(tmp), project)


def store_from(project: Project, year: int, data_dir: Path) -> None:
    """Put the tidy tables the clean step just wrote (``data_dir``) into the cache."""
    key = cache_key(project, year)
    entry = cache_dir(project) / f"{year}-{key}"
    if _verified(project, entry, key) is not None:
        return

    def copy(folder: Path) -> None:
        for name in project.reference.tables:
            shutil.copyfile(data_dir / f"{name}.csv", folder / f"{name}.csv")

    _store(project, year, key, copy)


# ---------------------------------------------------------------------------- entries
def _verified(project: Project, entry: Path, key: str) -> dict[str, str] | None:
    """The entry's files and digests when every one is there and as recorded; else None."""
    try:
        meta = json.loads((entry / ENTRY).read_text(encoding="utf-8"))
        files = meta["files"]
        if meta.get("key") != key or meta.get("format") != FORMAT or not isinstance(files, dict):
            return None
        if set(files) != {f"{name}.csv" for name in project.reference.tables}:
            return None
        for name, digest in files.items():
            if hashlib.sha256((entry / name).read_bytes()).hexdigest() != digest:
                return None
        return files
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _load(project: Project, entry: Path, key: str) -> dict | None:
    if not entry.is_dir():
        return None
    if _verified(project, entry, key) is not None:
        from .clean import read_clean

        try:
            return read_clean(entry, project)
        except Exception:  # noqa: BLE001 - an unreadable entry is a miss, made again
            pass
    _discard(entry)
    return None


def _store(project: Project, year: int, key: str, fill) -> Path | None:
    """Fill a temporary folder, record its digests, rename it into place; the entry, or None."""
    root = cache_dir(project)
    final = root / f"{year}-{key}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        _sweep(root)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{year}-", dir=root))
    except OSError:
        return None
    try:
        fill(tmp)
        files = {
            f"{name}.csv": hashlib.sha256((tmp / f"{name}.csv").read_bytes()).hexdigest()
            for name in project.reference.tables
        }
        for extra in [p for p in tmp.iterdir() if p.name not in files]:
            extra.unlink()  # write_clean's rejects, warnings, accounting: not part of an entry
        (tmp / ENTRY).write_text(
            json.dumps({"format": FORMAT, "key": key, "year": year, "files": files}, indent=1, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        for path in tmp.iterdir():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, final)
        except OSError:  # another build made the same entry first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
            return final
        _prune(root, year, keep=final)
        return final
    except OSError:
        return None
    finally:
        if tmp.exists():  # not renamed into place: a failed or lost race
            shutil.rmtree(tmp, ignore_errors=True)


def _discard(entry: Path) -> None:
    """Move a bad or old entry aside (one atomic rename), then delete it."""
    aside = entry.parent / f".trash-{uuid.uuid4().hex}"
    try:
        os.rename(entry, aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def _sweep(root: Path, older_than: float = 3600) -> None:
    """Temporary and trash folders left by killed runs (an hour old: no live build owns them)."""
    now = time.time()
    for path in root.glob(".*"):
        try:
            if now - path.stat().st_mtime > older_than:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def _prune(root: Path, year: int, keep: Path) -> None:
    entries = []
    for path in root.glob(f"{year}-*"):
        with contextlib.suppress(OSError):  # removed meanwhile by another build
            entries.append((path.stat().st_mtime, path))
    entries.sort(reverse=True)
    for _mtime, path in entries[KEEP_PER_YEAR:]:
        if path != keep:
            _discard(path)
