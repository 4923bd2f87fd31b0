"""Cell conversion: one raw cell → its typed value, or the reasons it cannot be used.

Driven by ``data/reference/inputs.yml``: each column's type says how a cell is read
(:mod:`baocao.parse`), each catalogue what values are allowed. A khu, category or organisation
must name exactly one entry; a value that could mean several, or names a place of another kind
("Tổ 3" where the khu are "Khu 1"…), is rejected with the candidates, never guessed. Each
distinct value of a column is converted once.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from ..config import Catalogue, ColumnSpec, Project
from ..errors import CellError, LegacyEncodingError, Reject, ValueParseError, quote, show_value
from ..labels import AreaReference, area_reference, is_whole_unit
from ..parse import (
    excel_error,
    is_blank,
    parse_date,
    parse_integer,
    parse_money,
    parse_month,
    parse_number,
)
from ..prose import unprintable, unusual_at
from ..textenc import LEGACY_CHARS, VN_SPECIFIC, fix_text

WHOLE_UNIT = "toan-phuong"
LONG_TEXT = 1000


@dataclass
class CleanContext:
    """What converting a cell depends on besides the cell: the year, the unit, the catalogues."""

    year: int
    project: Project
    catalogues: dict[str, Catalogue]
    warnings: list[Reject] = field(default_factory=list)
    # (column spec, header, type, value) -> outcome of convert_cell: office data repeats its khu,
    # categories, dates and numbers, and a cell's conversion depends on nothing else
    cache: dict = field(default_factory=dict)
    #: the PDF's fonts and font folders (baocao.narrative.pdf_fonts), found when first needed
    fonts: tuple | None = None


_CACHE_LIMIT = 100_000
_UNCACHED = ("text",)  # free text is mostly unique: not worth remembering


# ---------------------------------------------------------------------------- cells
def _match_area(text: str, ctx: CleanContext, col: ColumnSpec) -> str:
    """The one khu ``text`` names; CellError, with the candidates, when it names none or several."""
    areas = ctx.project.unit.area_catalogue
    item = areas.match(text)
    if item is not None:
        return item.id
    if col.whole_unit and is_whole_unit(text):
        return WHOLE_UNIT
    names = ", ".join(a.name for a in areas)
    extra = " hoặc 'Toàn phường'" if col.whole_unit else ""
    extra_en = " or 'Toàn phường'" if col.whole_unit else ""
    shown = quote(text)
    ref = area_reference(text)
    if ref is not None:
        by_number = {n: [a for a in areas if _area_ref(a.name) and n in _area_ref(a.name).numbers] for n in ref.numbers}  # type: ignore[union-attr]
        fits = [a for n in ref.numbers for a in by_number[n] if ref.kind is None or ref.kind == _area_ref(a.name).kind]  # type: ignore[union-attr]
        if len(ref.numbers) == 1 and len(fits) == 1:
            return fits[0].id
        candidates = [a.name for n in ref.numbers for a in by_number[n]]
        if candidates:
            listed = ", ".join(dict.fromkeys(candidates))
            raise CellError(
                f"khu {shown} không chỉ rõ một khu dân cư của đơn vị (có thể là: {listed}); mỗi dòng ghi đúng "
                f"tên một khu ({names}{extra})",
                f"{shown} does not name exactly one of the unit's areas (it could be: {listed}); write the name "
                f"of one area on each row ({names}{extra_en})",
            )
    raise CellError(
        f"khu {shown} không có trong danh sách khu dân cư của đơn vị ({names}{extra})",
        f"unknown area {shown} (the unit's areas are {names}{extra_en})",
    )


@functools.lru_cache(maxsize=256)
def _area_ref(name: str) -> AreaReference | None:
    return area_reference(name)


def _match_catalogue(text: str, catalogue: Catalogue, header: str) -> str:
    item = catalogue.match(text)
    if item is None:
        allowed = "; ".join(catalogue.names())
        shown = quote(text)
        raise CellError(
            f"giá trị {shown} không có trong danh mục của cột '{header}' (được phép: {allowed})",
            f"{shown} is not an allowed value of column '{header}' (allowed: {allowed})",
        )
    return item.id


def convert_cell(value: object, col: ColumnSpec, ctx: CleanContext, header: str) -> object:
    """One cell to its typed value; ``None`` for an empty optional cell; CellError otherwise."""
    code = excel_error(value)
    if code:
        raise CellError(
            f"ô có lỗi công thức Excel {code}",
            f"the cell holds the Excel formula error {code}",
        )
    if is_blank(value):
        if col.required:
            raise CellError(
                f"thiếu giá trị ở cột bắt buộc '{header}'",
                f"missing value in required column '{header}'",
            )
        return col.default if col.default is not None else None
    if isinstance(value, str):
        value = _unicode_text(value, ctx, header)
    try:
        typed = _typed(value, col, ctx, header)
    except ValueParseError as exc:
        raise CellError(exc.reason_vi, exc.reason_en) from None
    if typed is _UNKNOWN:
        raise ValueError(f"unknown column type {col.type!r}")  # a bug in inputs.yml, caught by Reference
    return typed


_UNKNOWN = object()


def _unicode_text(value: str, ctx: CleanContext, header: str) -> str:
    """A text cell as Unicode (NFC, no stray spaces); text typed in a legacy Vietnamese
    encoding (TCVN3, VNI) converted, with a warning."""
    try:
        text, converted = fix_text(value)
    except LegacyEncodingError as exc:
        raise CellError(exc.reason_vi, exc.reason_en) from None
    if converted:
        ctx.warnings.append(
            Reject(
                "",
                "",
                None,
                header,
                value,
                f"đã chuyển văn bản từ bảng mã {converted.upper()} sang Unicode",
                f"text converted from {converted.upper()} to Unicode",
                "warning",
            )
        )
    return text


def _typed(value: object, col: ColumnSpec, ctx: CleanContext, header: str) -> object:
    """A non-empty cell as its column's type (``_UNKNOWN`` for a type this code does not know)."""
    kind = col.type
    if kind == "text":
        text = value if isinstance(value, str) else show_value(value)
        if len(text) > LONG_TEXT:
            ctx.warnings.append(
                Reject(
                    "",
                    "",
                    None,
                    header,
                    text[:60] + "…",
                    f"ô văn bản dài {len(text)} ký tự (giữ nguyên)",
                    f"a {len(text)}-character text cell (kept as is)",
                    "warning",
                )
            )
        return text
    if kind == "date":
        date = parse_date(value)
        if not col.any_year and date.year != ctx.year:
            raise CellError(
                f"ngày {date.strftime('%d/%m/%Y')} không thuộc năm báo cáo {ctx.year}",
                f"date {date.isoformat()} is outside the report year {ctx.year}",
            )
        return date
    if kind == "month":
        return parse_month(value, ctx.year)
    if kind == "year":
        number: float = parse_integer(value)
        if number not in (ctx.year, ctx.year + 1):
            raise CellError(
                f"năm {number} không phải năm báo cáo {ctx.year} hay năm sau {ctx.year + 1}",
                f"year {number} is neither the report year {ctx.year} nor the next {ctx.year + 1}",
            )
        return number
    if kind in ("integer", "money", "number"):
        parser = {"integer": parse_integer, "money": parse_money, "number": parse_number}[kind]
        number = parser(value)
        if col.min is not None and number < col.min:
            what = "số tiền âm" if kind == "money" else f"giá trị nhỏ hơn {col.min}"
            what_en = "a negative amount" if kind == "money" else f"a value below {col.min}"
            raise CellError(f"{what}: {show_value(value)}", f"{what_en}: {show_value(value)}")
        return number
    text = value if isinstance(value, str) else show_value(value)
    if kind == "area":
        return _match_area(text, ctx, col)
    if kind == "organisation":
        return _match_catalogue(text, ctx.project.unit.org_catalogue, header)
    if kind == "category":
        return _match_catalogue(text, ctx.catalogues[col.catalogue], header)  # type: ignore[index]
    if kind == "yesno":
        return _match_catalogue(text, ctx.catalogues["yesno"], header) == "yes"
    return _UNKNOWN


