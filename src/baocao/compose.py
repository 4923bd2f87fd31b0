"""Composition: report/bao-cao.qmd.j2 + metrics + narrative → a complete, code-free .qmd.

Data is never markup: every ``{{ … }}`` the template prints is escaped for Markdown (Jinja2's
``finalize``), unless it is :class:`Md` — Markdown we produced ourselves (formatted numbers,
the tables this module builds, the validated narrative). So a cell that says ``<script>`` or
``*`` stays text in both HTML and PDF. YAML front-matter values are escaped the same way and
then JSON-quoted (pandoc reads metadata strings as Markdown).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict
from pathlib import Path
from typing import Iterable, Sequence

import jinja2

from . import vnformat as vn
from .atomic import write_text
from .config import Project
from .figures import Figure
from .narrative import ReportMeta

TEMPLATE_NAME = "bao-cao.qmd.j2"

# ASCII punctuation that means something to pandoc's Markdown (or Quarto's) somewhere inline.
_SPECIAL = set("\\`*_{}[]<>#!|~^$@&\"'=")
_LIST_START = re.compile(r"^(\d+)([.)])")


class Md(str):
    """Trusted Markdown: printed as is by the template."""


def md_escape(value: object) -> str:
    """Plain text → Markdown that renders as exactly that text, on one line."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    text = " ".join(text.split())  # newlines would end a table row or a paragraph
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in text)
    out = _LIST_START.sub(r"\1\\\2", out)
    if out[:1] in ("-", "+", ":"):
        out = "\\" + out
    return out


def _finalize(value: object) -> str:
    if isinstance(value, Md):
        return value
    if isinstance(value, bool) or value is None:
        return md_escape(value if value is not None else "")
    if isinstance(value, int):
        return str(value)  # years, counts in running text: group digits with the `num` filter
    if isinstance(value, float):
        return vn.fmt_number(value, 0 if value.is_integer() else 1)
    return md_escape(value)


def yaml_str(value: object) -> Md:
    """A YAML (JSON) string whose content is escaped Markdown."""
    return Md(json.dumps(md_escape(value), ensure_ascii=False))


def yaml_list(values: Iterable[object]) -> Md:
    return Md("[" + ", ".join(yaml_str(v) for v in values) + "]")


# ---------------------------------------------------------------------------- number filters
def _num(value, decimals: int = 0) -> Md:
    return Md("–" if value is None else vn.fmt_number(value, decimals))


def _amount(value, unit: str) -> Md:
    return Md("–" if value is None else vn.fmt_amount(value, unit))


def _value(ind: dict) -> Md:
    """An indicator's value in its unit, without the unit ("425,3"; "95,5%" for rates)."""
    value = ind["value"]
    if value is None:
        return Md("–")
    if ind["kind"] == "percent":
        return Md(vn.fmt_percent(value))
    decimals = 0 if ind["kind"] == "count" or float(value).is_integer() else 1
    return Md(vn.fmt_number(value, decimals))


def _target(ind: dict, key: str = "target") -> Md:
    value = ind.get(key)
    if value is None:
        return Md("–")
    if ind["kind"] == "percent":
        return Md(vn.fmt_percent(value))
    return Md(vn.fmt_number(value, 0 if float(value).is_integer() else 1))


def _with_unit(ind: dict) -> Md:
    value = ind["value"]
    if value is None:
        return Md("–")
    if ind["kind"] == "percent":
        return Md(vn.fmt_percent(value))
    if ind["unit"] == "triệu đồng":
        return Md(f"{vn.fmt_number(value, 1, trim=True)} triệu đồng")
    return Md(vn.fmt_amount(value, ind["unit"]))


def _change(ind: dict) -> Md:
    """'tăng 12,5% so với năm 2022' / 'tăng 0,8 điểm phần trăm …'; '' without a previous year."""
    if ind.get("change") is None:
        return Md("")
    change = ind["change"]
    if ind.get("change_is_points"):
        rounded = vn.fmt_number(abs(change), 1)
        if rounded == "0,0":
            return Md("không đổi")
        return Md(f"{'tăng' if change > 0 else 'giảm'} {rounded} điểm phần trăm")
    return Md(vn.fmt_change(change))


