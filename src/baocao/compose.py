"""Composition: report/bao-cao.qmd.j2 + metrics + narrative → a complete, code-free .qmd.

Data is never markup: every ``{{ … }}`` the template prints is escaped for Markdown (Jinja2's
``finalize``), unless it is :class:`Md` — Markdown we produced ourselves (formatted numbers,
the tables this module builds, the validated narrative). So a cell that says ``<script>`` or
``*`` stays text in both HTML and PDF. YAML front-matter values are escaped the same way and
then JSON-quoted (pandoc reads metadata strings as Markdown).
"""

from __future__ import annotations

import datetime as dt
import functools
import string
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import jinja2

from . import vnformat as vn
from .config import Project
from .figures import Figure
from .markdown import Md, Numbering, figure_md, finalize, md_escape, table, yaml_list, yaml_str
from .markdown import cell_number as _f
from .markdown import lower_first as _lower_first
from .moneytables import fund_table, gifts_table, houses_table
from .narrative import ReportMeta
from .period import named_at_cutoff
from .targets import round_half_up

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


def _trim(text: str) -> str:
    """A zero fraction dropped, as an office writes a percentage: "100,0" → "100"."""
    whole, comma, frac = text.partition(",")
    return whole if comma and set(frac) == {"0"} else text


def _percent_text(text: str) -> str:
    return _trim(text) + "%"


ESTIMATE = "ước"  # the mark of a figure estimated to 31/12 by a declared rule (baocao.estimates)


def _value(ind: dict) -> Md:
    """An indicator's value in its unit, without the unit ("425,3"; "95,5%" for rates); an
    estimate to 31/12 marked "ước 425,3"."""
    if ind["value"] is None:
        return Md("–")
    text = _percent_text(_number(ind)) if ind["kind"] == "percent" else _number(ind)
    return Md(f"{ESTIMATE} {text}" if bool(ind.get("estimate")) else text)


def _target(ind: dict, key: str = "target") -> Md:
    value = ind.get(key)
    if value is None:
        return Md("–")
    return Md(_percent_text(_number(ind, key)) if ind["kind"] == "percent" else _number(ind, key))


def _past(ind: dict, value) -> Md:
    """An earlier year's value, at the declared decimals."""
    if value is None:
        return Md("–")
    text = _number(ind, "past", value)
    return Md(_percent_text(text) if ind["kind"] == "percent" else text)


def _unit_after(text: str, unit: str) -> str:
    if unit == "%":
        return _percent_text(text)
    return f"{text} {unit}".rstrip()


def _with_unit(ind: dict, key: str = "value", value=None) -> Md:
    """The value in its unit: "165 cuộc", "473,5 triệu đồng", "245 triệu đồng", "0,85%"."""
    value = ind.get(key) if value is None else value
    if value is None:
        return Md("–")
    text = _number(ind, key, value)
    if ind["kind"] == "money" and float(value).is_integer():
        text = vn.fmt_number(value, 0)  # "245 triệu đồng", not "245,0 triệu đồng"
    return Md(_unit_after(text, ind["unit"]))


def _in_sentence(ind: dict) -> str:
    """The value in its unit in a sentence: "04 căn"; an estimate "ước 420 triệu đồng"."""
    return (f"{ESTIMATE} " if ind.get("estimate") else "") + _padded(str(_with_unit(ind)), ind)


def _at_cutoff(ind: dict, cutoff: str, with_unit: bool = True) -> str:
    """After an estimate, the result it rests on: " (đến ngày 20/11/2023: 383,45 triệu đồng)";
    the number alone where the sentence names the thing in its own words ("04 nhà …")."""
    if not bool(ind.get("estimate")):
        return ""
    at = ind["estimate"]["at_cutoff"]
    text = str(_with_unit(ind, value=at)) if with_unit else _number(ind, value=at)
    shown = "–" if at is None else _padded(text, {**ind, "value": at})
    return f" (đến ngày {cutoff}: {shown})"


def _target_with_unit(ind: dict, key: str = "target") -> Md:
    """A target in its unit: "5 căn", "450 triệu đồng", "61,5%"."""
    return _with_unit(ind, key)


def _printed_change(ind: dict, past) -> tuple[Decimal, int] | None:
    """This year against an earlier value, from the values as printed (a reviewer subtracts
    the printed numbers): for a rate the difference in points and its decimals, else the
    change in % of the printed earlier value (1 decimal). None without a comparison."""
    value = ind.get("value")
    if value is None or past is None:
        return None
    now_d, past_d = _decimals(ind), _decimals(ind, "past")
    now, then = round_half_up(value, now_d), round_half_up(past, past_d)
    if ind["kind"] == "percent":
        return now - then, max(now_d, past_d)
    if not then:
        return None
    return (now - then) / then * 100, 1