# Outcome of one distinct cell value: (ok, typed value, (reason_vi, reason_en) or None, warnings)
_Outcome = tuple


def _convert_one(value: object, col: ColumnSpec, ctx: CleanContext, header: str) -> _Outcome:
    cache = ctx.cache
    key = None
    if col.type not in _UNCACHED:
        key = (id(col), header, value.__class__, value)  # id: the same name may differ by table
        try:
            hit = cache.get(key)
        except TypeError:  # an unhashable cell value: convert it afresh
            hit, key = None, None
        if hit is not None:
            return hit
    before = len(ctx.warnings)
    try:
        outcome: tuple = (True, convert_cell(value, col, ctx, header), None)
    except CellError as exc:
        outcome = (False, None, (exc.reason_vi, exc.reason_en))
    new = tuple(ctx.warnings[before:])
    del ctx.warnings[before:]
    outcome = (*outcome, new)
    if key is not None and len(cache) < _CACHE_LIMIT:
        cache[key] = outcome
    return outcome


_PLAIN_TEXT_BAD = re.compile("[^\\S \n]|  | \n|\n |^ | $|\n#|^#|[\u200b\u200c\u200d\ufeff\u2060]")
_PLAIN_TEXT_BAD_CHAR = re.compile("[^\\S \n\u200b\u200c\u200d\ufeff\u2060]|[\u200b\u200c\u200d\ufeff\u2060]")
_LEGACY_RE = re.compile("[" + re.escape("".join(sorted(LEGACY_CHARS))) + "]")
_VN_SPECIFIC_RE = re.compile("[" + re.escape("".join(sorted(VN_SPECIFIC))) + "]")
_DIGITS = re.compile(r"[0-9]+|[1-9][0-9]{0,2}(?:\.[0-9]{3})+")


