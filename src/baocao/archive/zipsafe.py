"""Opening what ``verify`` and ``reproduce`` are given, without trusting it.

A path must be a folder or a regular file: a FIFO, a device (``/dev/zero``) or a socket is
refused before it is opened. A zip is judged from its central directory before anything is
extracted: every entry's name (absolute, ``..``, drive letters, backslashes, NUL, duplicates),
its kind (links and special files are refused), its declared size, the total, the number of
entries and the compression ratio (:mod:`baocao.ziplimits`: the same limits as a workbook's).
Extraction then streams each entry with a byte budget, so a header that lies about its size
cannot make us write more than it declared.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import UsageError
from ..ziplimits import LIMITS, Limits, excesses
from .layout import human_size, writes_to
from .problems import Problem

_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1 << 20


# ---------------------------------------------------------------------------- paths
def check_path(path: Path) -> os.stat_result:
    """The path given to verify/reproduce exists and is a folder or a regular file. Only
    ``stat``: a FIFO or a device is never opened (opening a FIFO waits for a writer)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UsageError(
            f"không tìm thấy {path}",
            f"{path} does not exist",
            hint_vi="chỉ ra thư mục túi lưu trữ hoặc tệp .zip của nó",
            hint_en="give a bag folder or its .zip",
        ) from None
    except OSError as exc:
        raise UsageError(
            f"không đọc được {path}: {exc.strerror}",
            f"cannot read {path}: {exc.strerror}",
            hint_vi="chỉ ra thư mục túi lưu trữ hoặc tệp .zip của nó",
            hint_en="give a bag folder or its .zip",
        ) from None
    if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
        raise UsageError(
            f"{path} không phải thư mục hay tệp thường (là thiết bị, FIFO hoặc socket): không đọc",
            f"{path} is not a folder or a regular file (a device, FIFO or socket): not read",
            hint_vi="chỉ ra thư mục túi lưu trữ hoặc tệp .zip của nó",
            hint_en="give a bag folder or its .zip",
        )
    return st


# ---------------------------------------------------------------------------- entries
def _name_problem(info: zipfile.ZipInfo, seen: set[str]) -> tuple[str, str] | None:
    name = info.filename
    mode = info.external_attr >> 16
    if "\x00" in name:
        return ("tên tệp chứa ký tự NUL", "the name contains a NUL byte")
    if name.startswith("/") or name.startswith("\\") or _DRIVE.match(name):
        return ("đường dẫn tuyệt đối", "absolute path")
    if "\\" in name:
        return ("tên chứa dấu \\ (đường dẫn kiểu Windows)", "backslash in the name (a Windows path)")
    if ".." in name.split("/"):
        return ("đường dẫn có '..', trỏ ra ngoài thư mục", "path with '..', points outside the folder")
    if info.create_system == 3 and stat.S_ISLNK(mode):
        return ("liên kết tượng trưng (symlink)", "symbolic link")
    if info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        return ("không phải tệp thường", "not a regular file")
    if name in seen:
        return ("tên tệp xuất hiện hai lần trong zip", "the name appears twice in the zip")
    return None


def zip_entry_problems(zf: zipfile.ZipFile) -> list[Problem]:
    """Entries that must never be extracted: absolute, ``..``, drive letters, backslashes,
    links, special files, duplicates, NUL bytes. Checked before anything is written."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for info in zf.infolist():
        why = _name_problem(info, seen)
        if why:
            problems.append(Problem("unsafe", info.filename, *why))
        seen.add(info.filename)
    return problems


def zip_size_problems(zf: zipfile.ZipFile, limits: Limits = LIMITS) -> list[Problem]:
    """Entries too many, too large or too compressed, judged from the central directory alone
    (:mod:`baocao.ziplimits`)."""
    problems = []
    for e in excesses(zf, limits):
        if e.what == "entries":
            vi, en = f"{e.value} tệp, quá giới hạn {e.limit}", f"{e.value} entries, over the limit of {e.limit}"
        elif e.what == "entry":
            vi = f"giải nén ra {human_size(e.value)}, quá giới hạn {human_size(e.limit)} một tệp"
            en = f"extracts to {human_size(e.value)}, over the {human_size(e.limit)} limit per file"
        elif e.what == "ratio":
            vi = f"tỉ lệ nén {e.value}:1, quá giới hạn {e.limit}:1 (nghi là bom zip)"
            en = f"compression ratio {e.value}:1, over the {e.limit}:1 limit (a zip bomb?)"
        else:
            vi = f"tổng giải nén {human_size(e.value)}, quá giới hạn {human_size(e.limit)}"
            en = f"extracts to {human_size(e.value)} in all, over the {human_size(e.limit)} limit"
        problems.append(Problem("too-large", e.name, vi, en))
    return problems


# ---------------------------------------------------------------------------- extraction
def bag_prefix(names: list[str]) -> str:
    """The bag's folder in the zip: where the shallowest bagit.txt is ("" at the top)."""
    tags = sorted((n for n in names if n == "bagit.txt" or n.endswith("/bagit.txt")), key=lambda n: n.count("/"))
    return tags[0][: -len("bagit.txt")] if tags else ""