def _change(ind: dict) -> Md:
    """'tăng 12,5%' / 'tăng 0,8 điểm phần trăm', from the printed values; '' without a
    previous year."""
    found = _printed_change(ind, ind.get("previous"))
    if found is None:
        return Md("")
    diff, decimals = found
    text = _trim(vn.fmt_number(abs(diff), decimals))
    if text == "0":
        return Md("không thay đổi")
    word = "tăng" if diff > 0 else "giảm"
    return Md(f"{word} {text} điểm phần trăm" if ind["kind"] == "percent" else f"{word} {text}%")


STATUS_LABEL: dict[str | None, str] = {"vượt": "Vượt", "đạt": "Đạt", "chưa đạt": "Chưa đạt"}


def _pct_of_plan(ind: dict) -> str:
    pct = ind.get("achievement_pct")
    return "–" if pct is None else _percent_text(vn.fmt_number(pct, ind.get("achievement_decimals", 1)))


def _vs_plan(ind: dict) -> Md:
    """The result against the year's plan, as a person writes it: "đạt 104,2% kế hoạch",
    "mới đạt 85,2% kế hoạch"; for a rate "vượt chỉ tiêu 93%", and for a ceiling "đạt chỉ tiêu
    không quá 1%" (staying under a ceiling meets it). Empty without a target. Verdicts are
    judged at full precision (metrics); the value is printed with enough decimals to agree."""
    status = ind.get("status")
    if status is None or ind.get("target") is None:
        return Md("")
    if bool(ind.get("estimate")):  # the verdict rests on the estimate, and says so
        return Md(f"{ESTIMATE} " + str(_vs_plan({**ind, "estimate": None})))
    if ind["direction"] == "lower":
        return Md(f"{status} chỉ tiêu không quá {_target_with_unit(ind)}")
    if ind["kind"] == "percent" or ind.get("achievement_pct") is None:
        return Md(f"{status} chỉ tiêu {_target_with_unit(ind)}")
    if status == "chưa đạt":
        return Md(f"mới đạt {_pct_of_plan(ind)} kế hoạch")
    return Md(f"đạt {_pct_of_plan(ind)} kế hoạch")


def _remarks(ind: dict, year: int | None = None) -> Md:
    """The plan and the previous year after a stated value, as a clause:
    ``", đạt 107% kế hoạch, tăng 27% so với năm 2022"``; empty when there is neither."""
    parts: list[str] = []
    plan = _vs_plan(ind)
    if plan:
        parts.append(plan)
    change = _change(ind)
    if change and year is not None:
        mark = f"{ESTIMATE} " if bool(ind.get("estimate")) and not plan else ""  # an estimate's change says so
        parts.append(f"{mark}{change} so với năm {year - 1}")
    return Md("".join(", " + p for p in parts))


def _verdict(ind: dict, year: int) -> Md:
    """The plan and last year as a clause of its own: "đạt 107% kế hoạch, tăng 27% so với năm
    2022"; empty when there is neither."""
    return Md(str(_remarks(ind, year)).removeprefix(", "))


def _padded(text: str, ind: dict) -> str:
    """A count below 10 with its leading zero, as offices write it in a sentence ("04 khu")."""
    value = ind.get("value")
    if ind["kind"] == "count" and value is not None and 0 < value < 10 and float(value).is_integer():
        return "0" + text
    return text


@jinja2.pass_context
def _said(context, ind: dict, year: int | None = None, *, remarks: bool = True) -> Md:
    """The figure as its declaration's ``text`` states it ("165 cuộc tuyên truyền, vận động"),
    then the plan and last year (``year`` given: with the change)."""
    indicators = context["ind"]
    parts = list(string.Formatter().parse(ind["text"]))
    out = []
    for i, (literal, name, _spec, _conv) in enumerate(parts):
        out.append(md_escape(literal) if literal else "")
        if not name:
            continue
        ratio = (literal or "").endswith("/") or (i + 1 < len(parts) and (parts[i + 1][0] or "").startswith("/"))
        if name == "areas":
            out.append(str(context["m"]["unit"]["areas"]))
        elif name in ("value", "number"):
            text = str(_with_unit(ind) if name == "value" else _number(ind))
            text = text if ratio else _padded(text, ind)
            out.append(f"{ESTIMATE} {text}" if bool(ind.get("estimate")) else text)
        else:
            out.append(_number(indicators[name]))
    cutoff = vn.fmt_date_short(dt.date.fromisoformat(context["m"]["period"]["cutoff"]))
    text = "".join(out) + _at_cutoff(ind, cutoff, with_unit="{value}" in ind["text"])
    return Md(text + (_remarks(ind, year) if remarks else ""))


