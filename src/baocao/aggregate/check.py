"""What ``baocao validate`` and ``baocao build`` both check of an aggregate unit's year.

The build (:mod:`.build`) and ``baocao validate --unit <aggregate> --year Y`` call the same
functions, so whatever validate accepts, the build builds:

- :func:`own_inputs`: the year's folder, the aggregate's own ``thong-tin-bao-cao.yml``,
  ``nhan-dinh.md`` and ``chi-tieu.yml`` (its targets). Any error here stops the build;
  validate lists every one of them;
- :func:`baocao.aggregate.intake.read_members`: each member's bag checked (verified, its
  signature when the aggregate declares a key, its unit and year), or its build, or missing.
  A missing or refused member does not stop the build: the report says its figures are
  partial. ``validate --strict`` fails on them. Both reuse the record of the bags the last
  build verified (:mod:`.verified`); only the build writes it. ``--jobs N`` checks N bags
  side by side in both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import Project
from ..errors import BaocaoError, InputError, InputProblems, Location
from .inputs import bag_path, unexpected_files
from .intake import MISSING, REFUSED, MemberReport, read_members
from .verified import load_records

if TYPE_CHECKING:
    from ..narrative import ReportMeta


def missing_folder(project: Project, year: int) -> InputError:
    folder = project.rel(project.raw_dir(year))
    return InputError(
        Location(folder),
        f"không có thư mục năm {year} của đơn vị tổng hợp (nơi nhận túi báo cáo của các đơn vị, "
        "thong-tin-bao-cao.yml, nhan-dinh.md)",
        f"no {year} folder of the aggregate unit (where the members' bags, thong-tin-bao-cao.yml and nhan-dinh.md go)",
        hint_vi=f"tạo thư mục {folder}/ và đặt vào đó các tệp trên",
        hint_en=f"create {folder}/ and put those files in it",
    )


@dataclass
class OwnInputs:
    """The aggregate's own files of the year, and every error found in them."""

    meta: ReportMeta | None = None
    narrative: dict[str, str] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    next_targets: dict[str, float] = field(default_factory=dict)
    errors: list[BaocaoError] = field(default_factory=list)


def own_inputs(project: Project, year: int) -> OwnInputs:
    """The year's folder and the aggregate's own metadata, narrative and targets (each error
    names its file and what to fix)."""
    from ..narrative import load_meta, load_narrative
    from .targets import load_targets

    found = OwnInputs()
    if not project.raw_dir(year).is_dir():
        found.errors.append(missing_folder(project, year))
        return found

    def attempt(load):
        try:
            return load(project, year)
        except InputProblems as exc:
            found.errors.extend(exc.errors)
        except BaocaoError as exc:
            found.errors.append(exc)
        return None

    found.meta = attempt(load_meta)
    found.narrative = attempt(load_narrative) or {}
    targets = attempt(load_targets)
    if targets is not None:
        found.targets, found.next_targets = targets
    return found


def member_lines(project: Project, year: int, members: list[MemberReport]) -> list[str]:
    """One line per member not reported (missing: where its bag is expected; refused: each
    problem), then the files of the year's folder that belong to no member."""
    lines = []
    for m in members:
        if m.status == MISSING:
            where = project.rel(bag_path(project, m.id, year))
            lines.append(
                f"CHƯA GỬI / MISSING  {m.name} ({m.id}): không có {where} / no {where} "
                "(báo cáo tổng hợp ghi là chưa đầy đủ / the compiled report says it is partial)"
            )
        elif m.status == REFUSED:
            lines += [f"KHÔNG SỬ DỤNG / REFUSED  {m.name} ({m.id}): {p}" for p in m.problems]
    folder = project.rel(project.raw_dir(year))
    lines += [
        f"CẢNH BÁO / WARNING  {folder}/{name}: không thuộc đơn vị thành viên nào, không đọc / "
        "belongs to no member, not read"
        for name in unexpected_files(project, year)
    ]
    return lines


def _error_line(e: BaocaoError) -> str:
    hint_vi = f" (cách sửa: {e.hint_vi})" if e.hint_vi else ""
    hint_en = f" (to fix: {e.hint_en})" if e.hint_en else ""
    return f"LỖI / ERROR  {e.message_vi}{hint_vi} / {e.message_en}{hint_en}"


def validate_aggregate(project: Project, year: int, console, *, strict: bool = False, jobs: int = 1) -> int:
    """``baocao validate`` of an aggregate unit's year: its members, its own files, the verdict.
    Exit status 1 when the build would fail (or, with ``strict``, when a member is missing or refused)."""
    from ..summary import problem_lines

    label = f"{project.unit_id} {year}"
    own = own_inputs(project, year)
    records = load_records(project.build_dir(year))  # the bags the last build verified (read, never written)
    members = read_members(project, year, jobs, records) if project.raw_dir(year).is_dir() else []
    console.print(f"Năm {label}: báo cáo của các đơn vị thành viên / the members' reports", markup=False)
    for i, m in enumerate(members, start=1):
        how = f"{m.source} {m.path}".strip() or "–"
        signature = f", chữ ký / signature: {m.signature}" if m.signature else ""
        console.print(f"  {i:>3}. {m.name} ({m.id}): {m.status} – {how}{signature}", markup=False, soft_wrap=True)
    lines = problem_lines([e for e in own.errors if isinstance(e, InputError)], [], [])
    lines += [_error_line(e) for e in own.errors if not isinstance(e, InputError)]
    lines += member_lines(project, year, members)
    if lines:
        console.print(f"Vấn đề / problems ({len(lines)}):", markup=False)
        for line in lines:
            console.print(line, markup=False, soft_wrap=True)
    reported = sum(1 for m in members if m.reported)
    unreported = len(members) - reported
    fails = bool(own.errors) or (strict and unreported > 0)
    verdict = "chưa dùng được / cannot build" if fails else "dùng được / can build"
    console.print(
        f"Năm {label}: {len(own.errors)} lỗi, {reported}/{len(members)} đơn vị đã gửi báo cáo hợp lệ / "
        f"{len(own.errors)} error(s), {reported}/{len(members)} members reported: {verdict}"
        + (
            " (--strict: có đơn vị chưa gửi hoặc không hợp lệ / a member is missing or refused)"
            if strict and unreported and not own.errors
            else ""
        ),
        markup=False,
    )
    return 1 if fails else 0
