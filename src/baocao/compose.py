"""Composition: report/bao-cao.qmd.j2 + metrics + narrative → a complete, code-free .qmd.

Data is never markup: every ``{{ … }}`` the template prints is escaped for Markdown (Jinja2's
``finalize``), unless it is :class:`Md` — Markdown we produced ourselves (formatted numbers,
the tables this module builds, the validated narrative). So a cell that says ``<script>`` or
``*`` stays text in both HTML and PDF. YAML front-matter values are escaped the same way and
then JSON-quoted (pandoc reads metadata strings as Markdown).
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import jinja2

from . import vnformat as vn
from .config import Project
from .figures import Figure
from .markdown import Md, Numbering, figure_md, finalize, md_escape, table, yaml_list, yaml_str
from .narrative import ReportMeta

TEMPLATE_NAME = "bao-cao.qmd.j2"


# ---------------------------------------------------------------------------- number filters
def _num(value, decimals: int = 0) -> Md:
    return Md("–" if value is None else vn.fmt_number(value, decimals))


def _amount(value, unit: str) -> Md:
    return Md("–" if value is None else vn.fmt_amount(value, unit))


MINUS = "\u2212"  # the minus sign, written out: typst would turn "-5" into "−5" and HTML would not


def _decimals(ind: dict, key: str = "value") -> int:
    """How many decimals to print: the year's result with the decimals metrics chose (more than
    declared where fewer would misstate the verdict), a target exactly as it was set."""
    declared = ind.get("declared_decimals", 0 if ind["kind"] == "count" else 1)
    if key == "value":
        return ind.get("decimals", declared)
    if key in ("target", "next_target"):
        value = ind.get(key)
        least = 1 if ind["kind"] == "percent" else 0
        return ind.get(f"{key}_decimals", least if value is None or float(value).is_integer() else max(least, 1))
    return declared  # earlier years


def _number(ind: dict, key: str = "value", value=None) -> str:
    value = ind.get(key) if value is None else value
    if value is None:
        return "–"
    return vn.fmt_number(value, _decimals(ind, key))


def _value(ind: dict) -> Md:
    """An indicator's value in its unit, without the unit ("425,3"; "95,5%" for rates)."""
    if ind["value"] is None:
        return Md("–")
    return Md(_number(ind) + ("%" if ind["kind"] == "percent" else ""))


def _target(ind: dict, key: str = "target") -> Md:
    value = ind.get(key)
    if value is None:
        return Md("–")
    return Md(_number(ind, key) + ("%" if ind["kind"] == "percent" else ""))


def _past(ind: dict, value) -> Md:
    """An earlier year's value, at the declared decimals."""
    if value is None:
        return Md("–")
    return Md(_number(ind, "past", value) + ("%" if ind["kind"] == "percent" else ""))


def _unit_after(text: str, unit: str) -> str:
    if unit == "%":
        return text + "%"
    return f"{text} {unit}".rstrip()


def _with_unit(ind: dict, key: str = "value") -> Md:
    """The value in its unit: "165 cuộc", "473,5 triệu đồng", "245 triệu đồng", "0,85%"."""
    value = ind.get(key)
    if value is None:
        return Md("–")
    text = _number(ind, key)
    if ind["kind"] == "money" and float(value).is_integer():
        text = vn.fmt_number(value, 0)  # "245 triệu đồng", not "245,0 triệu đồng"
    return Md(_unit_after(text, ind["unit"]))


def _target_with_unit(ind: dict, key: str = "target") -> Md:
    """A target in its unit: "5 căn", "450 triệu đồng", "61,5%"."""
    return _with_unit(ind, key)


def _lower_first(text: object) -> str:
    """A name used inside a sentence: the first letter in lower case ("Tỷ lệ …" → "tỷ lệ …"),
    unless the first word is an abbreviation ("MTTQ chủ trì") or belongs to a proper name
    ("Ban Công tác Mặt trận …")."""
    text = str(text)
    words = text.split(" ", 2)
    if not text or (len(words) > 1 and words[1][:1].isupper()) or sum(c.isupper() for c in words[0]) > 1:
        return text
    return text[:1].lower() + text[1:]


def _change(ind: dict) -> Md:
    """'tăng 12,5%' / 'tăng 0,8 điểm phần trăm'; '' without a previous year."""
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
STATUS_TEXT = {"vượt": "vượt chỉ tiêu", "đạt": "đạt chỉ tiêu", "chưa đạt": "chưa đạt chỉ tiêu"}


