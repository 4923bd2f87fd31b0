"""The project: where things are, and the configuration read in one place.

``baocao.yml`` says who the unit is; ``data/reference/`` holds the input-format spec and the
catalogues; ``_quarto.yml`` says how the report looks (read by ``baocao.render.options``).
Every path the pipeline uses comes from :class:`Project`.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .textenc import fold_key

CONFIG_NAME = "baocao.yml"


def load_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        raise ConfigError(
            f"không tìm thấy tệp {path}",
            f"file not found: {path}",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark else ""
        where_en = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(
            f"tệp {path} không đúng cú pháp YAML{where}: {getattr(exc, 'problem', exc)}",
            f"{path} is not valid YAML{where_en}: {getattr(exc, 'problem', exc)}",
            hint_vi="kiểm tra dấu hai chấm, thụt lề và dấu nháy ở dòng đó",
            hint_en="check the colon, indentation and quotes on that line",
        ) from None


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


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    direction: str  # "higher" or "lower" is better
    kind: str  # count | money | percent | number
    description: str


class Reference:
    """data/reference/: the input-format spec, catalogues and indicators."""

    def __init__(self, folder: Path):
        self.folder = folder
        spec = load_yaml(folder / "inputs.yml")
        cats = load_yaml(folder / "catalogues.yml")
        self.files: dict[str, FileSpec] = {
            key: FileSpec(key=key, pattern=v["pattern"], title_vi=v["title_vi"], from_vi=v.get("from_vi", ""))
            for key, v in spec["files"].items()
        }
        self.indicators: dict[str, Indicator] = {}
        with open(folder / "indicators.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                self.indicators[row["code"]] = Indicator(**row)
        self.catalogues: dict[str, Catalogue] = {
            name: Catalogue(name, [_item(e) for e in entries]) for name, entries in cats.items()
        }
        self.catalogues["indicators"] = Catalogue(
            "indicators", [Item(i.code, i.name, ()) for i in self.indicators.values()]
        )
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
                if col.type == "category" and col.catalogue not in self.catalogues:
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


def _item(entry: dict) -> Item:
    extra = {k: v for k, v in entry.items() if k not in ("id", "name", "aliases")}
    return Item(str(entry["id"]), str(entry["name"]), tuple(str(a) for a in entry.get("aliases") or ()), extra)


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

    @classmethod
    def load(cls, path: Path) -> "UnitConfig":
        data = load_yaml(path) or {}
        try:
            unit = data["unit"]
            return cls(
                id=str(unit["id"]),
                name=unit["name"],
                short_name=unit.get("short_name", unit["name"]),
                body_parent=unit["body_parent"],
                body_name=unit["body_name"],
                place=unit["place"],
                ward=unit.get("ward", ""),
                city=unit.get("city", ""),
                province=unit.get("province", ""),
                symbol=unit.get("symbol", "BC-MTTQ-BTT"),
                default_year=int(unit.get("default_year", 0)),
                compare_years=int(unit.get("compare_years", 3)),
                areas=tuple(_item(a) for a in data["areas"]),
                organisations=tuple(_item(o) for o in data.get("organisations", ())),
                signer=dict(data.get("signer", {})),
                recipients=tuple(data.get("recipients", ())),
            )
        except (KeyError, TypeError) as exc:
            raise ConfigError(
                f"{path}: thiếu khóa {exc} hoặc sai kiểu dữ liệu",
                f"{path}: missing key {exc} or wrong type",
                hint_vi="so sánh với baocao.yml mẫu trong kho mã",
                hint_en="compare with the sample baocao.yml in the repository",
            ) from None

    @functools.cached_property
    def area_catalogue(self) -> Catalogue:
        return Catalogue("areas", list(self.areas))

    @functools.cached_property
    def org_catalogue(self) -> Catalogue:
        return Catalogue("organisations", list(self.organisations))


@dataclass(frozen=True)
class Project:
    """Where everything is. ``root`` holds baocao.yml; ``build_root`` defaults to root/build."""

    root: Path
    build_root: Path

    @classmethod
    def find(cls, start: Path | None = None, build_root: Path | None = None) -> "Project":
        start = Path(start or Path.cwd()).resolve()
        for folder in (start, *start.parents):
            if (folder / CONFIG_NAME).is_file():
                return cls(folder, Path(build_root).resolve() if build_root else folder / "build")
        raise ConfigError(
            f"không tìm thấy {CONFIG_NAME} trong {start} hay các thư mục cha",
            f"no {CONFIG_NAME} in {start} or its parents",
            hint_vi="chạy lệnh trong thư mục dự án, hoặc dùng --project THƯ_MỤC",
            hint_en="run the command inside the project folder, or pass --project DIR",
        )

    # configuration -------------------------------------------------------------------
    @functools.cached_property
    def unit(self) -> UnitConfig:
        return UnitConfig.load(self.root / CONFIG_NAME)

    @functools.cached_property
    def reference(self) -> Reference:
        return Reference(self.root / "data" / "reference")

    # inputs ----------------------------------------------------------------------------
    @property
    def raw_root(self) -> Path:
        return self.root / "data" / "raw"

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

    def data_dir(self, year: int) -> Path:
        return self.build_dir(year) / "data"

    def figures_dir(self, year: int) -> Path:
        return self.build_dir(year) / "figures"

    def executed_notebooks_dir(self, year: int) -> Path:
        return self.build_dir(year) / "notebooks"

    def metrics_path(self, year: int) -> Path:
        return self.build_dir(year) / "metrics.json"

    def qmd_path(self, year: int) -> Path:
        return self.build_dir(year) / f"bao-cao-{year}.qmd"

    def output_path(self, year: int, fmt: str) -> Path:
        return self.build_dir(year) / f"bao-cao-{year}.{fmt}"

    def manifest_path(self, year: int) -> Path:
        return self.build_dir(year) / "manifest.json"

    def rel(self, path: Path) -> str:
        """A path for people to read: relative to the project (or the cwd) when possible."""
        path = Path(path).resolve()
        for base in (Path.cwd().resolve(), self.root):
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                continue
        return path.as_posix()
