"""The bags an earlier build of the same aggregate year verified: not inflated and hashed again.

Every December the bags arrive one by one and the analyst builds the aggregate each time. A
bag's check (:func:`baocao.archive.zipcheck.check_zip`) inflates and hashes every byte the
member sent; done again for the 99 bags of yesterday, it is most of the build. So each build
records, beside its outputs in the build's state file (``build/<unit>/<year>/.baocao-state.json``,
written in the staging folder and promoted with the build, atomically, like every output), the
bags it accepted: for each, the SHA-256 of the whole zip, the SHA-256 of the public key file
the aggregate declared for that member (none: empty) and the digest of baocao's own code
(:func:`baocao.steps.code_digest`, the verifier among it). The next build checks a bag again
in full unless all three are the same: a bag whose bytes changed (the zip's SHA-256, always
computed: the build's manifest lists it anyway), a key declared, changed or removed, or a new
version of baocao each re-verify it. ``baocao build --force`` ignores the record.

What the record does not decide. A recorded bag is still read and checked as
:func:`~baocao.archive.zipcheck.check_zip` checks it (``known_intact``): its zip directory and
limits, its tag files against the tag manifests, its signature against the declared key, its
build's manifest.json (its unit and year, its outputs against the payload manifest), and the
files the compile reads (``metrics.json``, ``warnings.csv``) inflated and hashed against both
payload manifests. Only the payload files the compile never reads (the report's HTML, PDF,
Word, the raw data) are not inflated again. So a record edited by hand cannot bring a single
altered figure into the compiled report: a tampered ``metrics.json`` fails its manifests as it
would without any record; the most such an edit can hide is an altered file the compile never
reads, in a bag whose manifests were left as they were (and whoever can edit the build's state
file can edit its outputs as well). The record is kept in the build folder rather than a
shared cache so that it lives and dies with the build whose figures came from those bags.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..config import BuildFiles
from ..steps import code_digest

#: The key of the record in the build's state file.
STATE_KEY = "verified_bags"


def key_digest(path: Path | None) -> str:
    """The SHA-256 of the public key file declared for a member (none declared: "")."""
    from ..steps import file_digest

    return file_digest(path) if path is not None else ""


def stamp(key: str) -> dict[str, str]:
    """What a record of one bag holds beside its zip's SHA-256: the declared key's digest and
    the code's."""
    return {"key": key, "code": code_digest()}


def load_records(build_dir: Path) -> dict[str, dict[str, str]]:
    """The bags the promoted build in ``build_dir`` verified, by the SHA-256 of their zip
    (empty when there is no build, no record, or a record of another shape)."""
    try:
        state = json.loads((build_dir / BuildFiles.STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    records = state.get(STATE_KEY) if isinstance(state, dict) else None
    if not isinstance(records, dict):
        return {}
    return {
        digest: {"key": rec["key"], "code": rec["code"]}
        for digest, rec in records.items()
        if isinstance(rec, dict) and isinstance(rec.get("key"), str) and isinstance(rec.get("code"), str)
    }


def is_known(records: dict[str, dict[str, str]], zip_sha256: str, key: str) -> bool:
    """Whether these bytes passed the full check, with this key declared, by this code."""
    return bool(zip_sha256) and records.get(zip_sha256) == stamp(key)
