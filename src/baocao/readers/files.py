"""The year's folder: which file stands for which expected input, each found exactly once.

Names are compared as people see them: case, diacritics, spaces and punctuation do not count,
and neither do the marks a copy gets ("(1)", "- Copy", "Copy of", "- Bản sao"), so
``MTTQ Phuong (1).xlsx`` stands for ``mttq-phuong.xlsx``. Two candidates for one file (the
original and a re-sent copy) are an error naming both, never both read. An expected file that is
missing is an error unless ``thong-tin-bao-cao.yml`` declares it (``tep_khong_gui``), and so is a
khu without its ``ban-ctmt-khu-<n>`` file unless declared as a khu with no activity
(``khu_khong_hoat_dong``). A sheet may arrive as CSV next to its workbook
(``<file>--<sheet>.csv``): it replaces that sheet, which must then be empty or absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Item, Reference
from ..errors import ConfigError, InputError, Location, Reject
from ..labels import area_number, area_reference
from ..narrative import META_FILE, NARRATIVE_FILE
from ..textenc import fold_key, remove_diacritics
from ..yamlfile import load_yaml

#: Files of a year's folder that are not tables (read by baocao.narrative).
TEXT_FILES = (META_FILE, NARRATIVE_FILE)
#: Keys of thong-tin-bao-cao.yml that say what the year has not.
NO_ACTIVITY_KEY = "khu_khong_hoat_dong"
NOT_SENT_KEY = "tep_khong_gui"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
READABLE_SUFFIXES = (*WORKBOOK_SUFFIXES, ".csv")
_COPY_MARKS = re.compile(
    r"^(?:copy of|ban sao cua|ban sao)\s+"
    r"|\s*[-_–]?\s*(?:copy|ban sao|bansao)(?:\s*\(\d+\))?\s*$"
    r"|\s*[\(\[]\s*\d{1,3}\s*[\)\]]\s*$"
)


_YEAR_TOKEN = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_YEAR_SEPARATORS = " -_.–()[]"


def years_named(stem: str) -> set[int]:
    """The years a file name names ("ban-ctmt-khu-1-2022" → {2022}; "mttq-phuong" → none)."""
    return {int(y) for y in _YEAR_TOKEN.findall(stem)}


def without_year(stem: str, year: int) -> str:
    """The name without the report year it names ("mttq-phuong-2023" → "mttq-phuong",
    "ban-ctmt-khu-1 (2023)" → "ban-ctmt-khu-1"); any other name unchanged."""
    shorter = re.sub(rf"[\s\-_.–]*[\(\[]?(?<!\d){year}(?!\d)[\)\]]?", "", stem).strip()
    return shorter if shorter != stem and shorter else stem


def name_key(stem: str) -> str:
    """A file name as people read it: "MTTQ Phường (1)" and "mttq-phuong - Copy" → "mttqphuong"."""
    text = remove_diacritics(stem).lower().strip()
    while True:
        shorter = _COPY_MARKS.sub("", text, count=1).strip()
        if shorter == text:
            break
        text = shorter
    return fold_key(text)


def warning(
    file: str, sheet: str, reason_vi: str, reason_en: str, *, row: int | None = None, column: str = "", value: str = ""
) -> Reject:
    return Reject(file, sheet, row, column, value, reason_vi, reason_en, "warning")


@dataclass
class Slot:
    """One expected file of the year (one per khu for the per-khu files) and what stands for it."""

    file_key: str
    name: str  # the name the templates give it, e.g. "ban-ctmt-khu-2.xlsx"
    area: str | None = None  # the khu (area id) of a per-khu file
    workbook: Path | None = None  # the workbook, or a CSV that stands for the whole file
    sheets: dict[str, Path] = field(default_factory=dict)  # folded sheet name → "<file>--<sheet>.csv"

    def paths(self) -> list[Path]:
        return sorted([*([self.workbook] if self.workbook else []), *self.sheets.values()])


@dataclass
class Declared:
    """What ``thong-tin-bao-cao.yml`` says the year has not: khu with no activity, files not sent."""

    areas: dict[str, str] = field(default_factory=dict)  # area id → as written
    files: set[str] = field(default_factory=set)  # file names, e.g. "chi-tieu.xlsx"


@dataclass
class FolderPlan:
    slots: list[Slot]
    problems: list[InputError]
    notes: list[Reject]

    def files_of(self, file_key: str) -> list[Path]:
        return sorted(p for s in self.slots if s.file_key == file_key for p in s.paths())


def read_declared(raw_dir: Path, reference: Reference, areas: tuple[Item, ...]) -> tuple[Declared, list[InputError]]:
    """What thong-tin-bao-cao.yml declares absent this year; an entry that names no khu or no
    expected file is an error. A file that cannot be read is baocao.narrative's to report."""
    declared = Declared()
    try:
        data = load_yaml(raw_dir / META_FILE, text=True) if (raw_dir / META_FILE).is_file() else {}
    except (ConfigError, UnicodeDecodeError):
        return declared, []
    if not isinstance(data, dict):
        return declared, []
    problems = []
    for key in (NO_ACTIVITY_KEY, NOT_SENT_KEY):
        entries = data.get(key) or []
        if isinstance(entries, str):
            entries = [entries]
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            problems.append(
                InputError(
                    Location(META_FILE, column=key),
                    f"'{key}' phải là danh sách các dòng chữ",
                    f"'{key}' must be a list of text lines",
                )
            )
            continue
        for entry in entries:
            if key == NO_ACTIVITY_KEY:
                area = _declared_area(entry, areas)
                if area is not None:
                    declared.areas[area.id] = entry
                    continue
                names = ", ".join(a.name for a in areas)
                problems.append(
                    InputError(
                        Location(META_FILE, column=key, value=entry),
                        f"'{entry}' không chỉ rõ một khu của đơn vị ({names})",
                        f"'{entry}' does not name one of the unit's areas ({names})",
                    )
                )
            else:
                single = [f.pattern for f in reference.files.values() if "*" not in f.pattern]
                match = next((n for n in single if name_key(Path(n).stem) == name_key(Path(entry).stem)), None)
                if match is not None:
                    declared.files.add(match)
                    continue
                problems.append(
                    InputError(
                        Location(META_FILE, column=key, value=entry),
                        f"'{entry}' không phải tệp số liệu nào ({', '.join(single)}); khu không hoạt động ghi ở "
                        f"'{NO_ACTIVITY_KEY}'",
                        f"'{entry}' is no input file ({', '.join(single)}); a khu with no activity goes under "
                        f"'{NO_ACTIVITY_KEY}'",
                    )
                )
    return declared, problems


