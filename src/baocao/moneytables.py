"""The report's money tables: the Quỹ's cash book (money raised apart from what the level above
sent), the gifts and the houses, each with totals equal to the sum of their printed parts."""

from __future__ import annotations

from . import vnformat as vn
from .markdown import Md, cell_number, lower_first, table
from .targets import sum_decimals


def fund_table(f: dict, cutoff: str, caption: str) -> Md:
    """The cash book in đồng: what the ward raised, what came from the level above or the
    budget (declared apart: quy_vnn_thu, quy_vnn_ho_tro), what was spent, the balances."""
    raised_codes = {"cap_tren", "ngan_sach"}
    raised = [x for x in f["by_source"] if x["id"] not in raised_codes]
    given = [x for x in f["by_source"] if x["id"] in raised_codes]
    rows: list[list[object]] = [[Md("**Số dư đầu năm**"), cell_number(f["opening"])]]
    rows += [[f"Vận động từ: {lower_first(x['name'])}", cell_number(x["amount"])] for x in raised]
    rows.append([Md("**Cộng vận động**"), Md(f"**{vn.fmt_int(sum(x['amount'] for x in raised))}**")])
    rows += [[x["name"], cell_number(x["amount"])] for x in given]
    rows.append([Md("**Cộng thu**"), Md(f"**{vn.fmt_int(f['receipts'])}**")])
    rows += [[f"Chi: {lower_first(p['name'])}", cell_number(p["amount"])] for p in f["by_purpose"]]
    rows.append([Md("**Cộng chi**"), Md(f"**{vn.fmt_int(f['payments'])}**")])
    rows.append([Md(f"**Số dư đến ngày {cutoff}**"), Md(f"**{vn.fmt_int(f['closing'])}**")])
    return table(["Nội dung", "Số tiền (đồng)"], rows, "lr", caption, widths=[70, 30])


def gifts_table(g: dict, caption: str) -> Md:
    values = [o["value"] / 1e6 for o in g["by_occasion"]]
    d = sum_decimals(values, g["value"] / 1e6, 0)
    rows = [
        [o["name"], cell_number(o["count"]), Md(vn.fmt_number(v, d))]
        for o, v in zip(g["by_occasion"], values, strict=True)
    ]
    rows.append([Md("**Cộng**"), Md(f"**{vn.fmt_int(g['count'])}**"), Md(f"**{vn.fmt_number(g['value'] / 1e6, d)}**")])
    return table(["Dịp", "Số suất quà", "Trị giá (triệu đồng)"], rows, "lrr", caption)


def houses_table(houses: list[dict], caption: str) -> Md:
    support = [h["support"] / 1e6 for h in houses]
    other = [h["other_funds"] / 1e6 for h in houses]
    ds = sum_decimals(support, sum(h["support"] for h in houses) / 1e6, 0)
    do = sum_decimals(other, sum(h["other_funds"] for h in houses) / 1e6, 0)
    rows = [
        [
            Md(str(i)),
            h["area"],
            h["household_type"],
            h["work"],
            Md(vn.fmt_number(h["support"] / 1e6, ds)),
            Md(vn.fmt_number(h["other_funds"] / 1e6, do)),
            Md("Đã bàn giao" if h["handed_over"] else "Đang thi công"),
        ]
        for i, h in enumerate(houses, start=1)
    ]
    rows.append(
        [
            Md(""),
            Md("**Cộng**"),
            Md(""),
            Md(""),
            Md(f"**{vn.fmt_number(sum(h['support'] for h in houses) / 1e6, ds)}**"),
            Md(f"**{vn.fmt_number(sum(h['other_funds'] for h in houses) / 1e6, do)}**"),
            Md(""),
        ]
    )
    return table(
        [
            "TT",
            "Khu dân cư",
            "Diện hộ",
            "Hình thức",
            "Hỗ trợ từ Quỹ (triệu đồng)",
            "Nguồn khác (triệu đồng)",
            "Tình trạng",
        ],
        rows,
        "rlllrrl",
        caption,
        widths=[5, 12, 23, 12, 16, 16, 16],
    )
