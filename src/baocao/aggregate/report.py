"""The aggregate's documents: the compiled report (``report/tong-hop.qmd.j2``) and its data-quality record.

The report is composed like a ward's (:mod:`baocao.compose`: the same Jinja2 environment,
filters and tables, the same NĐ 30 header, both renderers): the city's figures against its own
targets, one row per member with the figures as that member's report printed them, the members
that met or missed their own targets, the year-on-year change, and the city's narrative. The
data-quality record (``chat-luong-so-lieu-<year>.html``, for the analyst) lists each member's
bag (checked, signature, sha256), the members missing or refused and why, the member-equality
check, the notes of the compilation and each member's warnings.
"""

from __future__ import annotations

import unicodedata

from .. import vnformat as vn
from ..compose import STATUS_LABEL, Tables, environment
from ..config import Project
from ..markdown import Md, Numbering, table
from ..narrative import ReportMeta

TEMPLATE_NAME = "tong-hop.qmd.j2"
#: The chỉ tiêu of the table with one row per member (the main ones; the rest are in the city's table).
MEMBER_TABLE = ("tuyen_truyen_cuoc", "quy_vnn_thu", "nha_ddk", "ty_le_ho_ngheo", "ty_le_gdvh", "giam_sat_cuoc")


def _cell(cell: dict, kind: str) -> Md:
    """A member's figure printed as its own report printed it (its decimals)."""
    value = cell.get("value")
    if value is None:
        return Md("–")
    return Md(vn.fmt_number(value, int(cell.get("decimals") or 0)))


