"""Is a bag intact? Each check below names the files it finds wrong, one Problem per file.

The gates run first and stop at the first that fails (there is no point hashing a bag with a
link in it or no ``bagit.txt``); then BagIt completeness and fixity; then, for a bag nothing
is wrong with, bagit's own validator as a cross-check and the build's ``manifest.json``
(a bag re-made around an edited report passes BagIt but not this).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .bag import quiet_bagit
from .layout import (
    BUILD_MANIFEST,
    SIGNATURE_NAME,
    files,
    hashes,
    inside,
    payload_path_for_input,
    payload_path_for_output,
    safe_relpath,
    sha256,
)
from .problems import Problem, digests_differ
from .signedpdf import bag_signatures
from .signing import KeyFile, SignatureStatus, check_signature
from .trust import CodeDifference, code_differences, installed_project
from .zipsafe import opened_bag

_TAG_MANIFEST = re.compile(r"tagmanifest-\w+\.txt")
_UNLISTED_OK = re.compile(r"(bag-info|fetch|manifest-\w+)\.txt")


# ---------------------------------------------------------------------------- gates
def _special_files(bag_dir: Path) -> list[Problem]:
    """Links, FIFOs, devices, sockets: never followed, hashed or opened."""
    problems = []
    for p in sorted(bag_dir.rglob("*")):
        mode = p.lstat().st_mode
        if stat.S_ISLNK(mode):
            problems.append(
                Problem(
                    "unsafe",
                    p.relative_to(bag_dir).as_posix(),
                    "liên kết tượng trưng (symlink) trong túi",
                    "symbolic link inside the bag",
                )
            )
        elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            problems.append(
                Problem(
                    "unsafe",
                    p.relative_to(bag_dir).as_posix(),
                    "không phải tệp thường (FIFO, thiết bị hay socket)",
                    "not a regular file (a FIFO, device or socket)",
                )
            )
    return problems


def _skeleton(bag_dir: Path) -> list[Problem]:
    if not (bag_dir / "bagit.txt").is_file():
        return [
            Problem(
                "missing",
                "bagit.txt",
                "không có: đây không phải túi BagIt, hoặc tệp đã bị xóa",
                "not there: this is not a BagIt bag, or the file was deleted",
            )
        ]
    if not (bag_dir / "data").is_dir():
        return [Problem("missing", "data/", "không có thư mục dữ liệu của túi", "the payload folder is missing")]
    return []


def _unsafe_manifest_lines(bag_dir: Path) -> list[Problem]:
    """Manifest lines that point outside the bag: bagit refuses them while opening; name them."""
    problems = []
    for m in sorted(bag_dir.glob("*manifest-*.txt")):
        for lineno, line in enumerate(m.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            entry = line.strip().split(None, 1)
            if len(entry) == 2 and not safe_relpath(entry[1].lstrip("*")):
                problems.append(
                    Problem(
                        "unsafe",
                        m.name,
                        f"dòng {lineno} trỏ ra ngoài túi: {entry[1]!r}",
                        f"line {lineno} points outside the bag: {entry[1]!r}",
                    )
                )
    return problems


def _open(bag_dir: Path):
    """(bagit.Bag, []) or (None, [why it cannot be opened])."""
    import bagit

    try:
        bag = bagit.Bag(str(bag_dir))
    except bagit.BagError as exc:
        msg = str(exc).replace(str(bag_dir.resolve()) + os.sep, "").replace(str(bag_dir) + os.sep, "")
        return None, [
            Problem(
                "invalid",
                "bagit.txt" if "bagit.txt" in msg else "manifest",
                f"túi không mở được: {msg}",
                f"the bag cannot be opened: {msg}",
            )
        ]
    if not list(bag.manifest_files()):
        return None, [
            Problem(
                "missing", "manifest-sha256.txt", "túi không có tệp manifest nào", "the bag has no payload manifest"
            )
        ]
    return bag, []


# ---------------------------------------------------------------------------- BagIt
def _completeness(bag, skip: set[str]) -> tuple[list[Problem], set[str]]:
    """Payload and tag files listed but absent, or present but not listed; and the absent set."""
    only_in_manifest, only_on_fs = bag.compare_manifests_with_fs()
    problems = [
        Problem(
            "missing", rel, "có trong manifest nhưng không có trong túi", "listed in the manifest but not in the bag"
        )
        for rel in sorted(only_in_manifest)
        if rel not in skip
    ]
    problems += [
        Problem("extra", rel, "có trong túi nhưng không có trong manifest nào", "in the bag but in no manifest")
        for rel in sorted(only_on_fs)
    ]
    return problems, set(only_in_manifest) | skip


def _unlisted_tag_files(bag, bag_dir: Path) -> list[Problem]:
    """Tag files outside data/ that no tag manifest lists (the signature signs the tag
    manifests, so it is the one tag file they cannot list)."""
    tag_listed = set(bag.tagfile_entries())
    has_tagmanifest = any(bag_dir.glob("tagmanifest-*.txt"))
    problems = []
    for p in files(bag_dir):
        rel = p.relative_to(bag_dir).as_posix()
        if rel.startswith("data/") or rel in ("bagit.txt", SIGNATURE_NAME) or _TAG_MANIFEST.fullmatch(rel):
            continue
        if rel not in tag_listed and (has_tagmanifest or not _UNLISTED_OK.fullmatch(rel)):
            problems.append(
                Problem("extra", rel, "tệp thừa, không có trong tagmanifest", "extra file, not in the tag manifest")
            )
    return problems


def _missing_tagmanifests(bag_dir: Path) -> list[Problem]:
    manifest_algs = {m.name[len("manifest-") : -len(".txt")] for m in bag_dir.glob("manifest-*.txt")}
    tag_algs = {m.name[len("tagmanifest-") : -len(".txt")] for m in bag_dir.glob("tagmanifest-*.txt")}
    if not tag_algs:
        return []
    return [
        Problem("missing", f"tagmanifest-{alg}.txt", "thiếu manifest của các tệp mô tả", "the tag manifest is missing")
        for alg in sorted(manifest_algs - tag_algs)
    ]


def _fixity(bag, bag_dir: Path, absent: set[str]) -> list[Problem]:
    """Every listed file that is there, hashed with every algorithm listed for it."""
    problems = []
    for rel, expected in sorted(bag.entries.items()):
        if rel in absent:
            continue
        p = bag_dir / bag.normalized_filesystem_names.get(rel, rel)
        if not p.is_file():
            continue
        try:
            got = hashes(p, [a for a in expected if a in hashlib.algorithms_available])
        except OSError as exc:
            problems.append(
                Problem("unreadable", rel, f"không đọc được ({exc.strerror})", f"cannot be read ({exc.strerror})")
            )
            continue
        bad = sorted(a for a in got if got[a] != expected[a].lower())
        if bad:
            problems.append(digests_differ(rel, bad))
    return problems


def _oxum(bag, bag_dir: Path) -> list[Problem]:
    """Payload-Oxum (bag-info.txt): only worth a line when nothing else explains it."""
    oxum = bag.info.get("Payload-Oxum")
    if isinstance(oxum, list):
        oxum = oxum[0]
    if not oxum:
        return []
    payload = [bag_dir / f for f in bag.payload_files()]
    actual = f"{sum(f.stat().st_size for f in payload)}.{len(payload)}"
    if actual == oxum:
        return []
    return [
        Problem(
            "changed",
            "bag-info.txt",
            f"Payload-Oxum {oxum} nhưng thực tế {actual}",
            f"Payload-Oxum says {oxum} but the payload is {actual}",
        )
    ]


def _bagit_agrees(bag, bag_dir: Path) -> list[Problem]:
    """bagit's own validator must agree (it should: this is a cross-check)."""
    import bagit

    try:
        bag.validate(processes=1, fast=False, completeness_only=False)
    except bagit.BagError as exc:
        msg = str(exc).replace(str(bag_dir.resolve()) + os.sep, "")
        return [Problem("invalid", "bag", f"bagit từ chối túi: {msg}", f"bagit rejects the bag: {msg}")]
    return []