def _achievement(ind: dict) -> Md:
    status = ind.get("status")
    if status is None:
        return Md("–")
    if ind.get("achievement_pct") is not None:
        return Md(f"{vn.fmt_percent(ind['achievement_pct'])} ({status})")
    return Md(status)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str, caption: str) -> Md:
    """A pipe table; ``align`` is one letter per column: l, r or c. Cells are escaped."""
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_finalize(c) for c in row) + " |")
    lines.append("")
    lines.append(": " + md_escape(caption))
    return Md("\n".join(lines))


class Numbering:
    """Bảng 1, 2 … and Biểu đồ 1, 2 … in document order (the renderers do not number)."""

    def __init__(self):
        self.tables = 0
        self.figures = 0

    def table(self, caption: str) -> str:
        self.tables += 1
        return f"Bảng {self.tables}: {caption}"

    def figure(self, caption: str) -> str:
        self.figures += 1
        return f"Biểu đồ {self.figures}: {caption}"


def environment(template_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # HTML escaping is wrong for Markdown; finalize escapes for Markdown
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=_num,
        amount=_amount,
        value=_value,
        target=_target,
        with_unit=_with_unit,
        change=_change,
        achievement=_achievement,
        yaml_str=yaml_str,
        yaml_list=yaml_list,
        percent=lambda v, d=1: Md("–" if v is None else vn.fmt_percent(v, d)),
        million=lambda v: Md("–" if v is None else vn.fmt_number(v / 1e6, 1, trim=True)),
        dong=lambda v: Md("–" if v is None else vn.fmt_dong(v)),
        md=lambda v: Md(v),  # trusted Markdown only: the validated narrative
    )
    env.globals.update(table=table, roman=vn.roman, part_label=vn.part_label, Md=Md)
    return env


def compose(
    project: Project,
    metrics: dict,
    meta: ReportMeta,
    narrative: dict[str, str],
    figures: Sequence[Figure],
) -> str:
    year = metrics["year"]
    unit = project.unit
    env = environment(project.report_dir)
    template = env.get_template(TEMPLATE_NAME)
    context = {
        "year": year,
        "next_year": year + 1,
        "unit": unit,
        "meta": meta,
        "m": metrics,
        "ind": metrics["indicators"],
        "narrative": {k: Md(v) for k, v in narrative.items()},
        "figures": {Path(f.file).stem: f for f in figures},
        "n": Numbering(),
        "number_line": f"Số: {meta.number}/{unit.symbol}",
        "place_date": f"{unit.place}, {vn.fmt_date_long(meta.date)}",
        "date_iso": meta.date.isoformat(),
        "areas": {a.id: a for a in unit.areas},
        "catalogues": project.reference.catalogues,
        "indicator_order": list(project.reference.indicators),
        "tbl": Tables(project, metrics),
        "figure": figure_md,
    }
    text = template.render(**context)
    text = unicodedata.normalize("NFC", text)
    _check_complete(text)
    return text


def _check_complete(text: str) -> None:
    """The composed document holds no template syntax and no code cells."""
    for needle in ("{{", "{%", "```{"):
        if needle in text:
            line = text[: text.index(needle)].count("\n") + 1
            raise RuntimeError(f"composed document still holds '{needle}' at line {line}")


def write_qmd(project: Project, year: int, text: str) -> Path:
    return write_text(project.qmd_path(year), text)


def meta_as_dict(meta: ReportMeta) -> dict:
    d = asdict(meta)
    d["date"] = meta.date.isoformat()
    d["recipients"] = list(meta.recipients)
    return d


# ---------------------------------------------------------------------------- tables and figures
def _f(value, decimals: int | None = None) -> Md:
    if value is None:
        return Md("–")
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    return Md(vn.fmt_number(value, decimals))


def _pct(value) -> Md:
    return Md("–" if value is None else vn.fmt_number(value, 1))


