"""One declared schema per configuration and metadata file, checked before anything is built.

``baocao.yml``, ``data/reference/inputs.yml``, ``catalogues.yml``, ``indicators.yml``, a year's
``thong-tin-bao-cao.yml`` and the ``baocao:`` map of ``_quarto.yml`` are each described by a
pydantic model below. An unknown key is an error naming the file, its line, the key and the
close match (``requred`` → ``required``); so is a value of the wrong type or outside its
allowed values, and a required key that is missing. Every problem of a file is reported in
one message (:class:`~baocao.errors.ConfigProblems`). A default applies only where a model
declares the key optional, never because a key was misspelt.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from .errors import ConfigProblem, ConfigProblems
from .yamlfile import Lines, load_yaml_lines


def _as_text(value: object) -> object:
    """An identifier or date YAML read as a number or a date, as the text typed."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


Text = Annotated[str, BeforeValidator(_as_text)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=True)


# ---------------------------------------------------------------------------- baocao.yml
class ItemDecl(_Schema):
    id: Text
    name: str
    aliases: list[Text] = []
    short: str | None = None


class SignerDecl(_Schema):
    on_behalf: str = ""
    title: str = ""
    name: str = ""


class _UnitDefaults(_Schema):
    """What a unit holds and the top level of baocao.yml may give every unit by default."""

    areas: list[ItemDecl] | None = None
    organisations: list[ItemDecl] | None = None
    signer: SignerDecl | None = None
    recipients: list[str] | None = None
    default_year: int | None = None
    compare_years: int | None = Field(None, ge=0, le=50)
    symbol: str | None = None
    body_parent: str | None = None
    province: str | None = None
    city: str | None = None


class MemberDecl(_Schema):
    """A member of an aggregate unit given with more than its id (baocao.aggregate)."""

    id: Text
    name: str | None = None
    key: str | None = None  # the member's public key (.pub), from the project folder
    valid_from: Text | None = None  # a member formed during a year (a merger's successor) …
    valid_to: Text | None = None  # … or one that ceased (a merged ward)
    merged_into: Text | None = None


class UnitDecl(_UnitDefaults):
    id: Text | None = None  # required once merged with the defaults (config.UnitConfig)
    # --- an aggregate unit (baocao.aggregate): a city's or province's report compiled from its members'
    kind: Literal["ward", "aggregate"] | None = None
    members: list[Text | MemberDecl] | None = None
    name: str | None = None
    short_name: str | None = None
    body_name: str | None = None
    place: str | None = None
    ward: str | None = None
    data: str | None = None
    predecessors: list[Text] | None = None
    valid_from: Text | None = None
    merged_into: Text | None = None
    valid_to: Text | None = None


class BaocaoFile(_UnitDefaults):
    unit: UnitDecl | None = None
    units: list[UnitDecl] | None = None


# ---------------------------------------------------------------------------- data/reference
ColumnType = Literal[
    "date", "month", "integer", "money", "number", "text", "area", "organisation", "category", "yesno", "year"
]


class FileDecl(_Schema):
    pattern: str
    title_vi: str
    from_vi: str = ""


class SourceDecl(_Schema):
    file: str
    sheet: str
    sheet_aliases: list[str] = []


class ColumnDecl(_Schema):
    name: str
    header: str
    type: ColumnType
    aliases: list[str] = []
    required: bool = True
    catalogue: str | None = None
    min: float | None = 0
    whole_unit: bool = False
    any_year: bool = False
    default: Text | None = None


class CheckDecl(_Schema):
    rule: str
    vi: str
    en: str
    severity: Literal["error", "warning"] = "error"


class TableDecl(_Schema):
    title_vi: str
    sources: list[SourceDecl]
    columns: list[ColumnDecl]
    checks: list[CheckDecl] = []
    one_row_per: str | None = None


class InputsFile(_Schema):
    files: dict[str, FileDecl]
    tables: dict[str, TableDecl]


class CatalogueEntry(_Schema):
    id: Text
    name: str
    aliases: list[Text] = []


class IndicatorDecl(_Schema):
    name: str
    unit: str
    kind: Literal["count", "money", "percent", "number"]
    direction: Literal["higher", "lower"]
    definition: str
    short: str = ""
    text: str = "{value}"
    decimals: int = Field(0, ge=0, le=6)
    table: str | None = None
    files: list[str] = []
    where: dict[str, Any] = {}
    aggregate: Literal["sum", "count", "nunique"] | None = None
    column: str | None = None
    fill: list[str] = []
    scale: float = 1
    formula: str | None = None
    rollup: Literal["sum", "formula", "opening", "closing", "none"] | None = None  # baocao.aggregate