def _declared_area(entry: str, areas: tuple[Item, ...]) -> Item | None:
    key = fold_key(entry)
    named = [a for a in areas if key in a.keys()]
    if len(named) == 1:
        return named[0]
    ref = area_reference(entry)
    if ref is None or len(ref.numbers) != 1:
        return None
    fits = [
        a
        for a in areas
        if (r := area_reference(a.name)) is not None and r.numbers == ref.numbers and ref.kind in (None, r.kind)
    ]
    return fits[0] if len(fits) == 1 else None


def _listing(raw_dir: Path) -> list[Path]:
    if not raw_dir.is_dir():
        return []
    return [
        p
        for p in sorted(raw_dir.iterdir())
        if p.is_file() and not p.name.startswith((".", "~$")) and p.name not in TEXT_FILES
    ]


def _split(path: Path, year: int | None = None) -> tuple[str, str | None]:
    """(folded base name, folded sheet name of a "<file>--<sheet>.csv", else None); the report
    ``year`` named in the name does not count ("mttq-phuong-2023" is "mttq-phuong")."""
    stem = without_year(path.stem, year) if year is not None else path.stem
    if path.suffix.lower() == ".csv" and "--" in stem:
        base, sheet = stem.split("--", 1)
        return name_key(base), fold_key(sheet)
    return name_key(stem), None