def verify_bag_dir(bag_dir: Path, *, skip: Iterable[str] = ()) -> list[Problem]:
    """Every problem of the bag at ``bag_dir``, one per file. ``skip``: files already
    reported (e.g. unreadable zip entries), not to be reported again as missing."""
    bag_dir = Path(bag_dir)
    skip = set(skip)
    for gate in (_skeleton, _special_files, _unsafe_manifest_lines):  # cheapest first: /tmp is no bag
        problems = gate(bag_dir)
        if problems:
            return problems
    with quiet_bagit():
        bag, problems = _open(bag_dir)
        if bag is None:
            return problems
        problems, absent = _completeness(bag, skip)
        problems += _unlisted_tag_files(bag, bag_dir) + _missing_tagmanifests(bag_dir)
        problems += _fixity(bag, bag_dir, absent)
        if problems or skip:
            return problems
        problems = _oxum(bag, bag_dir) or _bagit_agrees(bag, bag_dir)
    return problems or consistency(bag_dir)


# ---------------------------------------------------------------------------- the build's manifest
MANIFEST_MAX_BYTES = 16 << 20  # a province's manifest (every input of every member) is well below


def read_build_manifest(bag_dir: Path) -> tuple[dict | None, list[Problem]]:
    """The build's manifest.json in the bag, if it is there and has the shape baocao writes."""
    path = bag_dir / BUILD_MANIFEST
    if not path.is_file():
        return parse_build_manifest(None)
    with path.open("rb") as fh:  # never more than the limit, and one byte to know it is passed
        return parse_build_manifest(fh.read(MANIFEST_MAX_BYTES + 1))


