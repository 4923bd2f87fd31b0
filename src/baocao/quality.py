"""The data-quality record: what the analyst checks, kept out of the document the committee signs.

``build/<year>/chat-luong-so-lieu-<year>.html`` is one self-contained HTML file (no script, no
link outside it) written from the build's own records: the row accounting of every file and
sheet, each sheet's own total rows against the rows kept (``data/reconciliation.csv``), this
year's opening figures and targets against last year's (``metrics.json``), every rejected row
every warning, the data period (the rows dated after the cut-off, not counted), next year's
targets against this year's results, and how each figure is computed (indicators.yml): the
signed report holds none of this. It is written by the analyze step (notebooks/02_analyze.ipynb) and archived with
the build; it is deterministic (no clock date) like every other output.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jinja2

from . import vnformat as vn
from .atomic import write_text
from .config import BuildFiles, Project

RECORD_NAME = BuildFiles.QUALITY
STATUS_VI = {
    "ok": "Khớp",
    "mismatch": "Lệch",
    "explained": "Lệch do dòng bị loại",
    "not_checked": "Không đối chiếu được",
}

_TEMPLATE = """<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hồ sơ chất lượng số liệu năm {{ year }} – {{ unit }}</title>
<style>
body { font-family: "Times New Roman", "Liberation Serif", serif; font-size: 15px; line-height: 1.4;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #111; }
h1 { font-size: 1.35em; text-align: center; margin-bottom: 0.2em; }
h2 { font-size: 1.1em; margin-top: 1.6em; border-bottom: 1px solid #999; }
p.note { text-align: center; font-style: italic; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; width: 100%; }
th, td { border: 1px solid #888; padding: 2px 6px; vertical-align: top; }
th { background: #eee; }
td.n { text-align: right; white-space: nowrap; }
tr.bad td { background: #fde9e7; }
tr.explained td { background: #fff4d6; }
.wrap { overflow-x: auto; }
@media print { body { margin: 0; max-width: none; } }
</style>
</head>
<body>
<h1>HỒ SƠ CHẤT LƯỢNG SỐ LIỆU NĂM {{ year }}</h1>
<p class="note">{{ unit }} – tài liệu kiểm tra của người lập báo cáo, kèm theo {{ report }};
không phải văn bản ký ban hành.<br>Data-quality record of the {{ year }} report, for the analyst; not part of the signed document.</p>

<h2>1. Tóm tắt / Summary</h2>
<ul>
<li>Đã đọc {{ q.read | n }} dòng: dùng {{ q.kept | n }}, loại {{ q.rejected | n }} dòng có lỗi,
bỏ qua {{ q.blank | n }} dòng trống và {{ q.total_rows | n }} dòng không phải số liệu: dòng tổng cộng (không cộng lại lần nữa), phần ký tên, và các phần của mẫu in (tiêu đề lặp lại, "Trang 2/3", dòng số thứ tự cột, ghi chú, dòng tên mục).</li>
<li>Đối chiếu dòng tổng cộng của đơn vị: {{ totals | length }} ô đã so,
{{ totals | selectattr("status", "equalto", "ok") | list | length }} khớp,
{{ totals | rejectattr("status", "equalto", "ok") | list | length }} lệch hoặc không đối chiếu được.</li>
<li>Đối chiếu với số liệu năm {{ year - 1 }}: {% if continuity %}{{ continuity | length }} số đã so,
{{ continuity | selectattr("status", "equalto", "ok") | list | length }} khớp,
{{ continuity | rejectattr("status", "equalto", "ok") | list | length }} lệch hoặc không đối chiếu được{% else %}không có số liệu năm {{ year - 1 }} để đối chiếu{% endif %}.</li>
{% set outside = (period.rows_after | length) + ((period.get("rows_before") or []) | length) %}
{% if warnings %}<li>{{ warnings | length }} cảnh báo, cần người kiểm tra: dòng có cảnh báo vẫn được dùng{% if outside %}, trừ {{ outside | n }} dòng
ghi ngày ngoài kỳ số liệu, không được tính (mục 8){% endif %}. / Rows with a warning are still used{% if outside %},
except the {{ outside }} rows dated outside the data period, which are not counted (section 8){% endif %}.</li>
{% else %}<li>Không có cảnh báo. / No warnings.</li>{% endif %}
</ul>

<h2>2. Số dòng theo tệp / Rows per file</h2>
<div class="wrap"><table>
<tr><th>Tệp</th><th>Dòng đọc</th><th>Dòng dùng</th><th>Dòng loại</th><th>Dòng trống</th><th>Dòng tổng cộng</th></tr>
{% for f in q.files %}<tr><td>{{ f.file }}</td><td class="n">{{ f.read | n }}</td><td class="n">{{ f.kept | n }}</td>
<td class="n">{{ f.rejected | n }}</td><td class="n">{{ f.blank | n }}</td><td class="n">{{ f.total | n }}</td></tr>
{% endfor %}<tr><th>Cộng</th><th>{{ q.read | n }}</th><th>{{ q.kept | n }}</th><th>{{ q.rejected | n }}</th><th>{{ q.blank | n }}</th>
<th>{{ q.total_rows | n }}</th></tr>
</table></div>

<h2>3. Số dòng theo sheet / Rows per sheet</h2>
<div class="wrap"><table>
<tr><th>Tệp</th><th>Sheet</th><th>Bảng</th><th>Dòng tiêu đề</th><th>Đọc</th><th>Dùng</th><th>Loại</th><th>Trống</th><th>Tổng cộng</th></tr>
{% for s in q.sheets %}<tr><td>{{ s.file }}</td><td>{{ s.sheet }}</td><td>{{ s.table }}</td><td class="n">{{ s.header_row }}</td>
<td class="n">{{ s.read | n }}</td><td class="n">{{ s.kept | n }}</td><td class="n">{{ s.rejected | n }}</td>
<td class="n">{{ s.blank | n }}</td><td class="n">{{ s.total | n }}</td></tr>
{% endfor %}</table></div>

<h2>4. Đối chiếu với dòng tổng cộng của đơn vị / The offices' own total rows</h2>
<p>Mỗi ô số của dòng "Tổng cộng" so với tổng của cột đó trên các dòng được dùng phía trên nó.</p>
{% if totals %}<div class="wrap"><table>
<tr><th>Tệp</th><th>Sheet</th><th>Dòng</th><th>Cột</th><th>Đơn vị ghi</th><th>Tính được</th><th>Chênh lệch</th><th>Kết quả</th><th>Ghi chú</th></tr>
{% for c in totals %}<tr class="{{ c.status | row_class }}"><td>{{ c.file }}</td><td>{{ c.sheet }}</td><td class="n">{{ c.row }}</td>
<td>{{ c.column }}</td><td class="n">{{ c.office | n }}</td><td class="n">{{ c.computed | n }}</td><td class="n">{{ c.difference | diff }}</td>
<td>{{ c.status | status }}</td><td>{{ c.note_vi }}</td></tr>
{% endfor %}</table></div>{% else %}<p>Không sheet nào có dòng tổng cộng.</p>{% endif %}

<h2>5. Đối chiếu với số liệu năm {{ year - 1 }} / Continuity with {{ year - 1 }}</h2>
<p>Số dư Quỹ đầu năm với số dư cuối năm trước; hộ nghèo, cận nghèo đầu năm với cuối năm trước (từng khu);
chỉ tiêu của năm {{ year }} trong tệp năm nay với chỉ tiêu đã đặt cho năm {{ year }} trong tệp năm trước.</p>
{% if continuity %}<div class="wrap"><table>
<tr><th>Nội dung</th><th>Tệp</th><th>Sheet</th><th>Dòng</th><th>Cột</th><th>Năm {{ year }}</th><th>Năm {{ year - 1 }}</th><th>Chênh lệch</th><th>Kết quả</th><th>Ghi chú</th></tr>
{% for c in continuity %}<tr class="{{ c.status | row_class }}"><td>{{ c.subject }}</td><td>{{ c.file }}</td><td>{{ c.sheet }}</td>
<td class="n">{{ c.row }}</td><td>{{ c.column }}</td><td class="n">{{ c.office | n }}</td><td class="n">{{ c.computed | n }}</td>
<td class="n">{{ c.difference | diff }}</td><td>{{ c.status | status }}</td><td>{{ c.note_vi }}</td></tr>
{% endfor %}</table></div>{% else %}<p>Không có số liệu năm {{ year - 1 }} để đối chiếu.</p>{% endif %}

<h2>6. Dòng bị loại / Rejected rows ({{ rejects | length }})</h2>
{% if rejects %}<div class="wrap"><table>
<tr><th>Tệp</th><th>Sheet</th><th>Dòng</th><th>Cột</th><th>Giá trị</th><th>Lý do</th></tr>
{% for r in rejects %}<tr><td>{{ r.file }}</td><td>{{ r.sheet }}</td><td class="n">{{ r.row }}</td><td>{{ r.column }}</td>
<td>{{ r.value }}</td><td>{{ r.reason_vi }}<br><i>{{ r.reason_en }}</i></td></tr>
{% endfor %}</table></div>
<table><tr><th>Lý do loại</th><th>Số lượt</th></tr>
{% for r in q.reject_reasons %}<tr><td>{{ r.reason_vi }}</td><td class="n">{{ r.rows | n }}</td></tr>{% endfor %}
</table>{% else %}<p>Không có dòng nào bị loại.</p>{% endif %}

<h2>7. Cảnh báo / Warnings ({{ warnings | length }})</h2>
{% if warnings %}<div class="wrap"><table>
<tr><th>Tệp</th><th>Sheet</th><th>Dòng</th><th>Cột</th><th>Giá trị</th><th>Nội dung</th></tr>
{% for r in warnings %}<tr><td>{{ r.file }}</td><td>{{ r.sheet }}</td><td class="n">{{ r.row }}</td><td>{{ r.column }}</td>
<td>{{ r.value }}</td><td>{{ r.reason_vi }}<br><i>{{ r.reason_en }}</i></td></tr>
{% endfor %}</table></div>{% else %}<p>Không có cảnh báo.</p>{% endif %}

<h2>8. Kỳ số liệu / The data period</h2>
<p>Báo cáo tính số liệu từ ngày {{ period.start | date }} đến ngày {{ period.cutoff | date }} (ngày chốt số liệu,
khóa <code>ngay_chot_so_lieu</code> của thong-tin-bao-cao.yml; mặc định là ngày báo cáo).
Dòng ghi ngày sau ngày chốt không được tính vào bất kỳ số liệu nào của báo cáo; dòng theo tháng được tính khi tháng
của dòng không sau tháng của ngày chốt. / The report counts the rows dated up to the cut-off; a row dated after it
is not counted anywhere.</p>
{% if period.rows_after %}<div class="wrap"><table>
<tr><th>Tệp</th><th>Sheet</th><th>Dòng</th><th>Bảng</th><th>Ngày</th><th>Đã xử lý / Done</th></tr>
{% for r in period.rows_after %}<tr><td>{{ r.file }}</td><td>{{ r.sheet }}</td><td class="n">{{ r.row }}</td>
<td>{{ r.table_title }}</td><td>{{ r.date }}</td><td>không tính vào báo cáo / not counted</td></tr>
{% endfor %}</table></div>{% else %}<p>Không có dòng nào ghi ngày sau ngày chốt số liệu.</p>{% endif %}
{% if period.get("rows_before") %}<p>Đơn vị thành lập trong năm: dòng ghi ngày trước ngày {{ period.start | date }} thuộc báo cáo của
các đơn vị trước đó, không được tính. / A unit formed during the year: rows dated before its start belong to its
predecessors' reports and are not counted.</p>
<div class="wrap"><table>
<tr><th>Tệp</th><th>Sheet</th><th>Dòng</th><th>Bảng</th><th>Ngày</th><th>Đã xử lý / Done</th></tr>
{% for r in period.get("rows_before") %}<tr><td>{{ r.file }}</td><td>{{ r.sheet }}</td><td class="n">{{ r.row }}</td>
<td>{{ r.table_title }}</td><td>{{ r.date }}</td><td>không tính vào báo cáo / not counted</td></tr>
{% endfor %}</table></div>{% endif %}

<h2>9. Chỉ tiêu năm {{ year + 1 }} so với kết quả năm {{ year }} / Next year's targets</h2>
<p>Chỉ tiêu năm sau thấp hơn kết quả đã đạt năm nay (với chỉ tiêu "không quá": cao hơn), hoặc chỉ tiêu năm nay
không có chỉ tiêu năm sau: cần Ban Thường trực xem lại trước khi ký.</p>
{% if next_targets %}<div class="wrap"><table>
<tr><th>Nội dung</th><th>Chỉ tiêu {{ year + 1 }}</th><th>Kết quả {{ year }}</th><th>Kết quả</th><th>Ghi chú</th></tr>
{% for c in next_targets %}<tr class="{{ c.status | row_class }}"><td>{{ c.subject }}</td><td class="n">{{ c.office | n }}</td>
<td class="n">{{ c.computed | n }}</td><td>{{ c.status | status }}</td><td>{{ c.note_vi }}</td></tr>
{% endfor %}</table></div>{% else %}<p>Không có chỉ tiêu năm {{ year + 1 }}.</p>{% endif %}

<h2>10. Cách tính các chỉ tiêu / How each figure is computed</h2>
<p>Mỗi số liệu của báo cáo được khai báo một lần trong data/reference/indicators.yml; đây là cách tính của từng số.</p>
<div class="wrap"><table>
<tr><th>TT</th><th>Chỉ tiêu, số liệu</th><th>Đơn vị tính</th><th>Cách tính</th></tr>
{% for i in definitions %}<tr><td class="n">{{ loop.index }}</td><td>{{ i.name }}</td><td>{{ i.unit }}</td><td>{{ i.definition }}</td></tr>
{% endfor %}</table></div>
{% if notes %}
<h2>11. Ghi chú về các năm so sánh / Notes on the compared years</h2>
<ul>{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>
{% endif %}
</body>
</html>
"""


def _n(value) -> str:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return "–"
    value = float(value)
    text = vn.fmt_number(value, 0 if value.is_integer() else 3)
    return text.rstrip("0").rstrip(",") if "," in text else text


def _diff(value) -> str:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return "–"
    value = float(value)
    return ("+" if value > 0 else "\u2212" if value < 0 else "") + _n(abs(value))


def _records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    from .clean.tidy import read_csv

    frame = read_csv(path, dtype=str, keep_default_na=False)
    return frame.to_dict(orient="records")


def _checks(path: Path) -> list[dict]:
    rows = []
    for r in _records(path):
        for key in ("office", "computed", "difference"):
            r[key] = float(r[key]) if r.get(key) not in (None, "") else None
        rows.append(r)
    return rows


def record_environment() -> jinja2.Environment:
    """The Jinja2 environment of the data-quality records (HTML, escaped): the ward's (here)
    and the aggregate's (:mod:`baocao.aggregate.report`), with the figure filters ``n`` and ``diff``."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(n=_n, diff=_diff)
    return env


def render_record(year: int, unit: str, metrics: dict, data_dir: Path) -> str:
    env = record_environment()
    env.filters.update(
        date=lambda iso: vn.fmt_date_short(dt.date.fromisoformat(iso)),
        status=lambda s: STATUS_VI.get(s, s),
        row_class=lambda s: {"mismatch": "bad", "not_checked": "bad", "explained": "explained"}.get(s, ""),
    )
    continuity = []
    for c in metrics.get("checks", {}).get("continuity", []):
        continuity.append({**c, "row": "" if c.get("row") is None else c["row"]})
    return env.from_string(_TEMPLATE).render(
        year=year,
        unit=unit,
        report=f"Báo cáo tổng kết năm {year} (bao-cao-{year}.pdf, .html)",
        q=metrics["quality"],
        totals=_checks(data_dir / BuildFiles.RECONCILIATION),
        continuity=continuity,
        rejects=_records(data_dir / BuildFiles.REJECTS),
        warnings=_records(data_dir / BuildFiles.WARNINGS),
        notes=metrics.get("history_notes", []),
        period=metrics.get("period") or {"start": f"{year}-01-01", "cutoff": f"{year}-12-31", "rows_after": []},
        next_targets=metrics.get("checks", {}).get("next_targets", []),
        definitions=list(metrics["indicators"].values()),
    )


def write_record(project: Project, year: int, build_dir: Path) -> Path:
    """Write build_dir/chat-luong-so-lieu-<year>.html from the build's data/ and metrics.json."""
    metrics = json.loads((build_dir / BuildFiles.METRICS).read_text(encoding="utf-8"))
    text = render_record(year, project.unit.name, metrics, build_dir / BuildFiles.DATA)
    return write_text(build_dir / RECORD_NAME.format(year=year), text)