def _pct_of_plan(ind: dict) -> str:
    pct = ind.get("achievement_pct")
    return "–" if pct is None else vn.fmt_percent(pct, ind.get("achievement_decimals", 1))


def _vs_plan(ind: dict) -> Md:
    """The result against the year's plan, as a report says it, with the numbers that explain
    the verdict: "đạt 104,2% kế hoạch", "mới đạt 80,0% kế hoạch, chưa đạt chỉ tiêu"; for a rate,
    "chỉ tiêu: 72,0%; chưa đạt chỉ tiêu", and for a rate that should stay low, "chỉ tiêu: không
    quá 1,0%; vượt chỉ tiêu". Empty without a target. Verdicts are judged at full precision
    (metrics); the value is printed with enough decimals to agree with them."""
    status = ind.get("status")
    if status is None or ind.get("target") is None:
        return Md("")
    if ind["direction"] == "lower":
        return Md(f"chỉ tiêu: không quá {_target_with_unit(ind)}; {STATUS_TEXT[status]}")
    if ind["kind"] == "percent" or ind.get("achievement_pct") is None:
        return Md(f"chỉ tiêu: {_target_with_unit(ind)}; {STATUS_TEXT[status]}")
    if status == "chưa đạt":
        return Md(f"mới đạt {_pct_of_plan(ind)} kế hoạch, chưa đạt chỉ tiêu")
    return Md(f"đạt {_pct_of_plan(ind)} kế hoạch")


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


@jinja2.pass_context
def _said(context, ind: dict, year: int | None = None, *, remarks: bool = True) -> Md:
    """The figure as its declaration's ``text`` states it ("165 cuộc tuyên truyền, vận động"),
    then the plan and last year in parentheses (``year`` given: with the change)."""
    indicators = context["ind"]
    fields = {"value": _with_unit(ind), "number": _number(ind), "areas": str(context["m"]["unit"]["areas"])}
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(ind["text"]):
        out.append(md_escape(literal) if literal else "")
        if name:
            out.append(fields[name] if name in fields else _number(indicators[name]))
    text = "".join(out)
    return Md(text + (_remarks(ind, year) if remarks else ""))


def _change_vs(ind: dict, past) -> Md:
    """This year against an earlier value: "+22,2%", "−5,3%"; rates in points: "+1,1 điểm %"."""
    value = ind.get("value")
    if value is None or past is None:
        return Md("–")
    if ind.get("kind") == "percent":
        diff = value - past
        text = vn.fmt_number(abs(diff), 1)
        # No-break spaces: "+2,1 điểm %" never breaks inside a narrow column.
        if text == "0,0":
            return Md("0,0\u00a0điểm\u00a0%")
        return Md(f"{'+' if diff > 0 else MINUS}{text}\u00a0điểm\u00a0%")
    if not past:
        return Md("–")
    pct = (value - past) / past * 100
    text = vn.fmt_number(abs(pct), 1)
    if text == "0,0":
        return Md("0,0%")
    return Md(f"{'+' if pct > 0 else MINUS}{text}%")


def _achievement(ind: dict) -> Md:
    status = ind.get("status")
    if status is None:
        return Md("–")
    if ind.get("achievement_pct") is not None:
        return Md(f"{_pct_of_plan(ind)} ({status})")
    return Md(status)