class BreakdownDecl(_Schema):
    by: str
    indicators: list[str]
    title: str = ""


class IndicatorsFile(_Schema):
    chi_tieu: list[str]
    indicators: dict[str, IndicatorDecl]
    breakdowns: dict[str, BreakdownDecl] = {}


# ---------------------------------------------------------------------------- the year's metadata
_TextList = Annotated[list[str], BeforeValidator(lambda v: [v] if isinstance(v, str) else v)]


class MetaSigner(_Schema):
    thay_mat: str = ""
    chuc_vu: str = ""
    ho_ten: str = ""


class MetaSigning(_Schema):
    """``ky_so:``: the images `baocao sign` puts on the signature block (paths from the project)."""

    anh_chu_ky: str = ""
    anh_con_dau: str = ""


class EstimateDecl(_Schema):
    """One figure of ``uoc_thuc_hien:``, estimated to 31/12 by a declared rule (baocao.estimates)."""

    quy_tac: Literal["ke_hoach_con_lai", "ty_le_thoi_gian", "giu_nguyen"]
    con_lai: Text = ""  # ke_hoach_con_lai: planned after the cut-off to 31/12, in the figure's unit
    can_cu: str = ""  # what that plan rests on, stated in the report


class MetaFile(_Schema):
    """thong-tin-bao-cao.yml (read as text: every value a string). Without ``nguoi_ky`` or
    ``noi_nhan`` the unit's signer and recipients of baocao.yml are used."""

    so: str
    ngay_bao_cao: str
    ngay_chot_so_lieu: str = ""  # the data cut-off (narrative.load_meta; default: the report's date)
    hoi_nghi: str = ""
    nhiem_ky: str = ""
    nguoi_ky: MetaSigner | None = None
    noi_nhan: list[str] | None = None
    khu_khong_hoat_dong: _TextList | None = None
    tep_khong_gui: _TextList | None = None
    ky_so: MetaSigning | None = None
    uoc_thuc_hien: dict[Text, EstimateDecl] | None = None  # estimates to 31/12 (baocao.estimates)


# ---------------------------------------------------------------------------- _quarto.yml
#: An output format as render/options.py reads it: "HTML" is html (a case is no typo).
_Format = Annotated[Literal["html", "pdf", "docx"], BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v)]


class QuartoBaocao(_Schema):
    """The ``baocao:`` map of _quarto.yml (render/options.py reads it)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=True)

    formats: list[_Format] | None = None
    pdf_standard: str | None = Field(None, alias="pdf-standard")
    fonts: list[str] | None = None
    html_template: str | None = Field(None, alias="html-template")
    typst_template: str | None = Field(None, alias="typst-template")


# ---------------------------------------------------------------------------- checking
M = TypeVar("M", bound=BaseModel)

_VI = {
    "missing": "thiếu khóa bắt buộc",
    "string_type": "phải là một dòng chữ",
    "int_type": "phải là một số nguyên",
    "int_parsing": "phải là một số nguyên",
    "int_from_float": "phải là một số nguyên",
    "float_type": "phải là một số",
    "float_parsing": "phải là một số",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "list_type": "phải là một danh sách",
    "dict_type": "phải là một bảng khóa: giá trị",
    "model_type": "phải là một bảng khóa: giá trị",
    "model_attributes_type": "phải là một bảng khóa: giá trị",
    "literal_error": "giá trị không được phép",
    "greater_than_equal": "giá trị quá nhỏ",
    "less_than_equal": "giá trị quá lớn",
}


def _unwrap(annotation: Any) -> Any:
    """The model, list or dict inside an optional / annotated type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            structured = [a for a in args if typing.get_origin(a) in (list, dict) or _is_model(a)]
            annotation = structured[0] if structured else args[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _keys_at(schema: Any, loc: tuple) -> list[str]:
    """The keys the schema allows in the mapping at ``loc`` (for "did you mean")."""
    annotation: Any = schema
    for part in loc:
        annotation = _unwrap(annotation)
        if _is_model(annotation):
            fields = {f.alias or name: f for name, f in annotation.model_fields.items()}
            if part not in fields:
                return []
            annotation = fields[part].annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        elif typing.get_origin(annotation) is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return []
    annotation = _unwrap(annotation)
    return [f.alias or name for name, f in annotation.model_fields.items()] if _is_model(annotation) else []


def _line(lines: Lines, loc: tuple) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:59] + "…"