def _area_of(token: str, areas: tuple[Item, ...]) -> str:
    """The area a per-khu file names after its prefix ("2", "02", "khu-2", "ii"), else the token."""
    number = (area_number(token) or area_number(f"khu {token}")) if token else None
    for area in areas:
        if token in (fold_key(area.id), fold_key(area.name)) or (
            number is not None and area_number(area.name) == number
        ):
            return area.id
    return token


def plan_folder(
    raw_dir: Path, reference: Reference, areas: tuple[Item, ...], declared: Declared, year: int | None = None
) -> FolderPlan:
    """Which file stands for which expected input, with the problems and remarks that go with it.

    A file whose name names another year than ``year`` (and not ``year``) is that year's data:
    it is not read, and a warning names it."""
    plan = FolderPlan([], [], [])
    present = _listing(raw_dir)
    if year is not None:
        present = [p for p in present if not _of_another_year(plan, p, year)]
    candidates: dict[tuple[str, str | None], list[Path]] = {}
    for key, spec in reference.files.items():
        stem = spec.pattern.rsplit(".", 1)[0]
        prefix, star, _tail = stem.partition("*")
        prefix_key = name_key(prefix)
        for path in present:
            base, _sheet = _split(path, year)
            if star and base.startswith(prefix_key) and len(base) > len(prefix_key):
                candidates.setdefault((key, _area_of(base[len(prefix_key) :], areas)), []).append(path)
            elif not star and base == prefix_key:
                candidates.setdefault((key, None), []).append(path)
    for key, spec in reference.files.items():
        slots: list[str | None] = sorted(a for k, a in candidates if k == key)  # type: ignore[type-var]
        if "*" in spec.pattern:
            expected: list[str | None] = [a.id for a in areas]
            slots = expected + [a for a in slots if a not in expected]
        else:
            slots = [None]
        prefix_key = name_key(spec.pattern.rsplit(".", 1)[0].split("*", 1)[0])
        near = [p for p in present if prefix_key and _split(p, year)[0].startswith(prefix_key)]
        for area in slots:
            paths = candidates.get((key, area), [])
            slot = _make_slot(plan, key, spec.pattern, area, areas, paths, declared, near if area is None else [])
            if slot is not None:
                plan.slots.append(slot)
    _unmatched(plan, present, candidates, reference)
    return plan


def _of_another_year(plan: FolderPlan, path: Path, year: int) -> bool:
    """Whether the file's name names only other years than the report year (a warning says so)."""
    named = years_named(path.stem)
    if not named or year in named:
        return False
    shown = ", ".join(str(y) for y in sorted(named))
    plan.notes.append(
        warning(
            path.name,
            "",
            f"tên tệp ghi năm {shown}, không phải năm báo cáo {year}: đây là số liệu của năm khác nên không được "
            f"đọc; hãy chuyển tệp ra khỏi thư mục của năm {year} (nếu số liệu đúng là năm {year}, đổi tên tệp)",
            f"the file name says {shown}, not the report year {year}: another year's data, so it is not read; "
            f"move it out of the {year} folder (if the data is {year}'s, rename the file)",
            value=path.name,
        )
    )
    return True


def _canonical(pattern: str, area: str | None, areas: tuple[Item, ...]) -> str:
    if area is None:
        return pattern
    item = next((a for a in areas if a.id == area), None)
    number = area_number(item.name) if item is not None else None
    return pattern.replace("*", str(number) if number is not None else area)


def _make_slot(
    plan: FolderPlan,
    key: str,
    pattern: str,
    area: str | None,
    areas: tuple[Item, ...],
    paths: list[Path],
    declared: Declared,
    near: list[Path],
) -> Slot | None:
    name = _canonical(pattern, area, areas)
    area_item = next((a for a in areas if a.id == area), None)
    workbooks = [p for p in paths if _split(p)[1] is None]
    readable = [p for p in workbooks if p.suffix.lower() in READABLE_SUFFIXES]
    sheet_csvs = [p for p in paths if _split(p)[1] is not None]
    if not _present_as_declared(plan, name, area, paths, declared, area_item, near):
        return None
    if not _one_readable_workbook(plan, name, workbooks, readable):
        return None
    return _slot(plan, key, name, area, readable, sheet_csvs)


