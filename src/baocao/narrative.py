"""The year's report metadata (thong-tin-bao-cao.yml) and narrative text (nhan-dinh.md).

The narrative is written by people in plain Markdown under fixed level-2 headings; it may use
paragraphs, lists and emphasis, and nothing that fetches or embeds (images, links, HTML):
those are refused here with the file and line, before they could reach a renderer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .config import Project
from .errors import (
    BaocaoError,
    ConfigError,
    ConfigProblems,
    InputError,
    InputProblems,
    LegacyEncodingError,
    Location,
    ValueParseError,
)
from .estimates import Estimate, read_estimates
from .parse import parse_date
from .prose import to_markdown, unprintable
from .textenc import fix_text, fold_key
from .yamlfile import load_yaml

META_FILE = "thong-tin-bao-cao.yml"
NARRATIVE_FILE = "nhan-dinh.md"

# slot id -> (heading, required)
SECTIONS: dict[str, tuple[str, bool]] = {
    "tinh_hinh_chung": ("Tình hình chung", True),
    "tuyen_truyen": ("Tuyên truyền, vận động", False),
    "phong_trao": ("Phong trào thi đua", False),
    "an_sinh": ("An sinh xã hội", False),
    "giam_sat": ("Giám sát, phản biện", False),
    "xay_dung_dang": ("Xây dựng Đảng, chính quyền", False),
    "to_chuc_thanh_vien": ("Tổ chức thành viên", False),
    "cung_co_to_chuc": ("Củng cố tổ chức", False),
    "uu_diem": ("Ưu điểm", True),
    "han_che": ("Hạn chế", True),
    "nguyen_nhan": ("Nguyên nhân", True),
    "bai_hoc": ("Bài học kinh nghiệm", False),
    "muc_tieu": ("Mục tiêu chung", True),
    "nhiem_vu": ("Nhiệm vụ trọng tâm", True),
    "giai_phap": ("Giải pháp", False),
    "kien_nghi": ("Kiến nghị, đề xuất", False),
}
_BY_KEY = {fold_key(heading): slot for slot, (heading, _req) in SECTIONS.items()}

_FORBIDDEN = [
    (re.compile(r"!\["), "hình ảnh", "an image"),
    (re.compile(r"\]\("), "liên kết", "a link"),
    (re.compile(r"<\s*[a-zA-Z!/]"), "thẻ HTML", "an HTML tag"),
    (re.compile(r"^\s*(```|~~~)"), "khối mã", "a code block"),
    (re.compile(r"^\s*\|.*\|\s*$"), "bảng", "a table"),
]


# A year-end narrative is a few pages; these bounds leave room for fifty (≈ 3,000 characters a
# page) and refuse what would take minutes and gigabytes to lay out (a 5 MB paragraph: 885 pages).
NARRATIVE_MAX_BYTES = 256 << 10
PARAGRAPH_MAX_CHARS = 10_000
_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")


def check_narrative_size(path: Path, rel: str) -> None:
    """The narrative's size and its longest paragraph, within the bounds above; checked from
    the file's size before it is read, and before anything is built."""
    size = path.stat().st_size
    if size > NARRATIVE_MAX_BYTES:
        limit = NARRATIVE_MAX_BYTES >> 10
        raise InputError(
            Location(rel),
            f"tệp quá lớn: {_vi_int(size)} byte, quá giới hạn {limit} KiB (khoảng 50 trang) của phần nhận định",
            f"the file is too large: {size:,} bytes, over the narrative's limit of {limit} KiB (about 50 pages)",
            hint_vi="chỉ giữ phần nhận định, đánh giá của báo cáo; số liệu chi tiết để trong các tệp số liệu",
            hint_en="keep only the report's assessment in it; detailed figures belong in the data files",
        )
    start, length = 0, 0
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    for lineno, line in enumerate([*lines, ""], start=1):
        if not line.strip() or _LIST_ITEM.match(line):  # a list item is a paragraph of its own
            start, length = 0, 0
        if not line.strip():
            continue
        start, length = start or lineno, length + len(line.strip()) + 1
        if length > PARAGRAPH_MAX_CHARS:
            raise InputError(
                Location(rel, row=start, value=line.strip()[:40] + "…"),
                f"đoạn văn bắt đầu ở dòng {start} dài quá {_vi_int(PARAGRAPH_MAX_CHARS)} ký tự (khoảng 3 trang)",
                f"the paragraph that starts on line {start} is longer than {PARAGRAPH_MAX_CHARS:,} characters "
                "(about 3 pages)",
                hint_vi="chia thành nhiều đoạn ngắn, cách nhau một dòng trống",
                hint_en="split it into shorter paragraphs, with a blank line between them",
            )


def _vi_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # 10.000, as Vietnamese writes it


