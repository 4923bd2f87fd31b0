"""What the level above receives: each member's report, verified before a byte of it is read.

For the year ``Y`` of an aggregate unit, each member's report is, in this order:

1. its archive, the ``.zip`` bag ``<member>-<Y>.zip`` that ``baocao archive`` made, dropped
   into the aggregate's ``data/raw/<aggregate>/<Y>/`` as it arrives. The bag is checked as
   ``baocao verify`` checks it (the zip's directory, both manifests, the build's own
   manifest.json) and, when the aggregate declares the member's public key (``key:``), its
   Ed25519 signature against that key, in one pass over the zip without extracting it
   (:mod:`baocao.archive.zipcheck`). It must hold that member's report of that year. A bag
   that fails any check is *refused*: named with every problem, and nothing of it is read;
2. else, when the member is a unit of the same project, its build ``build/<member>/<Y>/``:
   its ``metrics.json`` and ``warnings.csv`` must match the hashes of the build's manifest;
3. else the member is *missing* ("chưa gửi báo cáo").

Of a member's report only ``metrics.json`` (the figures the member's report states, with their
targets and verdicts) and ``warnings.csv`` (for the data-quality record) are kept, from the
bytes that were hashed. A bag is streamed in 1 MiB chunks and nothing of it is written to
disk, so memory stays bounded by ``jobs`` chunks and the kept files whatever the number of
members.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..config import BuildFiles, MemberRef, Project
from .inputs import bag_path

REPORTED, MISSING, REFUSED = "reported", "missing", "refused"
_METRICS_IN_BAG = "data/report/" + BuildFiles.METRICS
_WARNINGS_IN_BAG = "data/processed/" + BuildFiles.WARNINGS


@dataclass
class MemberReport:
    """One member's report for the year: where it came from, whether it was accepted, and the
    figures it states (``metrics``: its metrics.json) when it was."""

    id: str
    name: str
    status: str  # reported | missing | refused
    source: str = ""  # "bag" | "build" | ""
    path: str = ""  # the bag or build folder, relative to the project
    sha256: str = ""  # of the bag (or of the build's metrics.json)
    signature: str = ""  # unsigned | unchecked | valid (a refused bag: its problems say why)
    problems: list[str] = field(default_factory=list)  # "file: vi / en", one per problem
    metrics: dict = field(default_factory=dict)
    metrics_bytes: bytes = b""  # metrics.json as read, for the member-equality check (rollup.py)
    warnings: list[dict] = field(default_factory=list)
    valid_from: str = ""
    valid_to: str = ""
    merged_into: str = ""
    key_digest: str = ""  # of the public key file declared for it (the record of verified bags)

    @property
    def reported(self) -> bool:
        return self.status == REPORTED

    @property
    def cutoff(self) -> str:
        return str((self.metrics.get("period") or {}).get("cutoff", ""))

    def exists_on(self, day: dt.date) -> bool:
        """Whether the member existed on ``day`` (formed on valid_from, ceased after valid_to)."""
        if self.valid_from and dt.date.fromisoformat(self.valid_from) > day:
            return False
        return not (self.valid_to and dt.date.fromisoformat(self.valid_to) < day)

    def as_record(self) -> dict:
        """What the aggregate's metrics.json keeps of the member (its figures apart)."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "source": self.source,
            "path": self.path,
            "sha256": self.sha256,
            "signature": self.signature,
            "problems": list(self.problems),
            "cutoff": self.cutoff,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "merged_into": self.merged_into,
            "warnings": len(self.warnings),
            "rejected_rows": int((self.metrics.get("quality") or {}).get("rejected", 0) or 0),
        }


def _declared(project: Project, ref: MemberRef) -> MemberRef:
    """The member as the aggregate declares it, with the dates of its own unit declaration
    when it is a unit of the same project."""
    unit = next((u for u in project.all_units if u.id == ref.id), None)
    if unit is None:
        return ref
    return MemberRef(
        ref.id,
        ref.name or unit.name,
        ref.key,
        ref.valid_from or unit.valid_from,
        ref.valid_to or unit.valid_to,
        ref.merged_into or unit.merged_into,
    )