def _problem(error: Any, schema: Any, lines: Lines, prefix: tuple) -> ConfigProblem:
    loc = prefix + tuple(error["loc"])
    key = ".".join(str(p) for p in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        allowed = _keys_at(schema, tuple(error["loc"])[:-1])
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        known = ", ".join(allowed)
        if close:
            vi = f"khóa không biết '{name}': ý bạn là '{close[0]}'? (các khóa được dùng: {known})"
            en = f"unknown key '{name}': did you mean '{close[0]}'? (keys allowed: {known})"
        else:
            vi = f"khóa không biết '{name}' (các khóa được dùng: {known})"
            en = f"unknown key '{name}' (keys allowed: {known})"
        return ConfigProblem(_line(lines, loc), key, vi, en)
    if kind == "missing":
        return ConfigProblem(_line(lines, loc[:-1]), key, _VI[kind], "required key is missing")
    value = _shown(error.get("input"))
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        close = difflib.get_close_matches(str(error.get("input")), options, n=1, cutoff=0.6)
        maybe_vi = f"; ý bạn là '{close[0]}'?" if close else ""
        maybe_en = f"; did you mean '{close[0]}'?" if close else ""
        listed = ", ".join(options)
        vi = f"{loc[-1]} phải là một trong: {listed} (giá trị {value}{maybe_vi})"
        return ConfigProblem(_line(lines, loc), key, vi, f"{loc[-1]} must be one of {listed} (value {value}{maybe_en})")
    vi = f"{_VI.get(kind, 'giá trị không hợp lệ')} (giá trị {value}; {error['msg']})"
    return ConfigProblem(_line(lines, loc), key, vi, f"{error['msg']} (value {value})")


def _misspelt(error: Any, errors: list, schema: Any) -> bool:
    """A required key reported missing because it was misspelt: the unknown key's problem
    names it as the close match, so it is not said twice."""
    if error["type"] != "missing":
        return False
    parent, name = tuple(error["loc"][:-1]), error["loc"][-1]
    allowed = _keys_at(schema, parent)
    return any(
        e["type"] == "extra_forbidden"
        and tuple(e["loc"][:-1]) == parent
        and difflib.get_close_matches(str(e["loc"][-1]), allowed, n=1, cutoff=0.6) == [name]
        for e in errors
    )


def problems_of(data: object, lines: Lines, schema: Any, prefix: tuple = ()) -> list[ConfigProblem]:
    """What ``schema`` (a model, or a type such as ``list[Model]``) finds wrong in ``data``,
    whose lines ``lines`` gives with ``prefix`` before each path; in line order."""
    try:
        TypeAdapter(schema).validate_python(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        found = [_problem(e, schema, lines, prefix) for e in errors if not _misspelt(e, errors, schema)]
        return sorted(found, key=lambda p: (p.line or 0, p.key))
    return []


def check(file: str, data: object, lines: Lines, model: type[M], prefix: tuple = ()) -> M:
    """``data`` as the schema ``model``, or :class:`ConfigProblems` naming every problem."""
    problems = problems_of(data, lines, model, prefix)
    if problems:
        raise ConfigProblems(file, problems)
    return model.model_validate(data)


def load_checked(path: Path, model: type[M], *, text: bool = False) -> tuple[dict, M]:
    """A YAML file read (see :mod:`baocao.yamlfile`) and checked against ``model``: (the data
    as read, the model); :class:`ConfigProblems` names every problem of the file at once."""
    data, lines = load_yaml_lines(path, text=text)
    data = {} if data is None else data
    return data, check(Path(path).name, data, lines, model)


def check_reference(folder: Path) -> tuple[dict, dict, dict]:
    """data/reference/: inputs.yml, catalogues.yml and indicators.yml as read, every problem of
    the three named in one message."""
    read: list[dict] = []
    problems: list[ConfigProblem] = []
    schemas: tuple[tuple[str, Any], ...] = (
        ("inputs.yml", InputsFile),
        ("catalogues.yml", dict[str, list[CatalogueEntry]]),
        ("indicators.yml", IndicatorsFile),
    )
    for name, schema in schemas:
        data, lines = load_yaml_lines(folder / name)
        data = {} if data is None else data
        read.append(data)
        problems += [replace(p, file=name) for p in problems_of(data, lines, schema)]
    if problems:
        raise ConfigProblems(f"{folder.parent.name}/{folder.name}", problems)
    return read[0], read[1], read[2]