class Tables:
    """The report's tables, built from metrics; the template decides where each goes."""

    def __init__(self, project: Project, metrics: dict):
        self.project = project
        self.m = metrics
        self.ind = metrics["indicators"]
        self.year = metrics["year"]

    def _ordered(self, keep) -> list[dict]:
        return [self.ind[c] for c in self.project.reference.indicators if keep(self.ind[c])]

    def targets(self, caption: str) -> Md:
        rows = []
        for i, ind in enumerate(self._ordered(lambda x: x["target"] is not None), start=1):
            rows.append([Md(str(i)), ind["name"], ind["unit"], _target(ind), _value(ind), _achievement(ind)])
        return table(["TT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Thực hiện", "Đạt (% kế hoạch)"], rows, "rllrrl", caption)

    def history(self, caption: str) -> Md:
        years = [int(y) for y in self.m["compared_years"]]
        rows = []
        for i, ind in enumerate(self._ordered(lambda x: x["value"] is not None), start=1):
            past = [_target({**ind, "v": ind["history"].get(str(y))}, "v") for y in years]
            rows.append([Md(str(i)), ind["name"], ind["unit"], *past, _value(ind), _change(ind) or Md("–")])
        headers = ["TT", "Chỉ tiêu", "Đơn vị tính", *[f"Năm {y}" for y in years], f"Năm {self.year}",
                   f"So với năm {self.year - 1}"]
        return table(headers, rows, "rll" + "r" * (len(years) + 1) + "l", caption)

    def next_targets(self, caption: str) -> Md:
        rows = []
        for i, ind in enumerate(self._ordered(lambda x: x["next_target"] is not None), start=1):
            rows.append([Md(str(i)), ind["name"], ind["unit"], _value(ind), _target(ind, "next_target")])
        return table(["TT", "Chỉ tiêu", "Đơn vị tính", f"Thực hiện {self.year}", f"Chỉ tiêu {self.year + 1}"],
                     rows, "rllrr", caption)

    def activity_by_area(self, caption: str) -> Md:
        rows, tot = [], [0, 0, 0, 0]
        for a in self.m["by_area"]:
            rows.append([a["name"], _f(a["activities"]), _f(a["sessions"]), _f(a["participants"]), _f(a["cnx_sessions"])])
            for k, key in enumerate(("activities", "sessions", "participants", "cnx_sessions")):
                tot[k] += a[key]
        rows.append([Md("**Cộng**"), *[Md(f"**{vn.fmt_int(t)}**") for t in tot]])
        return table(["Khu dân cư", "Số hoạt động", "Số cuộc", "Số lượt người", 'Buổi "Ngày chủ nhật xanh"'],
                     rows, "lrrrr", caption)

    def areas_wide(self, caption: str) -> Md:
        rows = []
        for a in self.m["by_area"]:
            rows.append([a["name"], _f(a["households"]), _f(a["population"]), _f(a["poor_start"]), _f(a["poor_end"]),
                         _pct(a["poor_rate"]), _f(a["near_poor_end"]), _pct(a["gdvh_rate"]),
                         Md("Đạt" if a["kdc_van_hoa"] else "Chưa đạt"), _f(a["sessions"]), _f(a["participants"]),
                         _f(a["waste_tonnes"], 1), _f(a["mediation_received"]), _f(a["mediation_success"]), _f(a["models"])])
        headers = ["Khu dân cư", "Số hộ", "Nhân khẩu", "Hộ nghèo đầu năm", "Hộ nghèo cuối năm", "Tỷ lệ hộ nghèo (%)",
                   "Hộ cận nghèo cuối năm", "Tỷ lệ GĐVH (%)", "KDC văn hóa", "Số cuộc hoạt động", "Lượt người",
                   "Rác thu gom (tấn)", "Vụ hòa giải", "Hòa giải thành", "Mô hình đăng ký"]
        return table(headers, rows, "l" + "r" * 7 + "l" + "r" * 6, caption)

    def models(self, caption: str) -> Md:
        rows = [[Md(str(i)), r["area"], r["model"], Md("Có" if r["recognised"] else "–")]
                for i, r in enumerate(self.m["models"]["list"], start=1)]
        return table(["TT", "Khu dân cư", "Mô hình đăng ký", "Được công nhận"], rows, "rllc", caption)

    def fund(self, caption: str) -> Md:
        f = self.m["fund"]
        rows = [[Md("**Số dư đầu năm**"), Md(""), _f(f["opening"])]]
        for s in f["by_source"]:
            rows.append([f"Thu từ: {s['name']}", _f(s["count"]), _f(s["amount"])])
        rows.append([Md("**Cộng thu**"), _f(f["receipts_count"]), Md(f"**{vn.fmt_int(f['receipts'])}**")])
        for p in f["by_purpose"]:
            rows.append([f"Chi: {p['name']}", _f(p["count"]), _f(p["amount"])])
        rows.append([Md("**Cộng chi**"), _f(f["payments_count"]), Md(f"**{vn.fmt_int(f['payments'])}**")])
        rows.append([Md("**Số dư cuối năm**"), Md(""), _f(f["closing"])])
        return table(["Nội dung", "Số khoản", "Số tiền (đồng)"], rows, "lrr", caption)

    def gifts(self, caption: str) -> Md:
        g = self.m["gifts"]
        rows = [[o["name"], _f(o["count"]), Md(vn.fmt_number(o["value"] / 1e6, 1, trim=True))] for o in g["by_occasion"]]
        rows.append([Md("**Cộng**"), Md(f"**{vn.fmt_int(g['count'])}**"),
                     Md(f"**{vn.fmt_number(g['value'] / 1e6, 1, trim=True)}**")])
        return table(["Dịp", "Số suất quà", "Trị giá (triệu đồng)"], rows, "lrr", caption)

    def houses(self, caption: str) -> Md:
        rows = [[Md(str(i)), h["area"], h["household_type"], h["work"], Md(vn.fmt_number(h["support"] / 1e6, 1, trim=True)),
                 Md(vn.fmt_number(h["other_funds"] / 1e6, 1, trim=True)), Md("Đã bàn giao" if h["handed_over"] else "Đang thi công")]
                for i, h in enumerate(self.m["houses"]["list"], start=1)]
        return table(["TT", "Khu dân cư", "Diện hộ", "Hình thức", "Quỹ hỗ trợ (triệu đồng)", "Nguồn khác (triệu đồng)",
                      "Tình trạng"], rows, "rlllrrl", caption)

    def supervision(self, caption: str) -> Md:
        s = self.m["supervision"]
        rows = [[r["name"], _f(r["sessions"]), _f(r["recommendations"]), _f(r["resolved"])] for r in s["by_mode"]]
        rows.append([Md("**Cộng**"), Md(f"**{vn.fmt_int(s['sessions'])}**"), Md(f"**{vn.fmt_int(s['recommendations'])}**"),
                     Md(f"**{vn.fmt_int(s['resolved'])}**")])
        return table(["Hình thức giám sát", "Số cuộc", "Số kiến nghị", "Đã giải quyết"], rows, "lrrr", caption)

    def petitions(self, caption: str) -> Md:
        rows, tot = [], [0, 0, 0, 0]
        for p in self.m["petitions_by_month"]:
            vals = [p["received"], p["forwarded"], p["answered"], p["pending"]]
            tot = [a + b for a, b in zip(tot, vals)]
            rows.append([f"Tháng {p['month']}", *[_f(v) for v in vals]])
        rows.append([Md("**Cả năm**"), *[Md(f"**{vn.fmt_int(t)}**") for t in tot]])
        return table(["Tháng", "Tiếp nhận", "Đã chuyển", "Đã trả lời", "Đang giải quyết"], rows, "lrrrr", caption)

    def organisations(self, caption: str) -> Md:
        rows = [[o["name"], _f(o["members"]), _f(o["new_members"]), _f(o["activities"]), _f(o["participants"])]
                for o in self.m["by_org"]]
        return table(["Tổ chức", "Hội viên, đoàn viên", "Kết nạp mới", "Số hoạt động", "Lượt người tham gia"],
                     rows, "lrrrr", caption)

    def sources(self, caption: str) -> Md:
        q = self.m["quality"]
        rows = [[f["file"], _f(f["read"]), _f(f["kept"]), _f(f["rejected"]), _f(f["blank"]), _f(f["total"])]
                for f in q["files"]]
        rows.append([Md("**Cộng**"), *[Md(f"**{vn.fmt_int(q[k])}**") for k in ("read", "kept", "rejected", "blank", "total_rows")]])
        return table(["Tệp số liệu", "Dòng đọc", "Dòng dùng", "Dòng loại", "Dòng trống", "Dòng tổng cộng"],
                     rows, "lrrrrr", caption)

    def reject_reasons(self, caption: str) -> Md:
        rows = [[r["reason_vi"], _f(r["rows"])] for r in self.m["quality"]["reject_reasons"]]
        return table(["Lý do loại", "Số lượt"], rows, "lr", caption)


def figure_md(figure: Figure, caption: str) -> Md:
    alt = figure.alt.replace('"', "'")
    return Md(f'![{md_escape(caption)}]({figure.file}){{fig-alt="{alt}" width="95%"}}')