def parse_build_manifest(data: bytes | None) -> tuple[dict | None, list[Problem]]:
    """The build's manifest.json from its bytes (None: the bag has none), if it has the shape
    baocao writes."""
    if data is None:
        return None, [
            Problem(
                "missing",
                BUILD_MANIFEST,
                "túi không có manifest.json của bản dựng: không phải túi baocao, không kiểm và không dựng lại được",
                "the bag has no build manifest.json: not a baocao bag; it cannot be checked or rebuilt",
            )
        ]
    if len(data) > MANIFEST_MAX_BYTES:  # a build's manifest is a few KB: never parse a huge one
        limit = MANIFEST_MAX_BYTES >> 20
        return None, [
            Problem(
                "invalid",
                BUILD_MANIFEST,
                f"quá lớn (trên {limit} MiB): không phải manifest baocao ghi, không đọc",
                f"too large (over {limit} MiB): not a manifest baocao writes; not read",
            )
        ]
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested past Python's limit
        return None, [Problem("invalid", BUILD_MANIFEST, "không phải JSON hợp lệ", "not valid JSON")]
    ok = (
        isinstance(manifest, dict)
        and isinstance(manifest.get("year"), int)
        and all(isinstance(manifest.get(k, {}), dict) for k in ("outputs", "inputs", "tools", "parameters"))
        and isinstance(manifest.get("records", []), list)
    )
    if not ok:
        return None, [
            Problem(
                "invalid",
                BUILD_MANIFEST,
                "không đúng dạng manifest của baocao (year, inputs, outputs)",
                "not shaped like a baocao manifest (year, inputs, outputs)",
            )
        ]
    return manifest, []


def _outside_paths(manifest: dict, bag_dir: Path) -> list[Problem]:
    """Every path the manifest lists must stay inside the bag: such a path is named, never read."""
    payload = bag_dir / "data"
    listed = [(rel, payload_path_for_output) for rel in manifest.get("outputs", {})]
    listed += [(rel, payload_path_for_input) for rel in manifest.get("inputs", {})]
    listed += [(rel, payload_path_for_output) for rel in manifest.get("records", [])]
    return [
        Problem(
            "unsafe",
            BUILD_MANIFEST,
            f"ghi một đường dẫn ra ngoài túi: {rel!r}",
            f"lists a path outside the bag: {rel!r}",
        )
        for rel, where in listed
        if not (safe_relpath(rel) and inside(payload, where(rel)))
    ]