class EntryDamaged(Exception):
    """A zip entry whose data cannot be read (bad CRC, truncated, more than its header says)."""


def read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The entry's bytes in chunks, never more than its header declares (a lying header is
    damage, found after at most one chunk too many, never after the whole stream)."""
    budget = info.file_size
    try:
        with zf.open(info) as src:
            while chunk := src.read(_CHUNK):
                budget -= len(chunk)
                if budget < 0:
                    raise EntryDamaged("more data than the entry's header declares")
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, OSError) as exc:
        raise EntryDamaged(str(exc)) from exc


def _copy_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, rel: str) -> Problem | None:
    """Stream one entry to ``target``. Damaged zip data is a Problem; a failed write (disk
    full, permissions) is the environment's (an OSError, exit 3 through writes_to)."""
    with open(target, "xb") as dst:
        try:
            for chunk in read_entry(zf, info):
                dst.write(chunk)
        except EntryDamaged as exc:
            damage = str(exc)
        else:
            return None
    target.unlink(missing_ok=True)
    return Problem(
        "unreadable",
        rel,
        f"không giải nén được, dữ liệu trong zip bị hỏng ({damage})",
        f"cannot be extracted, its data in the zip is damaged ({damage})",
    )


def _extract(zf: zipfile.ZipFile, prefix: str, dest: Path) -> list[Problem]:
    problems = []
    root = dest.resolve()
    for info in zf.infolist():
        if info.is_dir() or not info.filename.startswith(prefix):
            continue
        rel = info.filename[len(prefix) :]
        target = (dest / rel).resolve()
        if root not in target.parents:  # belt and braces after zip_entry_problems
            problems.append(Problem("unsafe", info.filename, "trỏ ra ngoài thư mục", "points outside the folder"))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        problem = _copy_entry(zf, info, target, rel)
        if problem:
            problems.append(problem)
    return problems


def _room_for(zf: zipfile.ZipFile, folder: Path) -> None:
    need = sum(i.file_size for i in zf.infolist())
    free = shutil.disk_usage(folder).free
    if need > free:
        raise OSError(28, f"need {human_size(need)} to check the zip, {human_size(free)} free", str(folder))


@contextlib.contextmanager
def opened_bag(path: Path, limits: Limits = LIMITS) -> Iterator[tuple[Path | None, list[Problem]]]:
    """Yield (bag folder, problems). A zip is checked, then extracted to a temporary folder;
    unsafe zips yield (None, problems) and nothing is written."""
    path = Path(path)
    st = check_path(path)
    if stat.S_ISDIR(st.st_mode):
        yield path, []
        return
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        yield (
            None,
            [
                Problem(
                    "unreadable", path.name, f"không phải tệp zip đọc được ({exc})", f"not a readable zip file ({exc})"
                )
            ],
        )
        return
    with zf:
        problems = zip_entry_problems(zf) or zip_size_problems(zf, limits)
        if problems:
            yield None, problems
            return
        with writes_to(tempfile.gettempdir()):
            tmp = tempfile.mkdtemp(prefix="baocao-verify-")
        try:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
            prefix = bag_prefix(names)
            problems += [
                Problem(
                    "extra",
                    n,
                    "tệp thừa nằm ngoài thư mục túi trong zip",
                    "extra file outside the bag's folder in the zip",
                )
                for n in names
                if not n.startswith(prefix)
            ]
            dest = Path(tmp) / "bag"
            with writes_to(tmp):
                _room_for(zf, Path(tmp))
                dest.mkdir()
                problems += _extract(zf, prefix, dest)
            yield dest, problems
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