def _plain_texts(uniques: list) -> np.ndarray:
    """Which values are text that :func:`convert_cell` returns unchanged, with no remark.

    Such text is NFC, holds no whitespace but single inner spaces and no zero-width character,
    starts with no "#" (an Excel error), is not legacy-looking (no character of TCVN3/VNI, or a
    letter only Unicode Vietnamese has) and is not long. Anything else goes the slow way.
    """
    plain, idx, texts, joined = _plain_candidates(uniques)
    if not len(idx):
        return plain
    if joined.count("\n") != len(texts) - 1 or not unicodedata.is_normalized("NFC", joined):
        for i in idx:  # rare: check one by one
            u = uniques[i]
            plain[i] = "\n" not in u and unicodedata.is_normalized("NFC", u) and _PLAIN_TEXT_BAD.search(u) is None
        return plain
    # Every character the search looks for (white space but " " and line breaks, zero-width
    # characters) is unprintable, so text that is printable once spaces and line breaks are
    # taken out has none: the usual case, found without the search (a character at a time).
    if joined.replace(" ", "").replace("\n", "").isprintable():
        bad = []
    else:
        bad = [m.start() for m in _PLAIN_TEXT_BAD_CHAR.finditer(joined)]
    for sub in ("  ", " \n", "\n ", "\n#"):
        at = joined.find(sub)
        while at >= 0:
            bad.append(at)
            at = joined.find(sub, at + 1)
    if joined[:1] in (" ", "#"):
        bad.append(0)
    if joined.endswith(" "):
        bad.append(len(joined) - 1)
    if bad:
        bad.sort()
        ends = np.cumsum([len(t) + 1 for t in texts])  # position just after each text's separator
        plain[idx[np.searchsorted(ends, np.asarray(bad), side="right")]] = False
        # a match on a separator may belong to the text before it as well
        seps = [b for b in bad if joined[b] == "\n" or (b + 1 < len(joined) and joined[b + 1] == "\n")]
        if seps:
            plain[idx[np.clip(np.searchsorted(ends, np.asarray(seps), side="right") - 1, 0, None)]] = False
    return plain


def _plain_candidates(uniques: list) -> tuple[np.ndarray, np.ndarray, list, str]:
    """Which values are text of 1..LONG_TEXT characters that does not look legacy-encoded (the
    first test of :func:`_plain_texts`), their indices, those texts, and the texts joined by
    line breaks. Whole-column work: the lengths by ``map``, and one search for legacy
    characters over all the texts at once; only the texts it hits are looked at one by one."""
    n = len(uniques)
    values = np.empty(n, dtype=object)
    values[:] = uniques
    is_str = np.fromiter(map(type, uniques), dtype=object, count=n) == str
    at = np.flatnonzero(is_str)
    strings = values[at].tolist()
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    keep = (lengths > 0) & (lengths <= LONG_TEXT)
    at, lengths = at[keep], lengths[keep]
    strings = values[at].tolist() if not keep.all() else strings
    joined = "\n".join(strings)
    ok = np.ones(len(at), dtype=bool)
    if not joined.isascii():
        hits = [m.start() for m in _LEGACY_RE.finditer(joined)]
        if hits:
            ends = np.cumsum(lengths + 1)  # just after each text's separator
            for k in np.unique(np.searchsorted(ends, np.asarray(hits), side="right")).tolist():
                u = strings[k]
                ok[k] = u.isascii() or _VN_SPECIFIC_RE.search(u) is not None  # it holds a legacy character
    plain = np.zeros(n, dtype=bool)
    if not ok.all():
        at = at[ok]
        strings = [u for u, good in zip(strings, ok.tolist(), strict=True) if good]
        joined = "\n".join(strings)
    plain[at] = True
    return plain, at, strings, joined