def recorded_path(project: Project, path: Path) -> str:
    """A member's bag or build as the aggregate's outputs record it: relative to the project,
    never to the current folder (``Project.rel``), so that the outputs are the same bytes
    wherever the build runs (a subfolder, a Dask worker)."""
    path, root = Path(path).resolve(), project.root.resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


def _problem_line(p) -> str:
    return f"{p.path}: {p.vi} / {p.en}"


def read_members(
    project: Project, year: int, jobs: int = 1, records: dict[str, dict[str, str]] | None = None
) -> list[MemberReport]:
    """Every member's report of ``year``, in the order the aggregate lists its members;
    ``jobs`` members read side by side (threads: a bag's check is inflating and hashing, which
    run outside Python's global lock). ``records``: the bags an earlier build verified
    (:mod:`.verified`), whose payload files the compile does not read are not hashed again."""
    refs = list(project.unit.members)
    known = records or {}
    if jobs <= 1 or len(refs) <= 1:
        return [read_member(project, ref, year, known) for ref in refs]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda ref: read_member(project, ref, year, known), refs))


def verified_records(members: list[MemberReport]) -> dict[str, dict[str, str]]:
    """The record of the bags accepted this time, for the next build (:mod:`.verified`)."""
    from .verified import stamp

    return {m.sha256: stamp(m.key_digest) for m in members if m.reported and m.source == "bag"}


def read_member(
    project: Project, ref: MemberRef, year: int, records: dict[str, dict[str, str]] | None = None
) -> MemberReport:
    ref = _declared(project, ref)
    report = MemberReport(
        ref.id,
        ref.name or ref.id,
        MISSING,
        valid_from=ref.valid_from,
        valid_to=ref.valid_to,
        merged_into=ref.merged_into,
    )
    bag = bag_path(project, ref.id, year)
    if bag.exists():
        _read_bag(project, ref, year, bag, report, records or {})
    elif ref.id in [u.id for u in project.all_units if not u.is_aggregate]:
        _read_build(project.for_unit(ref.id), year, report)
    if report.reported:
        report.name = ref.name or str((report.metrics.get("unit") or {}).get("name") or ref.id)
    return report


def _refuse(report: MemberReport, lines: list[str]) -> None:
    report.status = REFUSED
    report.problems = lines
    report.metrics, report.metrics_bytes, report.warnings = {}, b"", []