def _present_as_declared(
    plan: FolderPlan,
    name: str,
    area: str | None,
    paths: list[Path],
    declared: Declared,
    area_item: Item | None,
    near: list[Path],
) -> bool:
    """Whether the file is there and thong-tin-bao-cao.yml does not say it is absent: a file
    declared absent but present is a problem; one declared absent and absent a note; one
    absent and not declared a problem naming the near names found."""
    said = (area is not None and area in declared.areas) or (area is None and name in declared.files)
    if said and paths:
        what = f"khu '{declared.areas[area]}'" if area is not None else f"tệp '{name}'"
        plan.problems.append(
            InputError(
                Location(paths[0].name),
                f"thong-tin-bao-cao.yml khai báo {what} không có số liệu năm nay, nhưng thư mục có "
                f"{', '.join(repr(p.name) for p in paths)}",
                f"thong-tin-bao-cao.yml says {what.replace('tệp', 'file')} has no data this year, but the folder holds "
                f"{', '.join(repr(p.name) for p in paths)}",
                hint_vi="xóa khai báo đó trong thong-tin-bao-cao.yml, hoặc chuyển tệp ra khỏi thư mục",
                hint_en="remove that line from thong-tin-bao-cao.yml, or move the file out of the folder",
            )
        )
        return False
    if not paths:
        if said:
            what_vi = f"{declared.areas[area]} không có hoạt động" if area is not None else f"không có tệp '{name}'"
            what_en = f"{declared.areas[area]} had no activity" if area is not None else f"no file '{name}'"
            plan.notes.append(
                warning(
                    name,
                    "",
                    f"theo thong-tin-bao-cao.yml, năm nay {what_vi}; báo cáo không có các số liệu này",
                    f"thong-tin-bao-cao.yml says {what_en} this year; the report has none of these figures",
                )
            )
        else:
            plan.problems.append(_missing(name, area_item, near))
        return False
    return True


def _one_readable_workbook(plan: FolderPlan, name: str, workbooks: list[Path], readable: list[Path]) -> bool:
    """Not two workbooks for one file (none is read then), nor one that cannot be read."""
    if len(workbooks) > 1:
        shown = ", ".join(repr(p.name) for p in workbooks)
        plan.problems.append(
            InputError(
                Location(name),
                f"có {len(workbooks)} tệp cùng là '{name}': {shown}; không biết tệp nào đúng nên không đọc tệp nào",
                f"{len(workbooks)} files all stand for '{name}': {shown}; which one is right is unknown, so none is read",
                hint_vi=f"giữ lại một tệp (bản đúng, đặt tên '{name}') và chuyển các tệp kia ra khỏi thư mục",
                hint_en=f"keep one file (the right one, named '{name}') and move the others out of the folder",
            )
        )
        return False
    if workbooks and not readable:
        plan.problems.append(
            InputError(
                Location(name),
                f"thiếu tệp số liệu '{name}'; trong thư mục có {workbooks[0].name!r} nhưng không đọc được vì sai định dạng",
                f"the input file '{name}' is missing; the folder holds {workbooks[0].name!r}, which cannot be read "
                "(wrong format)",
                hint_vi=f"lưu tệp dạng Excel Workbook (.xlsx) hoặc CSV UTF-8, đặt đúng tên '{name}'",
                hint_en=f"save it as an Excel Workbook (.xlsx) or CSV UTF-8, named '{name}'",
            )
        )
        return False
    return True