def _change_vs(ind: dict, past) -> Md:
    """This year against an earlier value, from the printed values: "+22,2%", "−5,3%"; rates
    in points: "+1,1 điểm %"."""
    found = _printed_change(ind, past)
    if found is None:
        return Md("–")
    diff, decimals = found
    text = vn.fmt_number(abs(diff), decimals)
    sign = "" if not round_half_up(float(diff), decimals) else ("+" if diff > 0 else MINUS)
    # No-break spaces: "+2,1 điểm %" never breaks inside a narrow column.
    return Md(f"{sign}{_trim(text)}\u00a0điểm\u00a0%" if ind["kind"] == "percent" else f"{sign}{_percent_text(text)}")


def _count(value) -> Md:
    """A count in a sentence, with its leading zero below 10 ("03 cuộc")."""
    if value is None:
        return Md("–")
    text = vn.fmt_number(value, 0)
    return Md("0" + text if 0 < value < 10 else text)


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
        with_unit=lambda ind: Md(_in_sentence(ind)),  # in a sentence: "04 căn", "ước 420 triệu đồng"
        done=lambda ind: Md(
            ("ước thực hiện " if bool(ind.get("estimate")) else "thực hiện ") + _padded(str(_with_unit(ind)), ind)
        ),
        change=_change,
        pad=_count,
        verdict=_verdict,
        date_short=lambda iso: vn.fmt_date_short(dt.date.fromisoformat(iso)),
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


@functools.lru_cache(maxsize=8)
def report_environment(template_dir: Path) -> jinja2.Environment:
    """The ward report's environment, kept for the process: a process that composes again
    (``baocao preview``) does not compile the template again unless it changed on disk (Jinja's
    loader checks the file's modification time). Never modified after it is made."""
    return environment(template_dir)


