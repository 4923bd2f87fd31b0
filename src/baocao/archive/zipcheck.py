"""A zipped bag checked in one pass, without extracting it: what the level above does with
each member's bag (:mod:`baocao.aggregate.intake`).

:func:`verify` extracts a zip and checks the folder (:mod:`.verification`): every file is
written to disk, hashed with both algorithms, hashed again by bagit's own validator and once
more against the build's manifest.json. For a province of 100 bags that is most of its build.
:func:`check_zip` makes the same checks reading each entry once:

- the zip's directory first (:func:`.zipsafe.zip_entry_problems`, :func:`.zipsafe.zip_size_problems`):
  nothing is read from a zip refused there;
- the tag files (bagit.txt, bag-info.txt, the manifests; all small) are read, bagit.txt must
  say BagIt 0.97 or 1.0 in UTF-8, every manifest line must stay inside the bag;
- every entry is streamed once, each of its listed digests and its SHA-256 computed on the
  same bytes, and compared with every manifest that lists it; files listed but absent, present
  but unlisted (payload) or in no tag manifest (tag files), tag manifests missing, and the
  Payload-Oxum are checked as :func:`.verification.verify_bag_dir` checks them;
- the build's manifest.json (its shape, its paths, each output's and input's SHA-256 against
  the digest just computed of that file in the bag);
- the signature (:func:`.signing.check_signature`) on the tag files alone, written to a
  temporary folder: it signs the tag manifests, which list every other file's digests.

The files asked for (``keep``: metrics.json, warnings.csv) are kept in memory from the very
bytes that were hashed, so what is read is what was verified. A zip whose very bytes passed
before (``known_intact``: the aggregate's record, :mod:`baocao.aggregate.verified`) goes
through every check but the inflating of the payload files not kept. Memory: one chunk (1 MiB) and
the kept files, whatever the bag's size. Any problem refuses the bag: it is stricter than
``verify`` where the two could differ (a payload file listed by one manifest and not by the
other, a name that bagit would normalise), never looser.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .layout import BUILD_MANIFEST, SIGNATURE_NAME, payload_path_for_input, payload_path_for_output, safe_relpath
from .problems import Problem, digests_differ
from .signing import KeyFile, SignatureStatus, check_signature, unsigned_status
from .zipsafe import LIMITS, EntryDamaged, Limits, bag_prefix, read_entry, zip_entry_problems, zip_size_problems

_MANIFEST = re.compile(r"(tag)?manifest-(\w+)\.txt")
_UNLISTED_OK = re.compile(r"(bag-info|fetch|manifest-\w+)\.txt")
_BAGIT_TXT = re.compile(r"BagIt-Version: (0\.97|1\.0)\r?\nTag-File-Character-Encoding: UTF-8\r?\n?")


@dataclass
class ZipCheck:
    """What :func:`check_zip` found: the problems (none: the bag is intact), its signature's
    state, the build's manifest.json, and the kept files' bytes (only when intact)."""

    problems: list[Problem] = field(default_factory=list)
    signature: SignatureStatus | None = None
    manifest: dict | None = None
    kept: dict[str, bytes] = field(default_factory=dict)


def _unreadable(path: str, why: str) -> Problem:
    return Problem("unreadable", path, f"không đọc được, dữ liệu trong zip bị hỏng ({why})", f"cannot be read ({why})")


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    return b"".join(read_entry(zf, info))


def _parse_manifests(tags: dict[str, bytes]) -> tuple[dict[str, dict[str, str]], dict[str, set[str]], list[Problem]]:
    """(entries: file → {algorithm: digest}, payload manifest algorithm → files it lists, problems)."""
    entries: dict[str, dict[str, str]] = {}
    payload: dict[str, set[str]] = {}
    problems: list[Problem] = []
    for name in sorted(tags):
        match = _MANIFEST.fullmatch(name)
        if not match:
            continue
        alg, is_tag = match.group(2), bool(match.group(1))
        if not is_tag:
            payload[alg] = set()
        text = tags[name].decode("utf-8", errors="replace").lstrip("\ufeff")
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            rel = parts[1].lstrip("*").replace("%0D", "\r").replace("%0A", "\n") if len(parts) == 2 else ""
            if not safe_relpath(rel) or (not is_tag and not rel.startswith("data/")):
                problems.append(
                    Problem(
                        "unsafe",
                        name,
                        f"dòng {lineno} trỏ ra ngoài túi hoặc sai dạng: {line!r}",
                        f"line {lineno} points outside the bag or is malformed: {line!r}",
                    )
                )
                continue
            digests = entries.setdefault(rel, {})
            if alg in digests:
                problems.append(Problem("invalid", name, f"ghi {rel} hai lần", f"lists {rel} twice"))
            digests[alg] = parts[0].lower()
            if not is_tag:
                payload[alg].add(rel)
    return entries, payload, problems


def _structure(infos: dict[str, zipfile.ZipInfo], tags: dict[str, bytes], entries, payload) -> list[Problem]:
    """bagit.txt, completeness, unlisted tag files, missing tag manifests (verify_bag_dir's order)."""
    problems = []
    if not _BAGIT_TXT.fullmatch(tags.get("bagit.txt", b"").decode("utf-8", errors="replace")):
        problems.append(
            Problem(
                "invalid",
                "bagit.txt",
                "không đúng dạng (BagIt-Version 0.97 hay 1.0, UTF-8)",
                "malformed (BagIt-Version 0.97 or 1.0, UTF-8)",
            )
        )
    if "sha256" not in payload:  # every baocao bag has one; the build's manifest.json is checked by it
        problems.append(
            Problem(
                "missing",
                "manifest-sha256.txt",
                "túi không có manifest sha256 của dữ liệu",
                "the bag has no sha256 payload manifest",
            )
        )
    problems += [
        Problem(
            "missing", rel, "có trong manifest nhưng không có trong túi", "listed in the manifest but not in the bag"
        )
        for rel in sorted(set(entries) - set(infos))
    ]
    for rel in sorted(r for r in infos if r.startswith("data/")):
        lacking = sorted(alg for alg, listed in payload.items() if rel not in listed)
        if lacking:
            problems.append(
                Problem(
                    "extra",
                    rel,
                    f"có trong túi nhưng không có trong manifest ({', '.join(lacking)})",
                    f"in the bag but not in the manifest ({', '.join(lacking)})",
                )
            )
    tag_algs = {m.group(2) for n in tags if (m := _MANIFEST.fullmatch(n)) and m.group(1)}
    for rel in sorted(tags):
        if rel in ("bagit.txt", SIGNATURE_NAME) or (_MANIFEST.fullmatch(rel) and rel.startswith("tag")):
            continue
        if rel not in entries and (tag_algs or not _UNLISTED_OK.fullmatch(rel)):
            problems.append(
                Problem("extra", rel, "tệp thừa, không có trong tagmanifest", "extra file, not in the tag manifest")
            )
    if tag_algs:
        problems += [
            Problem(
                "missing", f"tagmanifest-{alg}.txt", "thiếu manifest của các tệp mô tả", "the tag manifest is missing"
            )
            for alg in sorted(set(payload) - tag_algs)
        ]
    if tags.get("fetch.txt", b"").strip():
        problems.append(Problem("invalid", "fetch.txt", "túi thiếu tệp, cần tải thêm", "the bag needs files fetched"))
    return problems


def _fixity(
    zf, infos, entries, keep: set[str], known_intact: bool
) -> tuple[list[Problem], dict[str, str], dict[str, bytes]]:
    """Every listed file streamed once: (problems, its SHA-256 by file, the kept files' bytes).
    ``known_intact``: these very bytes passed this check before (see :func:`check_zip`); a
    payload file not kept is then not inflated again, its SHA-256 is its manifest's."""
    problems, sha256s, kept = [], {}, {}
    for rel in sorted(entries):
        info = infos.get(rel)
        if info is None:
            continue
        expected = entries[rel]
        if known_intact and rel.startswith("data/") and rel not in keep and "sha256" in expected:
            sha256s[rel] = expected["sha256"]
            continue
        hs = {alg: hashlib.new(alg) for alg in {*expected, "sha256"} if alg in hashlib.algorithms_available}
        chunks: list[bytes] | None = [] if rel in keep else None
        try:
            for chunk in read_entry(zf, info):
                for h in hs.values():
                    h.update(chunk)
                if chunks is not None:
                    chunks.append(chunk)
        except EntryDamaged as exc:
            problems.append(_unreadable(rel, str(exc)))
            continue
        got = {alg: h.hexdigest() for alg, h in hs.items()}
        sha256s[rel] = got["sha256"]
        bad = sorted(alg for alg in expected if alg in got and got[alg] != expected[alg])
        if bad:
            problems.append(digests_differ(rel, bad))
        if chunks is not None:
            kept[rel] = b"".join(chunks)
    return problems, sha256s, kept


def _oxum(infos: dict[str, zipfile.ZipInfo], tags: dict[str, bytes]) -> list[Problem]:
    info: dict[str, str] = {}
    for line in tags.get("bag-info.txt", b"").decode("utf-8", errors="replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            info.setdefault(name.strip(), value.strip())
    oxum = info.get("Payload-Oxum")
    payload = [i for rel, i in infos.items() if rel.startswith("data/")]
    actual = f"{sum(i.file_size for i in payload)}.{len(payload)}"
    if not oxum or oxum == actual:
        return []
    return [
        Problem(
            "changed",
            "bag-info.txt",
            f"Payload-Oxum {oxum} nhưng thực tế {actual}",
            f"Payload-Oxum says {oxum} but the payload is {actual}",
        )
    ]


def _consistency(manifest: dict, sha256s: dict[str, str]) -> list[Problem]:
    """Each output and input the build's manifest.json lists, against the digest of its copy."""
    problems = []
    listed = [(rel, d, payload_path_for_output, "outputs") for rel, d in manifest.get("outputs", {}).items()]
    listed += [(rel, d, payload_path_for_input, "inputs") for rel, d in manifest.get("inputs", {}).items()]
    outside = [
        r for r in manifest.get("records", []) if not (safe_relpath(r) and safe_relpath(payload_path_for_output(r)))
    ]
    problems += [
        Problem(
            "unsafe", BUILD_MANIFEST, f"ghi một đường dẫn ra ngoài túi: {r!r}", f"lists a path outside the bag: {r!r}"
        )
        for r in outside
    ]
    for rel, digest, where, kind in sorted(listed, key=lambda x: (x[3] == "inputs", x[0])):
        if not safe_relpath(rel) or not safe_relpath(where(rel)):
            problems.append(
                Problem(
                    "unsafe",
                    BUILD_MANIFEST,
                    f"ghi một đường dẫn ra ngoài túi: {rel!r}",
                    f"lists a path outside the bag: {rel!r}",
                )
            )
            continue
        path = "data/" + where(rel)
        if sha256s.get(path) != digest:
            problems.append(
                Problem(
                    "inconsistent",
                    path,
                    "khác (hoặc thiếu) so với mã băm trong manifest.json của bản dựng",
                    f"differs from (or lacks) the hash in the build's manifest.json ({kind})",
                )
            )
    return problems


def _signature(tags: dict[str, bytes], key: KeyFile | None) -> SignatureStatus:
    """The signature, checked on the tag files (it signs the tag manifests)."""
    if SIGNATURE_NAME not in tags:  # nothing to write out and read back
        return unsigned_status(key)
    with tempfile.TemporaryDirectory(prefix="baocao-sig-") as tmp:
        for name, data in tags.items():
            if "/" not in name:
                (Path(tmp) / name).write_bytes(data)
        return check_signature(Path(tmp), key)


def check_zip(
    path: Path,
    *,
    key: KeyFile | None = None,
    keep: Iterable[str] = (),
    limits: Limits = LIMITS,
    known_intact: bool = False,
) -> ZipCheck:
    """The zipped bag at ``path`` checked in one pass (see the module's docstring). ``keep``:
    files of the bag (relative to it, e.g. ``data/report/metrics.json``) returned when intact.

    ``known_intact``: the caller knows that these very bytes (the whole file's SHA-256) passed
    this check, by this code, before (:mod:`baocao.aggregate.verified`). Every check is made
    again except the fixity of the payload files not kept, which are not inflated: the tag
    files, the kept files and the build's manifest.json are still hashed against the
    manifests (and the tag manifests, and the signature), so what is returned is verified."""
    from .verification import parse_build_manifest

    found = ZipCheck()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        why = f"không phải tệp zip đọc được ({exc})", f"not a readable zip file ({exc})"
        found.problems = [Problem("unreadable", Path(path).name, *why)]
        return found
    with zf:
        found.problems = zip_entry_problems(zf) or zip_size_problems(zf, limits)
        if found.problems:
            return found
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        prefix = bag_prefix(names)
        found.problems = [
            Problem(
                "extra", n, "tệp thừa nằm ngoài thư mục túi trong zip", "extra file outside the bag's folder in the zip"
            )
            for n in names
            if not n.startswith(prefix)
        ]
        infos = {
            i.filename[len(prefix) :]: i for i in zf.infolist() if not i.is_dir() and i.filename.startswith(prefix)
        }
        if "bagit.txt" not in infos or not any(rel.startswith("data/") for rel in infos):
            found.problems.append(
                Problem(
                    "missing", "bagit.txt", "không có: đây không phải túi BagIt", "not there: this is not a BagIt bag"
                )
            )
            return found
        try:
            tags = {rel: _read_small(zf, i) for rel, i in infos.items() if not rel.startswith("data/")}
        except EntryDamaged as exc:
            found.problems.append(_unreadable("(tag files)", str(exc)))
            return found
        entries, payload, problems = _parse_manifests(tags)
        if problems:
            found.problems += problems
            return found
        found.problems += _structure(infos, tags, entries, payload)
        fixity, sha256s, kept = _fixity(zf, infos, entries, {*keep, BUILD_MANIFEST}, known_intact)
        found.problems += fixity or _oxum(infos, tags)
    found.signature = _signature(tags, key)
    found.problems += found.signature.problems
    if BUILD_MANIFEST not in kept:
        found.problems += parse_build_manifest(None)[1]
        return found
    found.manifest, problems = parse_build_manifest(kept[BUILD_MANIFEST])
    found.problems += problems
    if found.manifest is not None and not found.problems:
        found.problems += _consistency(found.manifest, sha256s)
    if not found.problems:
        found.kept = {rel: kept[rel] for rel in keep if rel in kept}
    return found