def _slot(
    plan: FolderPlan, key: str, name: str, area: str | None, readable: list[Path], sheet_csvs: list[Path]
) -> Slot:
    """The file's slot: its workbook, or its sheets as CSV files (one each), and a note for
    a name that differs from the standard one."""
    slot = Slot(key, name, area, readable[0] if readable else None)
    for path in sheet_csvs:
        sheet = _split(path)[1] or ""
        if sheet in slot.sheets:
            shown = f"{slot.sheets[sheet].name!r}, {path.name!r}"
            plan.problems.append(
                InputError(
                    Location(path.name),
                    f"hai tệp CSV cho cùng một sheet: {shown}",
                    f"two CSV files for the same sheet: {shown}",
                    hint_vi="giữ lại một tệp và chuyển tệp kia ra khỏi thư mục",
                    hint_en="keep one of them and move the other out of the folder",
                )
            )
            continue
        slot.sheets[sheet] = path
    for path in slot.paths():
        expected = name if _split(path)[1] is None else None
        if expected and path.name != expected and path.suffix.lower() == Path(expected).suffix.lower():
            plan.notes.append(
                warning(
                    path.name,
                    "",
                    f"tên tệp khác tên chuẩn '{expected}'; đã đọc tệp này là '{expected}', hãy đổi tên",
                    f"the file name differs from '{expected}'; read as '{expected}', please rename it",
                )
            )
    return slot


def _missing(name: str, area: Item | None, near: list[Path]) -> InputError:
    if near:
        shown = ", ".join(repr(p.name) for p in near)
        return InputError(
            Location(name),
            f"thiếu tệp số liệu '{name}'; trong thư mục có {shown} nhưng không đọc được vì sai tên hoặc sai định dạng",
            f"the input file '{name}' is missing; the folder holds {shown}, which cannot be read (wrong name or "
            "format)",
            hint_vi=f"lưu tệp dạng Excel Workbook (.xlsx) hoặc CSV UTF-8, đặt đúng tên '{name}'",
            hint_en=f"save it as an Excel Workbook (.xlsx) or CSV UTF-8, named '{name}'",
        )
    if area is not None:
        return InputError(
            Location(name),
            f"thiếu tệp số liệu '{name}' của {area.name}: báo cáo sẽ thiếu cả khu này",
            f"the input file '{name}' of {area.name} is missing: the report would leave the khu out",
            hint_vi=f"chép tệp của {area.name} vào thư mục (mẫu tạo bằng 'baocao new-year'); nếu năm nay khu không "
            f"có hoạt động, ghi 'khu_khong_hoat_dong: [\"{area.name}\"]' vào thong-tin-bao-cao.yml",
            hint_en=f"copy {area.name}'s file into the folder ('baocao new-year' makes the template); if the khu had "
            f"no activity this year, write 'khu_khong_hoat_dong: [\"{area.name}\"]' in thong-tin-bao-cao.yml",
        )
    return InputError(
        Location(name),
        f"thiếu tệp số liệu '{name}': báo cáo sẽ thiếu các số liệu của tệp này",
        f"the input file '{name}' is missing: the report would lack its figures",
        hint_vi=f"chép tệp vào thư mục (mẫu tạo bằng 'baocao new-year'); nếu năm nay không có tệp này, ghi "
        f"'tep_khong_gui: [\"{name}\"]' vào thong-tin-bao-cao.yml",
        hint_en=f"copy it into the folder ('baocao new-year' makes the template); if there is no such file this "
        f"year, write 'tep_khong_gui: [\"{name}\"]' in thong-tin-bao-cao.yml",
    )


def _unmatched(plan: FolderPlan, present: list[Path], candidates: dict, reference: Reference) -> None:
    matched = {p for paths in candidates.values() for p in paths}
    named = {n for e in plan.problems for n in re.findall(r"'([^']+)'", e.reason_vi)}
    expected = ", ".join(f.pattern for f in reference.files.values())
    for path in present:
        if path in matched or path.name in named:
            continue
        plan.notes.append(
            warning(
                path.name,
                "",
                f"tệp không được đọc: tên không khớp tệp số liệu nào ({expected})",
                f"file not read: its name matches no input file ({expected})",
            )
        )
