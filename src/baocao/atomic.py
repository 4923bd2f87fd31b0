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


def is_temporary(path: Path) -> bool:
    """A temporary of :func:`atomic_path` (a killed run may leave one): never an input."""
    return Path(path).name.startswith(TMP_PREFIX)


def sweep_temporaries(folder: Path) -> list[Path]:
    """Remove temporaries left by a killed run below ``folder``; return what was removed."""
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.exists():
        return removed
    for path in sorted(folder.rglob(f"{TMP_PREFIX}*")):
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(path)
    return removed


LOCK_KINDS = ("build", "archive")  # what takes a year's lock


def year_lock(project, year: int, wait: bool, command: str = "build"):
    """The year's build lock (held): one build (or archive) of a year at a time. ``command``
    ("build" or "archive") is what takes it: recorded beside the lock with the command line,
    process id and start time, so that the one refused can say what holds it.

    Raises :class:`~baocao.errors.BuildLockedError` (exit 3) when another holds it, unless
    ``wait``. The caller releases it."""
    from filelock import FileLock, Timeout

    from .errors import BuildLockedError

    project.build_root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(project.build_root / f".{year}.lock"))
    holder_file = project.build_root / f".{year}.lock.json"
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        holder_vi, holder_en = _holder(holder_file, year)
        waits = command == "build"  # `build --wait` queues; `archive` is run again
        raise BuildLockedError(
            f"năm {year} đang bận: {holder_vi}",
            f"{year} is busy: {holder_en}",
            hint_vi="đợi lệnh kia chạy xong, " + ("hoặc dùng --wait để tự đợi" if waits else "rồi chạy lại"),
            hint_en="wait for it to finish, " + ("or pass --wait to queue behind it" if waits else "then run again"),
        ) from None
    with contextlib.suppress(OSError):  # the record only explains a refusal; the lock is what counts
        write_json(holder_file, _holder_record(command))
    return lock


def _holder_record(command: str) -> dict:
    import datetime as dt
    import sys

    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    from_cli = argv0.stem == "baocao" or argv0.parent.name == "baocao"  # the script, or python -m baocao
    return {
        "command": command,
        "command_line": " ".join(["baocao", *sys.argv[1:]]) if from_cli else None,
        "pid": os.getpid(),
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _holder(path: Path, year: int) -> tuple[str, str]:
    """What holds the year's lock, as its record says ("another build of 2023 is running: …")."""
    try:
        if path.stat().st_size > 64 << 10:
            raise ValueError("not a record baocao writes")
        record = json.loads(path.read_text(encoding="utf-8"))
        kind = record["command"] if record.get("command") in LOCK_KINDS else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        record, kind = {}, None
    if kind is None:
        return (
            f"một lệnh baocao khác (build hoặc archive) của năm {year} đang chạy",
            f"another baocao command (a build or an archive) of {year} is running",
        )
    if kind == "build":
        vi, en = f"một bản dựng khác của năm {year} đang chạy", f"another build of {year} is running"
    else:
        vi, en = f"lệnh lưu trữ (archive) năm {year} đang chạy", f"an archive of {year} is running"
    details = [f"'{record['command_line']}'"] if isinstance(record.get("command_line"), str) else []
    if isinstance(record.get("pid"), int):
        details.append(f"pid {record['pid']}")
    started = record.get("started") if isinstance(record.get("started"), str) else None
    vi_details = details + ([f"bắt đầu lúc {started}"] if started else [])
    en_details = details + ([f"started {started}"] if started else [])
    return (
        f"{vi} ({', '.join(vi_details)})" if vi_details else vi,
        f"{en} ({', '.join(en_details)})" if en_details else en,
    )