class AggregateTables(Tables):
    """The ward report's tables (targets, history, next targets) and the aggregate's own."""

    def members(self, caption: str, codes: tuple[str, ...] = MEMBER_TABLE) -> Md:
        codes = tuple(c for c in codes if c in self.ind)
        rows = []
        for i, r in enumerate(self.m["member_rows"], start=1):
            rows.append([Md(str(i)), r["name"], *[_cell(r["cells"][c], self.ind[c]["kind"]) for c in codes]])
        total = [Md(""), Md("**Toàn đơn vị**" if self.m["coverage"]["partial"] is False else "**Cộng (chưa đủ)**")]
        total += [Md("**" + _cell({**self.ind[c], "decimals": self.ind[c]["decimals"]}, "") + "**") for c in codes]
        rows.append(total)
        headers = ["TT", "Đơn vị", *[f"{self.ind[c]['short']} ({self.ind[c]['unit']})" for c in codes]]
        headers = [h.replace(" (%) (%)", " (%)") for h in headers]
        return table(headers, rows, "rl" + "r" * len(codes), caption, widths=[5, 25, *[70 // len(codes)] * len(codes)])

    def verdicts(self, caption: str) -> Md:
        names = {r["id"]: r["name"] for r in self.m["members"]}
        rows = []
        for i, ind in enumerate(self._ordered(lambda x: x.get("members") is not None), start=1):
            v = ind["members"]
            judged = len(v["met"]) + len(v["missed"])
            rows.append(
                [
                    Md(str(i)),
                    ind["name"],
                    Md(vn.fmt_ratio(len(v["met"]), judged) if judged else "–"),
                    ", ".join(_short(names[x]) for x in v["missed"]) or "–",
                ]
            )
        return table(
            ["TT", "Chỉ tiêu", "Số đơn vị đạt/có chỉ tiêu", "Đơn vị chưa đạt"],
            rows,
            "rlcl",
            caption,
            widths=[5, 40, 17, 38],
        )

    def coverage(self, caption: str) -> Md:
        label = {"reported": "Đã gửi", "missing": "Chưa gửi", "refused": "Không hợp lệ, không sử dụng"}
        rows = []
        for i, r in enumerate(self.m["members"], start=1):
            period = ""
            if r["status"] == "reported" and r["cutoff"]:
                period = vn.fmt_date_short(_date(r["cutoff"]))
            rows.append([Md(str(i)), r["name"], label[r["status"]], Md(period or "–")])
        return table(
            ["TT", "Đơn vị", "Báo cáo", "Số liệu tính đến ngày"], rows, "rllc", caption, widths=[5, 45, 30, 20]
        )


def _date(iso: str):
    import datetime as dt

    return dt.date.fromisoformat(iso)


def _short(name: str) -> str:
    """ "Ủy ban MTTQ Việt Nam phường Bình Ngọc" → "phường Bình Ngọc" in lists of members."""
    for prefix in ("Ủy ban MTTQ Việt Nam ", "Ủy ban Mặt trận Tổ quốc Việt Nam "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def coverage_sentence(metrics: dict) -> str:
    """ "15/17 đơn vị đã gửi báo cáo; chưa gửi: …; không sử dụng (túi không hợp lệ): …"."""
    names = {r["id"]: _short(r["name"]) for r in metrics["members"]}
    c = metrics["coverage"]
    text = f"{vn.fmt_ratio(c['reported'], c['expected'])} đơn vị đã gửi báo cáo"
    if c["missing"]:
        text += "; chưa gửi: " + ", ".join(names[x] for x in c["missing"])
    if c["refused"]:
        text += "; báo cáo không hợp lệ, không sử dụng: " + ", ".join(names[x] for x in c["refused"])
    return text


def compose_aggregate(project: Project, metrics: dict, meta: ReportMeta, narrative: dict[str, str]) -> str:
    year = metrics["year"]
    unit = project.unit
    env = environment(project.report_dir)
    env.filters["short"] = _short
    context = {
        "year": year,
        "next_year": year + 1,
        "unit": unit,
        "meta": meta,
        "m": metrics,
        "ind": metrics["indicators"],
        "narrative": {k: Md(v) for k, v in narrative.items()},
        "n": Numbering(),
        "number_line": f"Số: {meta.number}/{unit.symbol}",
        "place_date": f"{unit.place}, {vn.fmt_date_long(meta.date)}",
        "date_long": vn.fmt_date_long(meta.date),
        "date_iso": meta.date.isoformat(),
        "coverage": coverage_sentence(metrics),
        "tbl": AggregateTables(project, metrics),
        "status_label": STATUS_LABEL,
    }
    text = env.get_template(TEMPLATE_NAME).render(**context)
    text = unicodedata.normalize("NFC", text)
    for needle in ("{{", "{%", "```{"):
        if needle in text:
            raise RuntimeError(f"composed document still holds '{needle}'")
    return text


# ---------------------------------------------------------------------------- the data-quality record
_RECORD = """<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hồ sơ chất lượng số liệu tổng hợp năm {{ year }} – {{ unit }}</title>
<style>
body { font-family: "Times New Roman", "Liberation Serif", serif; font-size: 15px; line-height: 1.4;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #111; }
h1 { font-size: 1.35em; text-align: center; } h2 { font-size: 1.1em; margin-top: 1.6em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: 0.6em 0; width: 100%; }
th, td { border: 1px solid #888; padding: 2px 6px; vertical-align: top; } th { background: #eee; }
td.n { text-align: right; white-space: nowrap; } tr.bad td { background: #fde9e7; }
code { font-size: 0.85em; word-break: break-all; }
</style>
</head>
<body>
<h1>HỒ SƠ CHẤT LƯỢNG SỐ LIỆU TỔNG HỢP NĂM {{ year }}</h1>
<p style="text-align:center;font-style:italic">{{ unit }} – tài liệu kiểm tra của người lập báo cáo tổng hợp; không phải văn bản ký ban hành.<br>
Data-quality record of the compiled {{ year }} report, for the analyst; not part of the signed document.</p>

<h2>1. Báo cáo của các đơn vị thành viên / Members' reports</h2>
<p>{{ coverage }}{% if m.coverage.partial %} — <b>số liệu tổng hợp chưa đầy đủ / the compiled figures are partial</b>{% endif %}.</p>
<table>
<tr><th>Đơn vị / member</th><th>Tình trạng / status</th><th>Nguồn / source</th><th>Chữ ký / signature</th><th>Số liệu đến / cut-off</th><th>Dòng bị loại / rows rejected</th><th>Cảnh báo / warnings</th><th>sha256</th></tr>
{% for r in m.members %}
<tr{% if r.status != "reported" %} class="bad"{% endif %}><td>{{ r.name }} ({{ r.id }})</td><td>{{ r.status }}</td><td>{{ r.source }} {{ r.path }}</td><td>{{ r.signature }}</td><td>{{ r.cutoff }}</td><td class="n">{{ r.rejected_rows }}</td><td class="n">{{ r.warnings }}</td><td><code>{{ r.sha256 }}</code></td></tr>
{% if r.problems %}<tr class="bad"><td colspan="8"><b>Không sử dụng / refused, never read:</b><ul>{% for p in r.problems %}<li>{{ p }}</li>{% endfor %}</ul></td></tr>{% endif %}
{% endfor %}
</table>
{% if m.unexpected_files %}<p>Tệp không thuộc đơn vị thành viên nào, không đọc / files of no member, not read: {{ m.unexpected_files | join(", ") }}</p>{% endif %}

<h2>2. Số liệu từng đơn vị bằng số liệu trong báo cáo đã ký của đơn vị / Each member's row equals its own signed report</h2>
<table>
<tr><th>Đơn vị / member</th><th>Kết quả / result</th><th>Chỉ tiêu lệch / figures that differ</th></tr>
{% for c in m.checks.member_equality %}
<tr{% if c.status != "ok" %} class="bad"{% endif %}><td>{{ c.name }}</td><td>{{ "Khớp / equal" if c.status == "ok" else "LỆCH / MISMATCH" }}</td><td>{{ c.differ | join(", ") or "–" }}</td></tr>
{% endfor %}
</table>

<h2>3. Cách tổng hợp / How each figure is compiled</h2>
{% if m.notes %}<ul>{% for n in m.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
<table>
<tr><th>Mã / code</th><th>Chỉ tiêu / figure</th><th>Quy tắc / rule</th><th>Đơn vị được cộng / members summed</th><th class="n">Giá trị / value</th></tr>
{% for e in m.indicators.values() %}
<tr><td><code>{{ e.code }}</code></td><td>{{ e.name }}</td><td>{{ rules[e.rollup] }}</td><td>{{ e.contributors | join(", ") }}</td><td class="n">{{ e.value | n }}</td></tr>
{% endfor %}
</table>

<h2>4. Cảnh báo trong số liệu của từng đơn vị / Each member's warnings</h2>
{% for w in warnings %}
<h3>{{ w.name }} ({{ w.rows | length }})</h3>
{% if w.rows %}<table><tr>{% for k in w.rows[0].keys() %}<th>{{ k }}</th>{% endfor %}</tr>
{% for row in w.rows %}<tr>{% for v in row.values() %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}</table>{% else %}<p>Không có / none.</p>{% endif %}
{% endfor %}
</body>
</html>
"""

RULES = {
    "sum": "cộng số liệu các đơn vị / sum of the members'",
    "opening": "số dư đầu năm: cộng các đơn vị có ngày 01/01 / opening balance: members existing on 1 January",
    "closing": "số cuối kỳ: cộng các đơn vị còn đến cuối năm, cùng ngày / closing: members existing at the year's end, same date",
    "formula": "tính lại theo công thức từ các số đã cộng / recomputed from the compiled parts",
    "none": "không tổng hợp / not compiled",
}


def render_record(project: Project, metrics: dict, members: list) -> str:
    from ..quality import record_environment

    env = record_environment()
    warnings = [{"name": m.name, "rows": m.warnings} for m in members if m.reported]
    return env.from_string(_RECORD).render(
        year=metrics["year"],
        unit=project.unit.name,
        m=metrics,
        coverage=coverage_sentence(metrics),
        rules=RULES,
        warnings=warnings,
    )
