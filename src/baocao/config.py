"""The project: where things are, and the configuration read in one place.

``baocao.yml`` says who the unit is; ``data/reference/`` holds the input-format spec and the
catalogues; ``_quarto.yml`` says how the report looks (read by ``baocao.render.options``).
Every path the pipeline uses comes from :class:`Project`.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError, ProjectNotFoundError
from .indicators import load_indicators
from .textenc import fold_key
from .yamlfile import load_yaml

CONFIG_NAME = "baocao.yml"
#: Sheets of the office templates that hold no data: instructions and the drop-down lists.
AUX_SHEETS = ("Hướng dẫn", "Danh mục")


@dataclass(frozen=True)
class Item:
    """An entry of a catalogue, an area (khu) or an organisation."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def keys(self) -> set[str]:
        return {fold_key(s) for s in (self.id, self.name, *self.aliases) if s}


class Catalogue:
    """Allowed values of one category column, matched by folded name, id or alias."""

    def __init__(self, name: str, items: list[Item]):
        self.name = name
        self.items = items
        self._by_key: dict[str, Item] = {}
        for item in items:
            for key in item.keys():
                other = self._by_key.get(key)
                if other is not None and other.id != item.id:
                    raise ConfigError(
                        f"danh mục '{name}': '{key}' vừa là {other.id} vừa là {item.id}",
                        f"catalogue '{name}': '{key}' names both {other.id} and {item.id}",
                    )
                self._by_key[key] = item
        self.by_id = {item.id: item for item in items}

    def match(self, text: str) -> Item | None:
        return self._by_key.get(fold_key(text))

    def names(self) -> list[str]:
        return [item.name for item in self.items]

    def __iter__(self):
        return iter(self.items)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    header: str
    type: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    catalogue: str | None = None
    min: float | None = 0
    whole_unit: bool = False
    any_year: bool = False
    default: str | None = None

    def header_keys(self) -> set[str]:
        return {fold_key(h) for h in (self.header, *self.aliases)}


@dataclass(frozen=True)
class SourceSpec:
    file: str  # key of Reference.files
    sheet: str
    sheet_aliases: tuple[str, ...] = ()

    def sheet_keys(self) -> set[str]:
        return {fold_key(s) for s in (self.sheet, *self.sheet_aliases)}


@dataclass(frozen=True)
class CheckSpec:
    rule: str
    vi: str
    en: str
    severity: str = "error"


@dataclass(frozen=True)
class TableSpec:
    name: str
    title_vi: str
    sources: tuple[SourceSpec, ...]
    columns: tuple[ColumnSpec, ...]
    checks: tuple[CheckSpec, ...] = ()
    one_row_per: str | None = None

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


@dataclass(frozen=True)
class FileSpec:
    key: str
    pattern: str
    title_vi: str
    from_vi: str

    def matches(self, name: str) -> bool:
        """Whether an input of the year's folder (as the tidy tables' ``source_input`` names it) is
        of this kind: the pattern, the same workbook saved as ``.xlsm``, or a CSV of the same name
        (``<stem>.csv``, ``<stem>--<sheet>.csv``): every form the year's reader accepts."""
        import fnmatch

        name = name.lower()
        stem = self.pattern.rsplit(".", 1)[0].lower()
        forms = (self.pattern.lower(), stem + ".xlsx", stem + ".xlsm", stem + ".csv", stem + "--*.csv")
        return any(fnmatch.fnmatch(name, p) for p in forms)


