"""Atomic file output and the per-year build lock (:func:`year_lock`).

Every output goes to a temporary file in the same folder, is fsynced, and is moved into place
with ``os.replace`` (atomic on one filesystem), so a killed build never leaves a half-written
file at a final path. Stale temporaries from a killed run are swept at the next start.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

TMP_PREFIX = ".baocao-tmp-"


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``final``; on success move it into place.

    For tools that insist on writing a path themselves (matplotlib, papermill).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, final)
        _fsync_dir(final.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(final: Path, data: bytes) -> Path:
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)
    return Path(final)


def write_text(final: Path, text: str) -> Path:
    # newline="\n" everywhere: outputs are byte-identical across platforms.
    return write_bytes(final, text.encode("utf-8"))


def write_json(final: Path, obj: object) -> Path:
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return write_text(final, text)


def sweep_temporaries(folder: Path) -> list[Path]:
    """Remove temporaries left by a killed run below ``folder``; return what was removed."""
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.exists():
        return removed
    for path in sorted(folder.rglob(f"{TMP_PREFIX}*")):
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


def year_lock(project, year: int, wait: bool):
    """The year's build lock (held): one build (or archive) of a year at a time.

    Raises :class:`~baocao.errors.BuildLockedError` (exit 3) when another holds it, unless
    ``wait``. The caller releases it."""
    from filelock import FileLock, Timeout

    from .errors import BuildLockedError

    project.build_root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(project.build_root / f".{year}.lock"))
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise BuildLockedError(
            f"một lệnh build khác đang chạy cho năm {year}",
            f"another build of {year} is running",
            hint_vi="đợi lệnh kia chạy xong, hoặc dùng --wait để tự đợi",
            hint_en="wait for it to finish, or pass --wait to queue behind it",
        ) from None
    return lock
