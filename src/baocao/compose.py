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
from collections.abc import Iterable, Sequence
from pathlib import Path

import jinja2

from . import vnformat as vn
from .config import Project
from .figures import Figure
from .narrative import ReportMeta

TEMPLATE_NAME = "bao-cao.qmd.j2"

# ASCII punctuation that means something to pandoc's Markdown (or Quarto's) somewhere inline.
# Quotes are left alone: a pair of them becomes typographic quotes (“…”), as in the text of
# the template, so that "Ngày chủ nhật xanh" looks the same in a table as in a sentence.
_SPECIAL = set("\\`*_{}[]<>#!|~^$@&=")
_LIST_START = re.compile(r"^(\d+)([.)])")


class Md(str):
    """Trusted Markdown: printed as is by the template."""


def md_escape(value: object) -> str:
    """Plain text → Markdown that renders as exactly that text, on one line.

    Runs of white space become one space (a newline would end a table row or a paragraph);
    a space at either end is kept, so that ``"; "`` between two items stays a separator.
    """
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    core = " ".join(text.split())
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in core)
    out = _LIST_START.sub(r"\1\\\2", out)
    if out[:1] in ("-", "+", ":"):
        out = "\\" + out
    if core:
        out = (" " if text[:1].isspace() else "") + out + (" " if text[-1:].isspace() else "")
    elif text:
        out = " "
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


def _target_with_unit(ind: dict, key: str = "target") -> Md:
    """A target in its unit: "5 căn", "450 triệu đồng", "61,5%"."""
    if ind.get(key) is None:
        return Md("–")
    return _with_unit({**ind, "value": ind[key]})


def _lower_first(text: object) -> str:
    """A name used inside a sentence: the first letter in lower case ("Tỷ lệ …" → "tỷ lệ …"),
    unless the first word belongs to a proper name ("Ban Công tác Mặt trận …")."""
    text = str(text)
    words = text.split(" ", 2)
    if not text or (len(words) > 1 and words[1][:1].isupper()):
        return text
    return text[:1].lower() + text[1:]


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


STATUS_LABEL: dict[str | None, str] = {"vượt": "Vượt", "đạt": "Đạt", "chưa đạt": "Chưa đạt"}


def _vs_plan(ind: dict) -> Md:
    """The result against the year's plan, as a report says it: "đạt 104,2% kế hoạch",
    "mới đạt 80,0% kế hoạch, chưa đạt chỉ tiêu"; for a rate that should stay low, "vượt kế
    hoạch là không quá 1,0%". Empty without a target."""
    status = ind.get("status")
    if status is None or ind.get("target") is None:
        return Md("")
    pct = ind.get("achievement_pct")
    if pct is None:  # a rate that should stay low: the plan is a ceiling
        return Md(f"{status} kế hoạch là không quá {_target(ind)}")
    if status == "chưa đạt":
        return Md(f"mới đạt {vn.fmt_percent(pct)} kế hoạch, chưa đạt chỉ tiêu")
    return Md(f"đạt {vn.fmt_percent(pct)} kế hoạch")


def _remarks(ind: dict, year: int | None = None) -> Md:
    """The plan and the previous year in parentheses, after a stated value:
    ``" (đạt 107,3% kế hoạch; tăng 27,0% so với năm 2022)"``; empty when there is neither."""
    parts: list[str] = []
    plan = _vs_plan(ind)
    if plan:
        parts.append(plan)
    change = _change(ind)
    if change and year is not None:
        parts.append(f"{change} so với năm {year - 1}")
    return Md(f" ({'; '.join(parts)})" if parts else "")


def _change_vs(ind: dict, past) -> Md:
    """This year against an earlier value: "+22,2%", "-5,3%"; rates in points: "+1,1 điểm %"."""
    value = ind.get("value")
    if value is None or past is None:
        return Md("–")
    if ind.get("kind") == "percent":
        diff = value - past
        text = vn.fmt_number(abs(diff), 1)
        # No-break spaces: "+2,1 điểm %" never breaks inside a narrow column.
        if text == "0,0":
            return Md("0,0\u00a0điểm\u00a0%")
        return Md(f"{'+' if diff > 0 else '-'}{text}\u00a0điểm\u00a0%")
    if not past:
        return Md("–")
    pct = (value - past) / past * 100
    text = vn.fmt_number(abs(pct), 1)
    if text == "0,0":
        return Md("0,0%")
    return Md(f"{'+' if pct > 0 else '-'}{text}%")