def _read_bag(
    project: Project, ref: MemberRef, year: int, bag: Path, report: MemberReport, records: dict[str, dict[str, str]]
) -> None:
    """A member's bag: checked in one pass without extracting it (:func:`baocao.archive.zipcheck.check_zip`);
    of an intact bag only metrics.json and warnings.csv are kept, from the bytes that were hashed.
    A bag that ``records`` says these bytes passed, with this key and code, is checked without
    inflating the payload files the compile does not read (:mod:`.verified`)."""
    from ..archive import load_public_key
    from ..archive.zipcheck import check_zip
    from ..errors import BaocaoError
    from ..steps import file_digest
    from .verified import is_known, key_digest

    report.source, report.path = "bag", recorded_path(project, bag)
    key = None
    if ref.key:
        try:
            key = load_public_key(project.root / ref.key)
            report.key_digest = key_digest(project.root / ref.key)
        except BaocaoError as exc:  # the aggregate's own declaration is wrong: nothing can be trusted
            _refuse(report, [f"{ref.key}: {exc.message_vi} / {exc.message_en}"])
            return
    if not bag.is_file():
        _refuse(report, [f"{report.path}: không phải tệp .zip / not a .zip file"])
        return
    report.sha256 = file_digest(bag)  # the input's digest, as the build's manifest records it
    known = is_known(records, report.sha256, report.key_digest)
    found = check_zip(bag, key=key, keep=(_METRICS_IN_BAG, _WARNINGS_IN_BAG), known_intact=known)
    lines = [_problem_line(p) for p in found.problems]
    if (
        key is not None
        and found.signature is not None
        and found.signature.state != "valid"
        and not found.signature.problems
    ):
        lines.append(_problem_line(_signature_missing(ref)))
    manifest = found.manifest
    if manifest is not None and (manifest.get("unit") != ref.id or manifest.get("year") != year):
        lines.append(
            f"{report.path}: túi chứa báo cáo của đơn vị '{manifest.get('unit')}' năm {manifest.get('year')}, "
            f"không phải của '{ref.id}' năm {year} / the bag holds the report of unit "
            f"'{manifest.get('unit')}' for {manifest.get('year')}, not of '{ref.id}' for {year}"
        )
    if not lines and _METRICS_IN_BAG not in found.kept:
        lines.append(f"{report.path}: túi không có {_METRICS_IN_BAG} / the bag has no {_METRICS_IN_BAG}")
    if lines:
        _refuse(report, lines)
        return
    assert found.signature is not None
    report.signature = found.signature.state
    report.metrics_bytes = found.kept[_METRICS_IN_BAG]
    try:
        report.metrics = json.loads(report.metrics_bytes.decode("utf-8"))
    except ValueError:
        _refuse(report, [f"{report.path}: {_METRICS_IN_BAG} không phải JSON hợp lệ / is not valid JSON"])
        return
    report.warnings = _warning_rows(found.kept.get(_WARNINGS_IN_BAG, b""))
    report.status = REPORTED


def _signature_missing(ref: MemberRef):
    from ..archive import Problem

    return Problem(
        "signature",
        "baocao-signature.txt",
        f"đơn vị cấp trên khai báo khóa công khai {ref.key} cho '{ref.id}' nhưng túi không được ký bằng khóa đó",
        f"the aggregate declares the public key {ref.key} for '{ref.id}' but the bag is not signed with it",
    )


def _read_build(member: Project, year: int, report: MemberReport) -> None:
    """A member of the same project: its build, each file read checked against its manifest."""
    from ..archive.layout import sha256

    folder = member.build_dir(year)
    report.source, report.path = "build", recorded_path(member, folder)
    manifest_path = folder / BuildFiles.MANIFEST
    if not manifest_path.is_file():
        report.source, report.path = "", ""
        return  # not built: missing (the report says so)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        outputs = dict(manifest["outputs"])
    except (OSError, ValueError, KeyError, TypeError):
        _refuse(report, [f"{report.path}/{BuildFiles.MANIFEST}: không đọc được / unreadable"])
        return
    lines = []
    wanted = [BuildFiles.METRICS, f"{BuildFiles.DATA}/{BuildFiles.WARNINGS}"]
    for rel in wanted:
        path = folder / rel
        if not path.is_file() or outputs.get(rel) != sha256(path):
            lines.append(
                f"{report.path}/{rel}: khác với mã băm trong manifest.json của bản dựng (đã sửa sau khi dựng?) "
                f"/ differs from the hash in the build's manifest.json (edited after the build?)"
            )
    if manifest.get("unit") != report.id or manifest.get("year") != year:
        lines.append(f"{report.path}: manifest.json ghi đơn vị/năm khác / names another unit or year")
    if lines:
        _refuse(report, lines)
        return
    report.sha256 = outputs[BuildFiles.METRICS]
    report.signature = "build"
    report.metrics_bytes = (folder / BuildFiles.METRICS).read_bytes()
    report.metrics = json.loads(report.metrics_bytes.decode("utf-8"))
    report.warnings = _warnings(folder / BuildFiles.DATA / BuildFiles.WARNINGS)
    report.status = REPORTED


def _warnings(path: Path) -> list[dict]:
    return _warning_rows(path.read_bytes()) if path.is_file() else []


def _warning_rows(data: bytes) -> list[dict]:
    from ..cells import csv_rows

    return [dict(r) for r in csv_rows(data.decode("utf-8-sig"))] if data else []