def consistency(bag_dir: Path) -> list[Problem]:
    """A baocao bag: its files must also match the build's own manifest.json (a bag re-made
    around an edited report would pass BagIt but fail here)."""
    manifest, problems = read_build_manifest(bag_dir)
    if manifest is None:
        return problems
    problems = _outside_paths(manifest, bag_dir)
    if problems:
        return problems
    for rel, digest in sorted(manifest.get("outputs", {}).items()):
        where = "data/" + payload_path_for_output(rel)
        p = bag_dir / where
        if not p.is_file():
            problems.append(
                Problem(
                    "inconsistent",
                    where,
                    "manifest.json của bản dựng ghi tệp này nhưng túi không có",
                    "the build's manifest.json lists it but the bag lacks it",
                )
            )
        elif sha256(p) != digest:
            problems.append(
                Problem(
                    "inconsistent",
                    where,
                    "khác với mã băm trong manifest.json của bản dựng",
                    "differs from the hash in the build's manifest.json",
                )
            )
    for rel, digest in sorted(manifest.get("inputs", {}).items()):
        where = "data/" + payload_path_for_input(rel)
        p = bag_dir / where
        if not p.is_file() or sha256(p) != digest:
            problems.append(
                Problem(
                    "inconsistent",
                    where,
                    "khác (hoặc thiếu) so với đầu vào ghi trong manifest.json",
                    "differs from (or lacks) the input listed in manifest.json",
                )
            )
    return problems


def verify(path: Path) -> list[Problem]:
    """Problems of a bag folder or zip (empty: intact)."""
    with opened_bag(Path(path)) as (bag_dir, problems):
        if bag_dir is None:
            return problems
        return problems + verify_bag_dir(bag_dir, skip=[p.path for p in problems])


@dataclass
class Inspection:
    """What ``baocao verify`` reports: the problems (damage: exit 1), and as information the
    signature's state and the bag's code that differs from the installed project."""

    problems: list[Problem] = field(default_factory=list)
    signature: SignatureStatus | None = None  # None: the bag could not be opened
    code: list[CodeDifference] | None = None  # None: not compared (no readable manifest.json)
    reference: Path | None = None
    pdf_signatures: list = field(default_factory=list)  # the signed report's (archive/signedpdf.py)
    holds: str = ""  # which unit and year the bag holds, as its manifest.json says
    name_warning: str = ""  # the file's name and the bag's identifier disagree


def _identity(path: Path, bag_dir: Path, manifest: dict) -> tuple[str, str]:
    """(what the bag holds, a warning when its file name or bag-info disagree with it)."""
    from .layout import bag_name

    unit, year = str(manifest.get("unit", "?")), manifest.get("year", "?")
    holds = f"Túi chứa báo cáo / the bag holds the report of: đơn vị / unit {unit}, năm / year {year}"
    expected = bag_name(unit, year) if isinstance(year, int) else ""
    info = {}
    tags = bag_dir / "bag-info.txt"
    for line in (tags.read_text(encoding="utf-8", errors="replace") if tags.is_file() else "").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            info[name.strip()] = value.strip()
    group = info.get("Bag-Group-Identifier", "")
    stem = path.name[: -len(".zip")] if path.name.lower().endswith(".zip") else path.name
    odd = []
    if expected and stem != expected:
        odd.append((f"tên tệp '{path.name}'", f"the file name '{path.name}'"))
    if expected and group and group != expected:
        odd.append((f"bag-info.txt ghi '{group}'", f"bag-info.txt says '{group}'"))
    if not odd:
        return holds, ""
    return holds, (
        f"CẢNH BÁO / WARNING: {'; '.join(vi for vi, _ in odd)} nhưng túi chứa '{expected}' / "
        f"{'; '.join(en for _, en in odd)} but the bag holds '{expected}'"
    )


def inspect(
    path: Path, *, key: KeyFile | None = None, project_dir: Path | str | None = None, roots: list | None = None
) -> Inspection:
    """:func:`verify`, plus the signature (checked with ``key`` when given), the code, and the
    signed report's PDF signatures (their chains judged against ``roots`` when given)."""
    with opened_bag(Path(path)) as (bag_dir, problems):
        if bag_dir is None:
            return Inspection(problems)
        found = Inspection(problems + verify_bag_dir(bag_dir, skip=[p.path for p in problems]))
        if _skeleton(bag_dir):  # not a bag at all: nothing signed, no code to compare
            return found
        found.signature = check_signature(bag_dir, key)
        found.problems += found.signature.problems
        manifest, _ = read_build_manifest(bag_dir)
        if manifest is not None:
            found.holds, found.name_warning = _identity(Path(path), bag_dir, manifest)
            found.reference = installed_project(project_dir, bag_dir)
            found.code = code_differences(bag_dir, manifest, found.reference)
            found.pdf_signatures, pdf_problems = bag_signatures(bag_dir, manifest["year"], roots)
            found.problems += pdf_problems
        return found