def environment(template_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        finalize=finalize,
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
        said=_said,
        pct_of_plan=lambda ind: Md(_pct_of_plan(ind)),
        past=_past,
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


class Tables:
    """The report's tables, built from metrics; the template decides where each goes."""

    def __init__(self, project: Project, metrics: dict):
        self.project = project
        self.m = metrics
        self.ind = metrics["indicators"]
        self.year = metrics["year"]

    def _ordered(self, keep) -> list[dict]:
        """The chỉ tiêu, in the order indicators.yml lists them."""
        return [self.ind[c] for c in self.project.reference.indicators if keep(self.ind[c])]

    def targets(self, caption: str) -> Md:
        rows = []
        for i, ind in enumerate(self._ordered(lambda x: x["target"] is not None), start=1):
            rows.append(
                [
                    Md(str(i)),
                    ind["name"],
                    ind["unit"],
                    _target(ind),
                    _value(ind),
                    Md(_pct_of_plan(ind)),
                    Md(STATUS_LABEL.get(ind.get("status"), "–")),
                ]
            )
        return table(
            ["TT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Thực hiện", "Tỷ lệ so với kế hoạch", "Đánh giá"],
            rows,
            "rllrrrl",
            caption,
            widths=[5, 36, 12, 11, 11, 13, 12],
        )

    def history(self, caption: str) -> Md:
        """Each indicator this year and in every earlier year available, with the change
        against each of them (in %, or in percentage points for rates)."""
        years = [int(y) for y in self.m["compared_years"]]
        rows = []
        for i, ind in enumerate(self._ordered(lambda x: x["value"] is not None), start=1):
            history = [ind["history"].get(str(y)) for y in years]
            past = [_past(ind, v) for v in history]
            changes = [_change_vs(ind, v) for v in history]
            rows.append([Md(str(i)), ind["name"], ind["unit"], *past, _value(ind), *changes])
        headers = [
            "TT",
            "Chỉ tiêu",
            "Đơn vị tính",
            *[f"Năm {y}" for y in years],
            f"Năm {self.year}",
            *[f"So với năm {y}" for y in years],
        ]
        n = len(years)
        widths = [5, 37 - 6 * n, 11, *[9] * (n + 1), *[14] * n]
        return table(headers, rows, "rll" + "r" * (2 * n + 1), caption, widths=widths)

    def next_targets(self, caption: str) -> Md:
        rows = []
        for i, ind in enumerate(self._ordered(lambda x: x["next_target"] is not None), start=1):
            rows.append([Md(str(i)), ind["name"], ind["unit"], _value(ind), _target(ind, "next_target")])
        return table(
            ["TT", "Chỉ tiêu", "Đơn vị tính", f"Thực hiện {self.year}", f"Chỉ tiêu {self.year + 1}"],
            rows,
            "rllrr",
            caption,
            widths=[5, 49, 14, 16, 16],
        )

    BY_HEADER = {
        "area": "Khu dân cư",
        "field": "Lĩnh vực",
        "mode": "Hình thức giám sát",
        "level": "Cấp khen",
        "recipient_type": "Đối tượng",
    }

    def breakdown(self, name: str, caption: str, widths: Sequence[int] | None = None) -> Md:
        """A declared breakdown (indicators.yml ``breakdowns``): one row per khu, lĩnh vực…,
        one column per figure, and a total row that is each figure's own value."""
        b = self.m["breakdowns"][name]
        inds = [self.ind[c] for c in b["indicators"]]
        areas = self.m["unit"]["areas"]

        def cell(ind: dict, value, total: bool = False) -> Md:
            if ind["unit"] == "khu" and b["by"] == "area":  # a khu has the title or not
                text = f"{_number(ind, 'past', value)}/{areas}" if total else ("Đạt" if value else "Chưa đạt")
            elif value is None:
                text = "–"
            else:  # the total is the figure the text states, printed as the text prints it
                text = vn.fmt_number(value, _decimals(ind, "value" if total else "past"))
            return Md(f"**{text}**") if total else Md(text)

        rows = [[r["name"], *[cell(ind, r["values"][ind["code"]]) for ind in inds]] for r in b["rows"]]
        rows.append([Md("**Cộng**"), *[cell(ind, b["total"][ind["code"]], total=True) for ind in inds]])
        headers = [self.BY_HEADER.get(b["by"], ""), *[ind["short"] for ind in inds]]
        align = "l" + "".join("l" if ind["unit"] == "khu" and b["by"] == "area" else "r" for ind in inds)
        return table(headers, rows, align, caption, widths=widths)

    def glossary(self) -> Md:
        """Each figure the report states, with its unit and definition (indicators.yml), as a
        numbered list in body text."""
        lines = []
        for i, code in enumerate(self.project.reference.declared, start=1):
            ind = self.ind[code]
            lines.append(
                f"{i}. **{md_escape(ind['name'])}** ({md_escape(ind['unit'])}): {md_escape(ind['definition'])}"
            )
        return Md("\n".join(lines))

    def models(self, caption: str) -> Md:
        rows = [
            [Md(str(i)), r["area"], r["model"], Md("Có" if r["recognised"] else "–")]
            for i, r in enumerate(self.m["models"]["list"], start=1)
        ]
        return table(
            ["TT", "Khu dân cư", "Mô hình đăng ký", "Được công nhận"], rows, "rllc", caption, widths=[5, 14, 65, 16]
        )

    def fund(self, caption: str) -> Md:
        f = self.m["fund"]
        rows: list[list[object]] = [[Md("**Số dư đầu năm**"), Md(""), _f(f["opening"])]]
        for s in f["by_source"]:
            rows.append([f"Thu từ: {_lower_first(s['name'])}", _f(s["count"]), _f(s["amount"])])
        rows.append([Md("**Cộng thu**"), _f(f["receipts_count"]), Md(f"**{vn.fmt_int(f['receipts'])}**")])
        for p in f["by_purpose"]:
            rows.append([f"Chi: {p['name']}", _f(p["count"]), _f(p["amount"])])
        rows.append([Md("**Cộng chi**"), _f(f["payments_count"]), Md(f"**{vn.fmt_int(f['payments'])}**")])
        rows.append([Md("**Số dư cuối năm**"), Md(""), _f(f["closing"])])
        return table(["Nội dung", "Số khoản", "Số tiền (đồng)"], rows, "lrr", caption)

    def gifts(self, caption: str) -> Md:
        g = self.m["gifts"]
        rows = [
            [o["name"], _f(o["count"]), Md(vn.fmt_number(o["value"] / 1e6, 1, trim=True))] for o in g["by_occasion"]
        ]
        rows.append(
            [
                Md("**Cộng**"),
                Md(f"**{vn.fmt_int(g['count'])}**"),
                Md(f"**{vn.fmt_number(g['value'] / 1e6, 1, trim=True)}**"),
            ]
        )
        return table(["Dịp", "Số suất quà", "Trị giá (triệu đồng)"], rows, "lrr", caption)

    def houses(self, caption: str) -> Md:
        rows = [
            [
                Md(str(i)),
                h["area"],
                h["household_type"],
                h["work"],
                Md(vn.fmt_number(h["support"] / 1e6, 1, trim=True)),
                Md(vn.fmt_number(h["other_funds"] / 1e6, 1, trim=True)),
                Md("Đã bàn giao" if h["handed_over"] else "Đang thi công"),
            ]
            for i, h in enumerate(self.m["houses"]["list"], start=1)
        ]
        return table(
            [
                "TT",
                "Khu dân cư",
                "Diện hộ",
                "Hình thức",
                "Quỹ hỗ trợ (triệu đồng)",
                "Nguồn khác (triệu đồng)",
                "Tình trạng",
            ],
            rows,
            "rlllrrl",
            caption,
            widths=[5, 12, 23, 12, 16, 16, 16],
        )

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
        rows = [
            [
                o["name"],
                _f(o["members"]),
                _f(o["new_members"]),
                _f(o["activities"]),
                _f(o["sessions"]),
                _f(o["participants"]),
            ]
            for o in orgs
        ]
        totals = [
            sum(o[k] or 0 for o in orgs) for k in ("members", "new_members", "activities", "sessions", "participants")
        ]
        rows.append([Md("**Cộng**"), *[Md(f"**{vn.fmt_int(t)}**") for t in totals]])
        return table(
            ["Tổ chức", "Hội viên, đoàn viên", "Kết nạp mới", "Số hoạt động", "Số cuộc", "Lượt người tham gia"],
            rows,
            "lrrrrr",
            caption,
            widths=[32, 15, 12, 13, 11, 17],
        )

    def org_by_field(self, caption: str) -> Md:
        """Sessions per organisation (rows) and field (columns), with totals both ways."""
        fields = self.m.get("by_field", [])
        orgs = [o for o in self.m["by_org"] if o["sessions"]]
        rows = []
        for o in orgs:
            cells = [f["sessions_by_org"].get(o["org"], 0) for f in fields]
            rows.append([o["short"], *[_f(c) if c else Md("–") for c in cells], Md(f"**{vn.fmt_int(sum(cells))}**")])
        col_totals = [sum(f["sessions_by_org"].get(o["org"], 0) for o in orgs) for f in fields]
        rows.append(
            [
                Md("**Cộng**"),
                *[Md(f"**{vn.fmt_int(t)}**") for t in col_totals],
                Md(f"**{vn.fmt_int(sum(col_totals))}**"),
            ]
        )
        return table(
            ["Tổ chức", *[f["name"] for f in fields], "Cộng"],
            rows,
            "l" + "r" * (len(fields) + 1),
            caption,
            widths=[10, *[9] * len(fields), 7],
        )