class Reference:
    """data/reference/: the input-format spec, catalogues and the declared figures.

    ``declared`` holds every figure of indicators.yml (in an order where a formula comes after
    the figures it uses), ``indicators`` the chỉ tiêu among them (in the order the report lists
    them; the codes chi-tieu.xlsx accepts), ``breakdowns`` the declared breakdown tables.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        from .configschema import check_reference

        spec, cats, _indicators = check_reference(folder)  # every problem of the three files at once
        self.files: dict[str, FileSpec] = {
            key: FileSpec(key=key, pattern=v["pattern"], title_vi=v["title_vi"], from_vi=v.get("from_vi", ""))
            for key, v in spec["files"].items()
        }
        self.catalogues: dict[str, Catalogue] = {
            name: Catalogue(name, [_item(e) for e in entries]) for name, entries in cats.items()
        }
        self.tables: dict[str, TableSpec] = {}
        for name, t in spec["tables"].items():
            columns = tuple(
                ColumnSpec(
                    name=c["name"],
                    header=c["header"],
                    type=c["type"],
                    aliases=tuple(c.get("aliases", ())),
                    required=c.get("required", True),
                    catalogue=c.get("catalogue"),
                    min=c.get("min", 0),
                    whole_unit=c.get("whole_unit", False),
                    any_year=c.get("any_year", False),
                    default=c.get("default"),
                )
                for c in t["columns"]
            )
            for col in columns:
                if col.type == "category" and col.catalogue not in self.catalogues and col.catalogue != "indicators":
                    raise ConfigError(
                        f"{folder / 'inputs.yml'}: bảng {name}, cột {col.name}: không có danh mục '{col.catalogue}'",
                        f"{folder / 'inputs.yml'}: table {name}, column {col.name}: no catalogue '{col.catalogue}'",
                    )
            self.tables[name] = TableSpec(
                name=name,
                title_vi=t["title_vi"],
                sources=tuple(
                    SourceSpec(s["file"], s["sheet"], tuple(s.get("sheet_aliases", ()))) for s in t["sources"]
                ),
                columns=columns,
                checks=tuple(CheckSpec(**c) for c in t.get("checks", ())),
                one_row_per=t.get("one_row_per"),
            )
        self.indicators, self.declared, self.breakdowns = load_indicators(
            folder / "indicators.yml", self.tables, self.files
        )
        self.catalogues["indicators"] = Catalogue(
            "indicators", [Item(i.code, i.name, ()) for i in self.indicators.values()]
        )

    def catalogue_for(self, col: ColumnSpec) -> Catalogue:
        """The catalogue a category column takes its values from (checked when read above)."""
        if col.catalogue is None:
            raise KeyError(f"column {col.name!r} names no catalogue")
        return self.catalogues[col.catalogue]


def _item(entry: dict) -> Item:
    extra = {k: v for k, v in entry.items() if k not in ("id", "name", "aliases")}
    return Item(str(entry["id"]), str(entry["name"]), tuple(str(a) for a in entry.get("aliases") or ()), extra)


@dataclass(frozen=True)
class MemberRef:
    """A member of an aggregate unit (baocao.aggregate): its id, and what the aggregate declares
    of it (its public key, the dates it was formed or ceased); the rest comes from its bag."""

    id: str
    name: str = ""
    key: str = ""  # path of the member's public key, relative to the project
    valid_from: str = ""
    valid_to: str = ""
    merged_into: str = ""


def _member(entry: object) -> MemberRef:
    if isinstance(entry, dict):
        return MemberRef(**{k: str(v) for k, v in entry.items() if v is not None})
    return MemberRef(str(entry))


@dataclass(frozen=True)
class UnitConfig:
    id: str
    name: str
    short_name: str
    body_parent: str
    body_name: str
    place: str
    ward: str
    city: str
    province: str
    symbol: str
    default_year: int
    compare_years: int
    areas: tuple[Item, ...]
    organisations: tuple[Item, ...]
    signer: dict
    recipients: tuple[str, ...]
    data: str = ""  # source folder relative to the project; "" = data/raw
    predecessors: tuple[str, ...] = ()  # units merged into this one …
    valid_from: str = ""  # … on this date (ISO); earlier years compare with their sum
    merged_into: str = ""
    valid_to: str = ""
    kind: str = "ward"  # "aggregate": compiled from its members' reports (baocao.aggregate)
    members: tuple[MemberRef, ...] = ()
    raw: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_aggregate(self) -> bool:
        return self.kind == "aggregate"

    @classmethod
    def from_dict(cls, unit: dict, defaults: dict, path: Path) -> UnitConfig:
        merged = {**defaults, **unit}
        try:
            return cls(
                id=str(merged["id"]),
                name=merged["name"],
                short_name=merged.get("short_name", merged["name"]),
                body_parent=merged["body_parent"],
                body_name=merged["body_name"],
                place=merged["place"],
                ward=merged.get("ward", ""),
                city=merged.get("city", ""),
                province=merged.get("province", ""),
                symbol=merged.get("symbol", "BC-MTTQ-BTT"),
                default_year=int(merged.get("default_year", 0)),
                compare_years=int(merged.get("compare_years", 3)),
                areas=tuple(
                    _item(a)
                    for a in (merged.get("areas") or () if unit.get("kind") == "aggregate" else merged["areas"])
                ),
                organisations=tuple(_item(o) for o in merged.get("organisations") or ()),
                signer=dict(merged.get("signer") or {}),
                recipients=tuple(merged.get("recipients") or ()),
                data=str(merged.get("data", "")),
                predecessors=tuple(merged.get("predecessors") or ()),
                valid_from=str(merged.get("valid_from", "") or ""),
                merged_into=str(merged.get("merged_into", "") or ""),
                valid_to=str(merged.get("valid_to", "") or ""),
                kind=str(unit.get("kind") or "ward"),
                members=tuple(_member(m) for m in unit.get("members") or ()),
                raw=merged,
            )
        except (KeyError, TypeError) as exc:
            raise ConfigError(
                f"{path}: đơn vị '{merged.get('id', '?')}' thiếu khóa {exc} hoặc sai kiểu dữ liệu",
                f"{path}: unit '{merged.get('id', '?')}' misses key {exc} or has a wrong type",
                hint_vi="so sánh với baocao.yml mẫu trong kho mã",
                hint_en="compare with the sample baocao.yml in the repository",
            ) from None

    @classmethod
    def load(cls, path: Path) -> UnitConfig:
        """The single unit of a baocao.yml with a `unit:` block."""
        return load_units(path)[0]

    @functools.cached_property
    def area_catalogue(self) -> Catalogue:
        return Catalogue("areas", list(self.areas))

    @functools.cached_property
    def org_catalogue(self) -> Catalogue:
        return Catalogue("organisations", list(self.organisations))


_UNIT_DEFAULT_KEYS = (
    "areas",
    "organisations",
    "signer",
    "recipients",
    "default_year",
    "compare_years",
    "symbol",
    "body_parent",
    "province",
    "city",
)


def load_units(path: Path) -> list[UnitConfig]:
    """Units of baocao.yml: one `unit:` block, or a `units:` list (a province analyst's wards).

    Top-level keys (areas, organisations, signer, recipients, …) and a `unit:` block next to
    `units:` are defaults that every unit of the list may override.
    """
    from .configschema import BaocaoFile, load_checked

    data, _model = load_checked(path, BaocaoFile)
    defaults = {k: data[k] for k in _UNIT_DEFAULT_KEYS if k in data and data[k] is not None}
    if "units" in data:
        defaults.update(data.get("unit") or {})
        units = [UnitConfig.from_dict(u, defaults, path) for u in data["units"] or ()]
    elif "unit" in data:
        units = [UnitConfig.from_dict(data["unit"], defaults, path)]
    else:
        raise ConfigError(f"{path}: thiếu khối 'unit:' hoặc 'units:'", f"{path}: no 'unit:' or 'units:' block")
    ids = [u.id for u in units]
    for u in units:
        if u.is_aggregate != bool(u.members):
            raise ConfigError(
                f"{path}: đơn vị '{u.id}': 'kind: aggregate' đi cùng danh sách 'members:' (các đơn vị thành viên)",
                f"{path}: unit '{u.id}': 'kind: aggregate' goes with a 'members:' list (its member units)",
                hint_vi="thêm 'kind: aggregate' và 'members: [mã-đơn-vị, …]', hoặc bỏ cả hai",
                hint_en="give both 'kind: aggregate' and 'members: [unit-id, …]', or neither",
            )
        if ids.count(u.id) > 1:
            raise ConfigError(f"{path}: mã đơn vị '{u.id}' bị lặp", f"{path}: unit id '{u.id}' appears twice")
        for other in (*u.predecessors, *([u.merged_into] if u.merged_into else [])):
            if other not in ids:
                raise ConfigError(
                    f"{path}: đơn vị '{u.id}' nhắc tới đơn vị '{other}' không có trong danh sách",
                    f"{path}: unit '{u.id}' refers to unknown unit '{other}'",
                )
    return units


class BuildFiles:
    """The names of what a year's build writes, relative to its folder (``build/<year>/``, or
    the staging copy it is made in): the one place they are written. The step table
    (:mod:`baocao.steps`) declares each step's outputs with them, and every reader finds
    them here. ``{year}`` stands for the year."""

    REPORT = "bao-cao-{year}"  # + .qmd (composed), .html, .pdf, .docx
    QUALITY = "chat-luong-so-lieu-{year}.html"  # the data-quality record
    METRICS = "metrics.json"
    MANIFEST = "manifest.json"
    STATE = ".baocao-state.json"  # each step's key and output hashes (incremental builds)
    DATA = "data"  # the tidy tables, rejects, warnings and row accounting
    FIGURES = "figures"
    NOTEBOOKS = "notebooks"  # the executed notebooks
    # in DATA, beside the tidy tables (one CSV per table of the schema):
    REJECTS = "rejects.csv"  # every row or cell left out, and why
    WARNINGS = "warnings.csv"
    ACCOUNTING = "accounting.csv"  # rows read, kept, rejected, blank, totals: per file and sheet
    RECONCILIATION = "reconciliation.csv"  # each sheet's own total rows against the rows kept

    @staticmethod
    def report(year: int, suffix: str) -> str:
        """``bao-cao-<year><suffix>``, e.g. ``report(2023, ".pdf")``."""
        return BuildFiles.REPORT.format(year=year) + suffix

    @staticmethod
    def quality(year: int) -> str:
        return BuildFiles.QUALITY.format(year=year)


@dataclass(frozen=True)
class Project:
    """Where everything is. ``root`` holds baocao.yml; ``build_root`` defaults to root/build.

    With several units in baocao.yml, :meth:`for_unit` narrows the project to one of them: its
    raw data in ``data/raw/<unit>/<year>/`` (or the unit's ``data:``) and its builds in
    ``build/<unit>/<year>/``. A single-unit project keeps ``data/raw/<year>`` and ``build/<year>``.
    """

    root: Path
    build_root: Path
    unit_id: str | None = None

    @classmethod
    def find(cls, start: Path | None = None, build_root: Path | None = None) -> Project:
        start = Path(start or Path.cwd()).resolve()
        for folder in (start, *start.parents):
            if (folder / CONFIG_NAME).is_file():
                return cls(folder, Path(build_root).resolve() if build_root else folder / "build")
        raise ProjectNotFoundError(
            f"đây không phải thư mục dự án baocao: không có {CONFIG_NAME} trong {start} hay các thư mục cha",
            f"this is not a baocao project: no {CONFIG_NAME} in {start} or its parents",
            hint_vi=f"chuyển vào thư mục dự án (nơi có {CONFIG_NAME}: cd THƯ_MỤC_DỰ_ÁN), "
            "hoặc dùng --project THƯ_MỤC_DỰ_ÁN",
            hint_en=f"change into the project folder (the one that holds {CONFIG_NAME}: cd PROJECT_DIR), "
            "or pass --project PROJECT_DIR",
        )

    #: Folders of a project a build reads and never writes (with each unit's raw data folder).
    INPUT_FOLDERS = ("data", "notebooks", "report", "src", "scripts", "tests", ".git")

    def check_build_root(self) -> None:
        """A build folder (``--build-dir``) that is the project's own folder or lies inside
        what a build reads (``data/raw``, ``data/reference``, the notebooks, the templates, the
        code) is refused, naming that folder: the build would write into its own inputs, and
        the next build would read what it wrote."""
        from .errors import UsageError

        build, root = self.build_root.resolve(), self.root.resolve()
        folders = [root / "data" / "reference"]
        try:  # the most specific first: each unit's raw data, then the project's folders
            folders = [(root / (u.data or "data/raw")).resolve() for u in self.all_units] + folders
        except ConfigError:
            folders.insert(0, root / "data" / "raw")  # baocao.yml itself is wrong: the command says so next
        folders += [root / name for name in self.INPUT_FOLDERS]
        inside = next((f for f in folders if build == f or build.is_relative_to(f)), None)
        if build != root and inside is None:
            return
        named = self.rel(inside if inside is not None else root)
        raise UsageError(
            f"--build-dir {self.rel(build)} nằm trong '{named}', nơi chứa đầu vào của bản dựng "
            "(số liệu gốc, danh mục, sổ tay, mẫu báo cáo hay mã nguồn): bản dựng không được ghi vào đó",
            f"--build-dir {self.rel(build)} lies in '{named}', which holds what a build reads (raw data, "
            "reference, notebooks, templates or code): a build may not write there",
            hint_vi="bỏ --build-dir (mặc định: <dự án>/build) hoặc chọn một thư mục khác, ví dụ --build-dir build-thu",
            hint_en="drop --build-dir (default: <project>/build) or choose another folder, e.g. --build-dir build-test",
        )

    # units -----------------------------------------------------------------------------
    @functools.cached_property
    def all_units(self) -> list[UnitConfig]:
        return load_units(self.root / CONFIG_NAME)

    @functools.cached_property
    def multi_unit(self) -> bool:
        """Read once, like ``all_units`` (an aggregate asks it for each of its 100 members)."""
        return len(self.all_units) > 1 or "units" in (load_yaml(self.root / CONFIG_NAME) or {})

    def for_unit(self, unit_id: str) -> Project:
        if unit_id not in [u.id for u in self.all_units]:
            known = ", ".join(u.id for u in self.all_units)
            raise ConfigError(
                f"không có đơn vị '{unit_id}' trong {CONFIG_NAME} (có: {known})",
                f"no unit '{unit_id}' in {CONFIG_NAME} (known: {known})",
            )
        base = self.build_root.parent if self.unit_id and self.multi_unit else self.build_root
        return Project(self.root, base / unit_id if self.multi_unit else base, unit_id)

    def units(self) -> list[Project]:
        """One project per unit (a single-unit project returns itself)."""
        if not self.multi_unit:
            return [self]
        return [self.for_unit(u.id) for u in self.all_units]

    @functools.cached_property
    def unit(self) -> UnitConfig:
        units = self.all_units
        if self.unit_id is None:
            if len(units) > 1:
                raise ConfigError(
                    f"{CONFIG_NAME} khai báo {len(units)} đơn vị: hãy chọn một bằng --unit",
                    f"{CONFIG_NAME} declares {len(units)} units: choose one with --unit",
                )
            return units[0]
        return next(u for u in units if u.id == self.unit_id)

    def unit_fingerprint(self) -> str:
        import json

        return hashlib.sha256(json.dumps(self.unit.raw, sort_keys=True, default=str).encode()).hexdigest()

    def history_sources(self, year: int) -> list[Project]:
        """Whose data stands for this unit in an earlier ``year``: itself, or — before the
        date it was formed by merging others — the units merged into it, so that the
        year-over-year sections compare like with like."""
        unit = self.unit
        if unit.predecessors and unit.valid_from and year < int(unit.valid_from[:4]):
            return [self.for_unit(p) for p in unit.predecessors]
        return [self] if self.raw_dir(year).is_dir() else []

    # configuration -------------------------------------------------------------------
    @functools.cached_property
    def reference(self) -> Reference:
        return Reference(self.root / "data" / "reference")

    # inputs ----------------------------------------------------------------------------
    @property
    def raw_root(self) -> Path:
        if self.unit_id is not None and self.multi_unit:
            return self.root / (self.unit.data or f"data/raw/{self.unit.id}")
        return self.root / (self.unit.data or "data/raw")

    def raw_dir(self, year: int) -> Path:
        return self.raw_root / str(year)

    def years_available(self) -> list[int]:
        if not self.raw_root.is_dir():
            return []
        return sorted(int(p.name) for p in self.raw_root.iterdir() if p.is_dir() and p.name.isdigit())

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def report_dir(self) -> Path:
        return self.root / "report"

    # outputs ---------------------------------------------------------------------------
    def build_dir(self, year: int) -> Path:
        return self.build_root / str(year)

    def manifest_path(self, year: int) -> Path:
        return self.build_dir(year) / BuildFiles.MANIFEST

    def rel(self, path: Path) -> str:
        """A path for people to read, relative to the folder they stand in: ``build/2023/…``
        in the project, ``../build/2023/…`` in its ``data/``, ``binh-ngoc/build/2023/…`` above
        it; absolute when neither the path nor the current folder is in the project."""
        import os

        path = Path(path).resolve()
        here = Path.cwd().resolve()
        if path.is_relative_to(here):
            return path.relative_to(here).as_posix()
        root = self.root.resolve()
        if path.is_relative_to(root) and here.is_relative_to(root):
            return Path(os.path.relpath(path, here)).as_posix()
        return path.as_posix()