def _achievement(ind: dict) -> Md:
    status = ind.get("status")
    if status is None:
        return Md("–")
    if ind.get("achievement_pct") is not None:
        return Md(f"{vn.fmt_percent(ind['achievement_pct'])} ({status})")
    return Md(status)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str, caption: str,
          widths: Sequence[int] | None = None) -> Md:
    """A pipe table; ``align`` is one letter per column: l, r or c. Cells are escaped.

    ``widths`` (relative, one per column) make the table as wide as the text and size its
    columns so; they are written as Quarto's ``tbl-colwidths`` caption attribute, which
    Quarto applies itself and report/filters/baocao.lua applies in the pandoc backend.
    Without them a table is as wide as its content.
    """
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    if len(align) != len(headers) or (widths is not None and len(widths) != len(headers)):
        raise ValueError("one alignment letter and one width per column")
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_finalize(c) for c in row) + " |")
    lines.append("")
    attrs = ""
    if widths is not None:
        attrs = ' {tbl-colwidths="[' + ",".join(str(int(w)) for w in widths) + ']"}'
    lines.append(": " + md_escape(caption) + attrs)
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
        vs_plan=_vs_plan,
        target_with_unit=_target_with_unit,
        lower_first=_lower_first,
        remarks=_remarks,
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
        "date_long": vn.fmt_date_long(meta.date),
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
            pct = ind.get("achievement_pct")
            rows.append([Md(str(i)), ind["name"], ind["unit"], _target(ind), _value(ind),
                         Md("–" if pct is None else vn.fmt_percent(pct)),
                         Md(STATUS_LABEL.get(ind.get("status"), "–"))])
        return table(["TT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Thực hiện", "Tỷ lệ so với kế hoạch",
                      "Đánh giá"], rows, "rllrrrl", caption, widths=[5, 36, 12, 11, 11, 13, 12])

    def history(self, caption: str) -> Md:
        """Each indicator this year and in every earlier year available, with the change
        against each of them (in %, or in percentage points for rates)."""
        years = [int(y) for y in self.m["compared_years"]]
        rows = []
        for i, ind in enumerate(self._ordered(lambda x: x["value"] is not None), start=1):
            history = [ind["history"].get(str(y)) for y in years]
            past = [_target({**ind, "v": v}, "v") for v in history]
            changes = [_change_vs(ind, v) for v in history]
            rows.append([Md(str(i)), ind["name"], ind["unit"], *past, _value(ind), *changes])
        headers = ["TT", "Chỉ tiêu", "Đơn vị tính", *[f"Năm {y}" for y in years], f"Năm {self.year}",
                   *[f"So với năm {y}" for y in years]]
        n = len(years)
        widths = [5, 37 - 6 * n, 11, *[9] * (n + 1), *[14] * n]
        return table(headers, rows, "rll" + "r" * (2 * n + 1), caption, widths=widths)

    def next_targets(self, caption: str) -> Md:
        rows = []
        for i, ind in enumerate(self._ordered(lambda x: x["next_target"] is not None), start=1):
            rows.append([Md(str(i)), ind["name"], ind["unit"], _value(ind), _target(ind, "next_target")])
        return table(["TT", "Chỉ tiêu", "Đơn vị tính", f"Thực hiện {self.year}", f"Chỉ tiêu {self.year + 1}"],
                     rows, "rllrr", caption, widths=[5, 49, 14, 16, 16])

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
        areas = self.m["by_area"]

        def total(key: str) -> float:
            return sum(a[key] or 0 for a in areas)

        households = total("households")
        # Rates of the whole ward, weighted by households (= the rate of the summed counts).
        poor_rate = total("poor_end") / households * 100 if households else None
        gdvh_rate = (sum((a["gdvh_rate"] or 0) * (a["households"] or 0) for a in areas) / households
                     if households else None)
        cultured = sum(1 for a in areas if a["kdc_van_hoa"])

        def bold(text: str) -> Md:
            return Md(f"**{text}**")

        rows.append([bold("Cộng"), bold(vn.fmt_int(households)), bold(vn.fmt_int(total("population"))),
                     bold(vn.fmt_int(total("poor_start"))), bold(vn.fmt_int(total("poor_end"))),
                     bold(_pct(poor_rate)), bold(vn.fmt_int(total("near_poor_end"))), bold(_pct(gdvh_rate)),
                     bold(f"{cultured}/{len(areas)}"), bold(vn.fmt_int(total("sessions"))),
                     bold(vn.fmt_int(total("participants"))), bold(vn.fmt_number(total("waste_tonnes"), 1)),
                     bold(vn.fmt_int(total("mediation_received"))), bold(vn.fmt_int(total("mediation_success"))),
                     bold(vn.fmt_int(total("models")))])
        headers = ["Khu dân cư", "Số hộ", "Nhân khẩu", "Hộ nghèo đầu năm", "Hộ nghèo cuối năm", "Tỷ lệ hộ nghèo (%)",
                   "Hộ cận nghèo cuối năm", "Tỷ lệ GĐVH (%)", "KDC văn hóa", "Số cuộc hoạt động", "Lượt người",
                   "Rác thu gom (tấn)", "Vụ hòa giải", "Hòa giải thành", "Mô hình đăng ký"]
        return table(headers, rows, "l" + "r" * 7 + "l" + "r" * 6, caption,
                     widths=[9, 6, 7, 6, 6, 6, 6, 6, 6, 7, 7, 7, 6, 6, 6])

    def models(self, caption: str) -> Md:
        rows = [[Md(str(i)), r["area"], r["model"], Md("Có" if r["recognised"] else "–")]
                for i, r in enumerate(self.m["models"]["list"], start=1)]
        return table(["TT", "Khu dân cư", "Mô hình đăng ký", "Được công nhận"], rows, "rllc", caption,
                     widths=[5, 14, 65, 16])

    def fund(self, caption: str) -> Md:
        f = self.m["fund"]
        rows: list[list[object]] = [[Md("**Số dư đầu năm**"), Md(""), _f(f["opening"])]]
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
                      "Tình trạng"], rows, "rlllrrl", caption, widths=[5, 12, 23, 12, 16, 16, 16])

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
            tot = [a + b for a, b in zip(tot, vals, strict=True)]
            rows.append([f"Tháng {p['month']}", *[_f(v) for v in vals]])
        rows.append([Md("**Cả năm**"), *[Md(f"**{vn.fmt_int(t)}**") for t in tot]])
        return table(["Tháng", "Tiếp nhận", "Đã chuyển", "Đã trả lời", "Đang giải quyết"], rows, "lrrrr", caption)

    def organisations(self, caption: str) -> Md:
        orgs = self.m["by_org"]
        rows = [[o["name"], _f(o["members"]), _f(o["new_members"]), _f(o["activities"]), _f(o["sessions"]),
                 _f(o["participants"])] for o in orgs]
        totals = [sum(o[k] or 0 for o in orgs) for k in ("members", "new_members", "activities", "sessions",
                                                          "participants")]
        rows.append([Md("**Cộng**"), *[Md(f"**{vn.fmt_int(t)}**") for t in totals]])
        return table(["Tổ chức", "Hội viên, đoàn viên", "Kết nạp mới", "Số hoạt động", "Số cuộc", "Lượt người tham gia"],
                     rows, "lrrrrr", caption, widths=[32, 15, 12, 13, 11, 17])

    def fields(self, caption: str) -> Md:
        """Activities per field (lĩnh vực)."""
        fields = self.m.get("by_field", [])
        rows = [[f["name"], _f(f["activities"]), _f(f["sessions"]), _f(f["participants"])] for f in fields]
        totals = [sum(f[k] for f in fields) for k in ("activities", "sessions", "participants")]
        rows.append([Md("**Cộng**"), *[Md(f"**{vn.fmt_int(t)}**") for t in totals]])
        return table(["Lĩnh vực", "Số hoạt động", "Số cuộc", "Lượt người tham gia"], rows, "lrrr", caption)

    def org_by_field(self, caption: str) -> Md:
        """Sessions per organisation (rows) and field (columns), with totals both ways."""
        fields = self.m.get("by_field", [])
        orgs = [o for o in self.m["by_org"] if o["sessions"]]
        rows = []
        for o in orgs:
            cells = [f["sessions_by_org"].get(o["org"], 0) for f in fields]
            rows.append([o["short"], *[_f(c) if c else Md("–") for c in cells], Md(f"**{vn.fmt_int(sum(cells))}**")])
        col_totals = [sum(f["sessions_by_org"].get(o["org"], 0) for o in orgs) for f in fields]
        rows.append([Md("**Cộng**"), *[Md(f"**{vn.fmt_int(t)}**") for t in col_totals],
                     Md(f"**{vn.fmt_int(sum(col_totals))}**")])
        return table(["Tổ chức", *[f["name"] for f in fields], "Cộng"], rows, "l" + "r" * (len(fields) + 1), caption,
                     widths=[10, *[9] * len(fields), 7])

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