def printable_texts(uniques: list, ctx: CleanContext) -> dict[int, tuple[str, str]]:
    """Text values the PDF fonts cannot draw (a character no font of the report has), with the
    reason naming the character: refused, so that ``build`` never fails on what ``validate``
    accepted. One search over the column's text finds the few values with a character outside
    the common set; only those are checked against the fonts."""
    n = len(uniques)
    values = np.empty(n, dtype=object)
    values[:] = uniques
    at = np.flatnonzero(np.fromiter(map(type, uniques), dtype=object, count=n) == str)
    texts = values[at].tolist()
    joined = "\n".join(texts)
    if joined.isascii():
        return {}
    hits = unusual_at(joined)
    if not hits:
        return {}
    from ..narrative import pdf_fonts

    if ctx.fonts is None:
        ctx.fonts = pdf_fonts(ctx.project)
    ends = np.cumsum([len(t) + 1 for t in texts])
    found: dict[int, tuple[str, str]] = {}
    for k in np.unique(np.searchsorted(ends, np.asarray(hits), side="right")).tolist():
        bad = unprintable([(1, texts[k])], *ctx.fonts)
        if bad:
            first, shown = bad[0], quote(texts[k])
            found[int(at[k])] = (
                f"ký tự '{first.char}' ({first.code} {first.name}, vị trí {first.column}) trong {shown} không in được "
                "bằng phông chữ của báo cáo PDF; hãy xóa ký tự đó hoặc thay bằng chữ rồi gửi lại",
                f"the character '{first.char}' ({first.code} {first.name}, position {first.column}) in {shown} cannot "
                "be printed with the report's PDF fonts; delete it or write it in words, and send the file again",
            )
    return found


@dataclass
class _Converted:
    """A column's distinct values converted: ok, typed value, reasons of the failures, remarks."""

    ok: np.ndarray
    values: np.ndarray  # object; None where not ok
    reasons: dict[int, tuple[str, str]]
    remarks: dict[int, tuple]


def convert_uniques(uniques: list, col: ColumnSpec, ctx: CleanContext, header: str) -> _Converted:
    """Each distinct value of a column converted once; common shapes without the general parser."""
    n = len(uniques)
    done = np.zeros(n, dtype=bool)
    ok = np.zeros(n, dtype=bool)
    values = np.empty(n, dtype=object)
    kind = col.type
    refused = printable_texts(uniques, ctx) if kind == "text" else {}
    done[list(refused)] = True
    if kind == "text" and n > 64:
        plain = _plain_texts(uniques) & ~done
        idx = np.flatnonzero(plain)
        values[idx] = [uniques[i] for i in idx.tolist()]
        done |= plain
        ok |= plain
    elif kind in ("integer", "money", "number") and n > 64:
        floor = col.min
        for i, u in enumerate(uniques):
            if u.__class__ is str and _DIGITS.fullmatch(u):
                number = int(u.replace(".", ""))
                if floor is not None and number < floor:
                    continue  # the general path words the message
                values[i] = float(number) if kind == "number" else number
                done[i] = ok[i] = True
    reasons: dict[int, tuple[str, str]] = {}
    remarks: dict[int, tuple] = {}
    reasons.update(refused)
    for i in np.flatnonzero(~done).tolist():
        good, value, why, warns = _convert_one(uniques[i], col, ctx, header)
        ok[i] = good
        values[i] = value
        if not good:
            reasons[i] = why
        if warns:
            remarks[i] = warns
    return _Converted(ok, values, reasons, remarks)