def _check_utf8(path: Path, rel: str) -> str:
    """The file's text; a file not saved as UTF-8 is refused with what to do (no guessing in prose)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            Location(rel, row=line),
            "tệp không được lưu dạng UTF-8 (có thể là bảng mã Windows-1258, TCVN3 hay VNI)",
            "the file is not saved as UTF-8 (perhaps Windows-1258, TCVN3 or VNI)",
            hint_vi="mở tệp bằng Notepad, chọn File > Save As, Encoding: UTF-8, rồi lưu đè",
            hint_en="open it in Notepad, File > Save As, Encoding: UTF-8, and save over it",
        ) from None


def _check_legacy(line: str, rel: str, lineno: int) -> None:
    """Prose typed in a legacy font goes into an official document: refuse it, show the fix."""
    try:
        text, encoding = fix_text(line)
    except LegacyEncodingError as exc:
        raise InputError(Location(rel, row=lineno), exc.reason_vi, exc.reason_en) from None
    if encoding:
        shown = text if len(text) <= 60 else text[:59] + "…"
        raise InputError(
            Location(rel, row=lineno, value=line.strip()),
            f"dòng này được gõ bằng phông chữ cũ {encoding.upper()} (đọc đúng là: '{shown}')",
            f"this line is typed in the legacy {encoding.upper()} font encoding (it reads: '{shown}')",
            hint_vi="chuyển mã sang Unicode bằng Unikey (Công cụ chuyển mã) rồi lưu lại dạng UTF-8",
            hint_en="convert it to Unicode with Unikey's converter and save the file as UTF-8",
        )


@dataclass(frozen=True)
class ReportMeta:
    year: int
    number: str  # "45" (the "…" of "Số: …/BC-MTTQ-BTT")
    date: dt.date
    #: ngay_chot_so_lieu: the data cut-off (default: the report's date); the report counts only
    #: rows dated on or before it and says so in its opening (baocao.period)
    cutoff: dt.date
    conference: str
    term: str
    signer_on_behalf: str
    signer_title: str
    signer_name: str
    recipients: tuple[str, ...]
    #: uoc_thuc_hien: the chỉ tiêu estimated to 31/12 and by which declared rule (baocao.estimates)
    estimates: tuple[Estimate, ...] = ()


def _read_meta_file(path: Path, rel: str, year: int) -> tuple[dict, dict]:
    """thong-tin-bao-cao.yml as typed (every value text), or an InputError naming line and key."""
    if not path.is_file():
        raise InputError(
            Location(rel),
            "thiếu tệp thông tin văn bản báo cáo (số, ngày, người ký)",
            "the report metadata file (number, date, signer) is missing",
            hint_vi=f"tạo tệp bằng 'baocao new-year {year}' rồi điền số, ngày báo cáo",
            hint_en=f"create it with 'baocao new-year {year}' and fill in the number and date",
        )
    _check_utf8(path, rel)
    from .configschema import MetaFile, check
    from .yamlfile import load_yaml_lines

    try:
        data, lines = load_yaml_lines(path, text=True)  # as typed: every value is text
        data = {} if data is None else data
        check(path.name, data, lines, MetaFile)
    except ConfigProblems as exc:  # every key and value the schema finds wrong, with its line
        errors = [InputError(Location(rel, row=p.line, column=p.key), p.vi, p.en) for p in exc.problems]
        raise InputProblems(errors, folder=rel) from None
    except ConfigError as exc:
        raise InputError(
            Location(rel, row=getattr(exc, "line", None), column=getattr(exc, "key", "")),
            exc.message_vi,
            exc.message_en,
            hint_vi=exc.hint_vi,
            hint_en=exc.hint_en,
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            Location(rel), "nội dung không phải danh sách khóa: giá trị", "not a mapping of keys to values"
        )
    return data, lines


def load_meta(project: Project, year: int, raw_dir: Path | None = None) -> ReportMeta:
    rel = META_FILE  # like the workbooks: named within the year's folder
    data, lines = _read_meta_file((raw_dir or project.raw_dir(year)) / META_FILE, rel, year)
    unit = project.unit

    def need(key: str) -> object:
        if data.get(key) in (None, ""):
            raise InputError(
                Location(rel, column=key),
                f"thiếu khóa bắt buộc '{key}'",
                f"required key '{key}' is missing",
                hint_vi=f"thêm dòng '{key}: …' vào tệp",
                hint_en=f"add a line '{key}: …' to the file",
            )
        return data[key]

    number = str(need("so")).strip()
    date = _meta_date(rel, "ngay_bao_cao", need("ngay_bao_cao"))
    if date.year not in (year, year + 1):
        raise InputError(
            Location(rel, column="ngay_bao_cao", value=data["ngay_bao_cao"]),
            f"ngày báo cáo không thuộc năm {year} hay đầu năm {year + 1}",
            f"the report date is neither in {year} nor early {year + 1}",
        )
    cutoff = _cutoff(rel, data, year, date)
    signer = data.get("nguoi_ky") or {}
    if not isinstance(signer, dict) or not all(isinstance(v, str) for v in signer.values()):
        raise InputError(
            Location(rel, column="nguoi_ky"),
            "'nguoi_ky' phải gồm các dòng 'thay_mat:', 'chuc_vu:', 'ho_ten:'",
            "'nguoi_ky' must hold 'thay_mat:', 'chuc_vu:' and 'ho_ten:' lines",
        )
    recipients = data.get("noi_nhan") or list(unit.recipients)
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise InputError(
            Location(rel, column="noi_nhan"),
            "'noi_nhan' phải là danh sách các dòng chữ",
            "'noi_nhan' must be a list of text lines",
        )
    return ReportMeta(
        year=year,
        number=number,
        date=date,
        cutoff=cutoff,
        conference=str(data.get("hoi_nghi") or ""),
        term=str(data.get("nhiem_ky") or ""),
        signer_on_behalf=str(signer.get("thay_mat") or unit.signer.get("on_behalf", "")),
        signer_title=str(signer.get("chuc_vu") or unit.signer.get("title", "")),
        signer_name=str(signer.get("ho_ten") or unit.signer.get("name", "")),
        recipients=tuple(recipients),
        estimates=read_estimates(
            project.reference.declared,
            data.get("uoc_thuc_hien"),
            lines,
            rel,
            whole_year=cutoff >= dt.date(year, 12, 31),
        ),
    )


def _meta_date(rel: str, key: str, raw: object) -> dt.date:
    try:
        return parse_date(raw)
    except ValueParseError as exc:
        raise InputError(
            Location(rel, column=key, value=raw),
            exc.reason_vi,
            exc.reason_en,
            hint_vi="ghi ngày dạng 05/12/2023",
            hint_en="write the date as 05/12/2023",
        ) from None


def _cutoff(rel: str, data: dict, year: int, date: dt.date) -> dt.date:
    """``ngay_chot_so_lieu``: the last day the report counts, within the year and not after
    the report's date (default: the report's date, or 31/12 for a report signed next year)."""
    raw = data.get("ngay_chot_so_lieu")
    if raw in (None, ""):
        return min(date, dt.date(year, 12, 31))
    cutoff = _meta_date(rel, "ngay_chot_so_lieu", raw)
    if cutoff.year != year or cutoff > date:
        raise InputError(
            Location(rel, column="ngay_chot_so_lieu", value=raw),
            f"ngày chốt số liệu phải thuộc năm {year} và không sau ngày báo cáo {date:%d/%m/%Y}",
            f"the data cut-off must fall in {year} and not after the report date {date:%d/%m/%Y}",
            hint_vi="ghi ngày cuối cùng số liệu được tính, dạng 20/11/2023 (bỏ trống: tính đến ngày báo cáo)",
            hint_en="write the last day the data counts, as 20/11/2023 (empty: up to the report date)",
        )
    return cutoff


def _check_forbidden(line: str, rel: str, lineno: int) -> None:
    """Refuse what the narrative may not hold (HTML, links, images, shortcodes), naming the column."""
    for pattern, what_vi, what_en in _FORBIDDEN:
        found = pattern.search(line)
        if found:
            raise InputError(
                Location(
                    rel,
                    row=lineno,
                    column=str(found.start() + 1 + len(found.group(0)) - len(found.group(0).lstrip())),
                    value=line.strip(),
                ),
                f"phần nhận định không được chứa {what_vi}",
                f"the narrative may not contain {what_en}",
                hint_vi="chỉ viết đoạn văn, gạch đầu dòng và chữ đậm/nghiêng",
                hint_en="write paragraphs, bullet lists and bold/italic only",
            )


def load_narrative(project: Project, year: int, raw_dir: Path | None = None) -> dict[str, str]:
    """Slot id -> Markdown text (NFC), for the sections of SECTIONS present in the file."""
    import unicodedata

    path = (raw_dir or project.raw_dir(year)) / NARRATIVE_FILE
    rel = NARRATIVE_FILE
    if not path.is_file():
        raise InputError(
            Location(rel),
            "thiếu tệp nhận định (đánh giá chung, phương hướng)",
            "the narrative file (assessment, next year's direction) is missing",
            hint_vi=f"tạo tệp bằng 'baocao new-year {year}' rồi viết nội dung dưới các tiêu đề có sẵn",
            hint_en=f"create it with 'baocao new-year {year}' and write under its headings",
        )
    check_narrative_size(path, rel)
    text = unicodedata.normalize("NFC", _check_utf8(path, rel))
    sections: dict[str, list[str]] = {}
    body: list[tuple[int, str]] = []
    current: str | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if heading:
            if len(heading.group(1)) != 2:
                raise InputError(
                    Location(rel, row=lineno, column="1", value=line),
                    "chỉ dùng tiêu đề cấp 2 ('## …') có sẵn trong mẫu",
                    "only the template's level-2 headings ('## …') may be used",
                    hint_vi="bỏ dấu # ở đầu dòng, hoặc dùng đúng tiêu đề '## …' của mẫu",
                    hint_en="remove the #s, or use one of the template's '## …' headings",
                )
            slot = _BY_KEY.get(fold_key(heading.group(2)))
            if slot is None:
                allowed = "; ".join(h for h, _ in SECTIONS.values())
                raise InputError(
                    Location(rel, row=lineno, column="1", value=heading.group(2)),
                    f"tiêu đề không có trong mẫu (các tiêu đề được dùng: {allowed})",
                    f"heading not in the template (allowed headings: {allowed})",
                )
            if slot in sections:
                raise InputError(
                    Location(rel, row=lineno, value=heading.group(2)), "tiêu đề bị lặp lại", "the heading appears twice"
                )
            current = slot
            sections[slot] = []
            continue
        _check_legacy(line, rel, lineno)
        _check_forbidden(line, rel, lineno)
        if current is None:
            if line.strip():
                raise InputError(
                    Location(rel, row=lineno, value=line.strip()),
                    "có nội dung trước tiêu đề đầu tiên",
                    "text before the first heading",
                    hint_vi="đặt nội dung dưới một tiêu đề '## …'",
                    hint_en="put it under a '## …' heading",
                )
            continue
        sections[current].append(line)
        body.append((lineno, line))
    _check_printable(project, rel, body)
    out = {slot: "\n".join(lines).strip() for slot, lines in sections.items()}
    missing = [SECTIONS[s][0] for s, (_h, req) in SECTIONS.items() if req and not out.get(s)]
    if missing:
        raise InputError(
            Location(rel),
            f"thiếu nội dung bắt buộc dưới tiêu đề: {', '.join(missing)}",
            f"required sections are missing or empty: {', '.join(missing)}",
            hint_vi="viết ít nhất một đoạn dưới mỗi tiêu đề đó",
            hint_en="write at least one paragraph under each of those headings",
        )
    return {slot: to_markdown(lines) for slot, lines in sections.items() if out[slot]}


def pdf_fonts(project: Project) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The PDF's font list (``baocao.fonts`` of _quarto.yml, with its fallbacks) and font folders."""
    try:
        from .render.options import RenderOptions

        options = RenderOptions.from_project(project.root)
        return tuple(options.fonts), tuple(str(p) for p in options.font_paths if p.is_dir())
    except BaocaoError:  # _quarto.yml names files this folder lacks: its font lines still tell
        pass
    try:
        config = load_yaml(project.root / "_quarto.yml")
    except (BaocaoError, OSError, UnicodeDecodeError):
        return ("Libertinus Serif",), ()
    baocao = config.get("baocao") if isinstance(config, dict) else None
    typst_format = (config.get("format") or {}).get("typst") if isinstance(config, dict) else None
    fonts = baocao.get("fonts") if isinstance(baocao, dict) else None
    folders = typst_format.get("font-paths") if isinstance(typst_format, dict) else None
    fonts = tuple(f for f in fonts if isinstance(f, str)) if isinstance(fonts, list) else ()
    paths = [project.root / f for f in folders if isinstance(f, str)] if isinstance(folders, list) else []
    return fonts or ("Libertinus Serif",), tuple(str(p) for p in paths if p.is_dir())


def _check_printable(project: Project, rel: str, body: list[tuple[int, str]]) -> None:
    """Every character of the narrative can be drawn by the PDF's fonts (no empty boxes in print)."""
    bad = unprintable(body, *pdf_fonts(project))
    if bad:
        first = bad[0]
        others = "".join(f", '{b.char}' ({b.code}, dòng {b.line})" for b in bad[1:4])
        others_en = "".join(f", '{b.char}' ({b.code}, line {b.line})" for b in bad[1:4])
        raise InputError(
            Location(rel, row=first.line, column=str(first.column), value=first.char),
            f"ký tự '{first.char}' ({first.code} {first.name}) không in được bằng phông chữ của báo cáo PDF{others}",
            f"the character '{first.char}' ({first.code} {first.name}) cannot be printed with the report's PDF "
            f"fonts{others_en}",
            hint_vi="xóa ký tự đó (biểu tượng cảm xúc, hình vẽ) hoặc thay bằng chữ",
            hint_en="delete it (an emoji or a pictograph) or write it in words",
        )