def compose(
    project: Project,
    metrics: dict,
    meta: ReportMeta,
    narrative: dict[str, str],
    figures: Sequence[Figure],
) -> str:
    year = metrics["year"]
    unit = project.unit
    metrics = named_at_cutoff(metrics)
    env = report_environment(project.report_dir)
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
class Tables:
    """The report's tables, built from metrics; the template decides where each goes."""

    def __init__(self, project: Project, metrics: dict):
        self.project = project
        self.m = metrics
        self.ind = metrics["indicators"]
        self.year = metrics["year"]
        period = metrics.get("period") or {"cutoff": f"{self.year}-12-31"}
        self.cutoff = vn.fmt_date_short(dt.date.fromisoformat(period["cutoff"]))

    def _ordered(self, keep) -> list[dict]:
        """The chỉ tiêu, in the order indicators.yml lists them."""
        return [self.ind[c] for c in self.project.reference.indicators if keep(self.ind[c])]

    def targets(self, caption: str) -> Md:
        rows = []
        for i, ind in enumerate(self._ordered(lambda x: x["target"] is not None), start=1):
            label = STATUS_LABEL.get(ind.get("status"), "–")  # on an estimate "Ước đạt"
            rows.append(
                [
                    Md(str(i)),
                    ind["name"],
                    ind["unit"],
                    _target(ind),
                    _value(ind),
                    Md(_pct_of_plan(ind)),
                    Md(f"Ước {label.lower()}" if ind.get("estimate") and ind.get("status") else label),
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
            # the years were each counted to their own cut-off: the row is named without a date
            name = ind.get("year_end_name", ind["name"]).replace(" cuối năm", "")
            rows.append([Md(str(i)), name, ind["unit"], *past, _value(ind), *changes])
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
            name = ind.get("year_end_name", ind["name"])  # a target is set for the year's end
            rows.append([Md(str(i)), name, ind["unit"], _value(ind), _target(ind, "next_target")])
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
        "org": "Tổ chức thành viên",
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
            else:  # parts and total at the decimals where the printed parts add up (metrics)
                text = vn.fmt_number(value, _decimals(ind, "value"))
            return Md(f"**{text}**") if total else Md(text)

        rows = [[r["name"], *[cell(ind, r["values"][ind["code"]]) for ind in inds]] for r in b["rows"]]
        rows.append([Md("**Cộng**"), *[cell(ind, b["total"][ind["code"]], total=True) for ind in inds]])
        headers = [self.BY_HEADER.get(b["by"], ""), *[ind["short"] for ind in inds]]
        align = "l" + "".join("l" if ind["unit"] == "khu" and b["by"] == "area" else "r" for ind in inds)
        return table(headers, rows, align, caption, widths=widths)

    def declines(self) -> Md:
        """The weaknesses the figures show, one "-" line each: a chỉ tiêu that missed its target
        or fell against last year (by the printed values), and how long it has been falling."""
        lines = []
        for ind in self._ordered(lambda x: x["value"] is not None):
            found = _printed_change(ind, ind.get("previous"))
            worse = (
                found is not None
                and bool(round_half_up(float(found[0]), found[1]))
                and ((found[0] < 0) == (ind["direction"] == "higher"))
            )
            missed = ind.get("status") == "chưa đạt"
            if not (worse or missed):
                continue
            bits = [str(_vs_plan(ind))] if missed else []
            if worse:
                bits.append(f"{_change(ind)} so với năm {self.year - 1}")
                since = self._worse_since(ind)
                if since is not None:
                    bits.append(
                        f"là năm thứ {self.year - since} liên tiếp {'giảm' if ind['direction'] == 'higher' else 'tăng'}"
                    )
            lines.append(f"- {md_escape(ind['name'])}: {_in_sentence(ind)}, {', '.join(bits)}.")
        return Md("\n".join(lines))

    def _worse_since(self, ind: dict) -> int | None:
        """The first year of an unbroken run of years each worse than the one before, when the
        run is longer than one year (printed values)."""
        years = [int(y) for y in self.m["compared_years"]]
        series = [(y, ind["history"].get(str(y))) for y in years]
        printed = [(y, round_half_up(v, _decimals(ind, "past"))) for y, v in series if v is not None]
        printed.append((self.year, round_half_up(ind["value"], _decimals(ind))))
        higher = ind["direction"] == "higher"
        start = len(printed) - 1
        while (
            start > 0
            and ((printed[start][1] < printed[start - 1][1]) == higher)
            and printed[start][1] != printed[start - 1][1]
        ):
            start -= 1
        return printed[start][0] if len(printed) - 1 - start >= 2 else None

    def member_orgs(self) -> Md:
        """One "-" line per member organisation: its members, new members, its own activities."""
        b = self.m["breakdowns"]["to_chuc_thanh_vien"]
        orgs = {o.id: o for o in self.project.unit.organisations}
        lines = []
        for r in b["rows"]:
            v, org = r["values"], orgs.get(r["id"])
            short = str(org.extra.get("short", "")) if org else ""
            name = r["name"] + (f" ({short})" if short and short != r["name"] else "")
            who = "đoàn viên" if r["name"].startswith(("Đoàn", "Công đoàn")) else "hội viên"
            parts = []
            if v.get("hoi_vien") is not None:
                parts.append(f"có {vn.fmt_int(v['hoi_vien'])} {who}")
            if v.get("hoi_vien_moi"):
                parts.append(f"kết nạp mới {_count(v['hoi_vien_moi'])} {who}")
            if v.get("tctv_cuoc"):
                parts.append(
                    f"tổ chức {_count(v['tctv_cuoc'])} cuộc hoạt động với {vn.fmt_int(v['tctv_luot'])} lượt người tham gia"
                )
            lines.append(f"- {md_escape(name)}: {', '.join(parts)}.")
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
        return fund_table(self.m["fund"], self.cutoff, caption)

    def gifts(self, caption: str) -> Md:
        return gifts_table(self.m["gifts"], caption)

    def houses(self, caption: str) -> Md:
        return houses_table(self.m["houses"]["list"], caption)

    def petitions(self, caption: str) -> Md:
        rows, tot = [], [0, 0, 0, 0]
        for p in self.m["petitions_by_month"]:
            vals = [p["received"], p["forwarded"], p["answered"], p["pending"]]
            tot = [a + b for a, b in zip(tot, vals, strict=True)]
            until = f" (đến ngày {p['until']})" if p.get("until") else ""  # the month of the cut-off, in part
            rows.append([f"Tháng {p['month']}{until}", *[_f(v) for v in vals]])
        rows.append([Md("**Cộng**"), *[Md(f"**{vn.fmt_int(t)}**") for t in tot]])
        return table(["Tháng", "Tiếp nhận", "Đã chuyển", "Đã trả lời", "Đang giải quyết"], rows, "lrrrr", caption)

    def organisers(self, caption: str) -> Md:
        """Sessions and participants by organiser: the ward committee, the Ban CTMT of the khu,
        each member organisation; every activity in one row, the total the figures stated."""
        orgs = self.m["by_org"]
        total_s, total_p = self.ind["hoat_dong_cuoc"]["value"], self.ind["hoat_dong_luot"]["value"]
        assert sum(o["sessions"] for o in orgs) == total_s and sum(o["participants"] for o in orgs) == total_p
        rows = [[o["name"], _f(o["sessions"]), _f(o["participants"])] for o in orgs]
        rows.append([Md("**Cộng**"), Md(f"**{vn.fmt_int(total_s)}**"), Md(f"**{vn.fmt_int(total_p)}**")])
        return table(["Đơn vị tổ chức", "Số cuộc", "Số lượt người tham gia"], rows, "lrr", caption, widths=[56, 18, 26])

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
