"""Every number the report states, with its earlier years, change, target and next target.

Every figure is declared once, in ``data/reference/indicators.yml`` (its table, the rows it
counts, how they are aggregated, its unit, rounding, direction and wording), and computed here
from that declaration alone: :class:`Evaluator` reads the declaration, never a function per
figure. The declared breakdown tables (by khu, lĩnh vực, hình thức…) are computed the same way,
so a table's total row is the figure the text states.

Earlier years come from :mod:`baocao.history`, cleaned from their own raw folders.

Results are judged against their targets at full precision ("đạt" only when the result really
meets the target), and each entry says how many decimals to print so that the printed result
and target tell the same verdict (0,42% against "không quá 0,4%" is printed 0,42%, never 0,4%).
"""

from __future__ import annotations

import ast
import datetime as dt
import operator

import pandas as pd

from .config import Project, Reference
from .indicators import Indicator, base_indicators
from .organisers import organiser_names, organisers
from .targets import (
    achievement_decimals,
    clean_number,
    compare_with_target,
    shown_decimals,
    sum_decimals,
    target_decimals,
)

Tables = dict[str, pd.DataFrame]


# ---------------------------------------------------------------------------- the declarations
class Evaluator:
    """The declared figures over one year's tidy tables, optionally within one group
    (``("area", "khu-1")``: the rows of that khu only)."""

    _OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

    def __init__(self, reference: Reference, tables: Tables):
        self.ref = reference
        self.tables = tables
        self._cache: dict[tuple, float | int | None] = {}

    def value(self, code: str, group: tuple[str, str] | None = None) -> float | int | None:
        key = (code, group)
        if key not in self._cache:
            ind = self.ref.declared[code]
            self._cache[key] = self._formula(ind, group) if ind.formula else self._aggregate(ind, group)
        return self._cache[key]

    def rows(self, ind: Indicator, group: tuple[str, str] | None = None) -> pd.DataFrame:
        """The rows a table-based figure counts: its table, files, filter and group."""
        assert ind.table is not None, ind.code  # indicators.py: a figure has a table or a formula
        frame = self.tables[ind.table]
        mask = pd.Series(True, index=frame.index)
        if ind.files:
            specs = [self.ref.files[k] for k in ind.files]
            by = "source_input" if "source_input" in frame.columns else "source_file"  # as read, not the name
            names = frame[by].astype("string").fillna("")
            mask &= names.map(lambda n: any(s.matches(n) for s in specs)).astype(bool)
        for column, wanted in ind.where:
            mask &= _condition(frame[column], wanted)
        if group is not None:
            mask &= _condition(frame[group[0]], group[1])
        return frame[mask]

    def _aggregate(self, ind: Indicator, group) -> float | int | None:
        rows = self.rows(ind, group)
        if ind.aggregate == "count":
            total: float | int = len(rows)
        elif ind.aggregate == "nunique":
            total = int(rows[ind.column].nunique())
        else:
            values = pd.to_numeric(rows[ind.column]).astype("Float64")
            if ind.fill:
                product = pd.Series(1.0, index=rows.index, dtype="Float64")
                for col in ind.fill:
                    product = product * pd.to_numeric(rows[col]).astype("Float64")
                values = values.fillna(product)
            total = float(values.sum(skipna=True)) if len(values) else 0
        if ind.scale != 1:
            total = total / ind.scale
        return clean_number(total, 9)

    def _formula(self, ind: Indicator, group) -> float | int | None:
        assert ind.formula is not None, ind.code
        tree = ast.parse(ind.formula, mode="eval")

        def ev(node):
            if isinstance(node, ast.Expression):
                return ev(node.body)
            if isinstance(node, ast.Constant):
                return node.value
            if isinstance(node, ast.Name):
                value = self.value(node.id, group)
                if value is None:
                    raise _NoValue
                return value
            if isinstance(node, ast.UnaryOp):
                return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
            if isinstance(node, ast.BinOp):
                left, right = ev(node.left), ev(node.right)
                if isinstance(node.op, ast.Div) and not right:
                    raise _NoValue  # a rate of nothing: no value, not 0%
                return self._OPS[type(node.op)](left, right)
            raise ValueError(f"unexpected formula node {node!r}")  # formula_codes() refused it at load

        try:
            return clean_number(ev(tree), 9)
        except _NoValue:
            return None


class _NoValue(Exception):
    pass


def _condition(column: pd.Series, wanted) -> pd.Series:
    if wanted is None:
        return column.isna()
    if isinstance(wanted, bool):  # an empty yes/no cell is neither
        return (column.astype("boolean") == wanted).fillna(False).astype(bool)
    if isinstance(wanted, tuple):
        return column.isin(list(wanted)).fillna(False).astype(bool)
    return (column == wanted).fillna(False).astype(bool)


def _default_reference() -> Reference:
    return Project.find().reference


def indicator_values(tables: Tables, reference: Reference | None = None) -> dict[str, float | int | None]:
    """Every declared figure of one year, by code."""
    reference = reference or _default_reference()
    ev = Evaluator(reference, tables)
    return {code: ev.value(code) for code in reference.declared}


def _targets(tables: Tables, year: int) -> dict[str, float | int | None]:
    t = tables["targets"]
    t = t[t["year"] == year]
    return {row.indicator: clean_number(row.target) for row in t.itertuples()}


# ---------------------------------------------------------------------------- the year
def compute_metrics(
    project: Project,
    year: int,
    tables: Tables,
    history: dict[int, Tables],
    accounting: pd.DataFrame,
    rejects: pd.DataFrame,
    warnings: pd.DataFrame,
) -> dict:
    from .estimates import as_record, estimated_value
    from .period import before_mask, declared_estimates, read_period, rows_after, within
    from .reconcile import continuity_checks, next_target_checks

    ref = project.reference
    unit = project.unit
    period = read_period(project, year)
    late = rows_after(project, tables, period)
    # a unit formed during the year: the rows before it was formed (its predecessors' reports count them)
    early = {"rows_before": rows_after(project, tables, period, before_mask)} if period.start else {}
    tables = within(project, tables, period)  # a row dated after the cut-off (or before the start) is never counted
    ev = Evaluator(ref, tables)
    values = {code: ev.value(code) for code in ref.declared}
    past = {y: indicator_values(h, ref) for y, h in sorted(history.items())}
    targets = _targets(tables, year)
    next_targets = _targets(tables, year + 1)
    prev_year = year - 1
    estimates = declared_estimates(project, year) if not period.whole_year else ()
    at_cutoff = {e.code: values[e.code] for e in estimates}
    for e in estimates:  # a declared estimate to 31/12 is the value judged; the result at the cut-off is kept
        values[e.code] = estimated_value(e, ref.declared[e.code], at_cutoff[e.code], year, period.cutoff, period.start)

    indicators = _entries(ref, values, past, targets, next_targets, prev_year)
    for e in estimates:
        indicators[e.code]["estimate"] = as_record(
            e, ref.declared[e.code], at_cutoff[e.code], year, period.cutoff, period.start
        )
    for code in targets:  # a target for a code that is no chỉ tiêu cannot pass the cleaner
        assert code in indicators, code

    breakdowns = {name: _declared_breakdown(project, ev, b) for name, b in ref.breakdowns.items()}
    _additive_decimals(ref, indicators, breakdowns)
    continuity = continuity_checks(project, year, tables, history.get(prev_year))
    return {
        "year": year,
        "period": {**period.as_record(), "whole_year": period.whole_year, "rows_after": late, **early},
        "unit": {"id": unit.id, "name": unit.name, "areas": len(unit.areas)},
        "compared_years": sorted(past),
        "indicators": indicators,
        "breakdowns": breakdowns,
        "by_area": _by_area(project, ev),
        "by_org": _by_org(project, tables),
        "by_field": _by_field(project, tables),
        "fund": {**_fund_summary(project, tables, values), "carried": _fund_carried(project, year, history)},
        "gifts": _gifts(project, tables),
        "houses": _houses(project, tables, period.cutoff),
        "petitions_by_month": _petitions(tables, period),
        "critique": _critique(project, tables),
        "models": _models(project, tables),
        "quality": _quality(accounting, rejects, warnings),
        "checks": {
            "continuity": [c.as_record() for c in continuity],
            "next_targets": [c.as_record() for c in next_target_checks(project, year, indicators)],
        },
    }


def _entries(ref: Reference, values: dict, past: dict, targets: dict, next_targets: dict, prev_year: int) -> dict:
    """Each declared figure with its earlier years, change, targets, verdict and decimals."""
    indicators = {}
    for code, ind in ref.declared.items():
        value = values.get(code)
        hist = {str(y): past[y].get(code) for y in sorted(past)}
        prev = past.get(prev_year, {}).get(code)
        change = None
        if value is not None and prev is not None:
            if ind.kind == "percent":
                change = clean_number(value - prev, 6)  # percentage points
            elif prev:
                change = clean_number((value - prev) / prev * 100, 6)
        target = targets.get(code)
        entry = {
            "code": code,
            "name": ind.name,
            "short": ind.header,
            "text": ind.text,
            "definition": ind.definition,
            "unit": ind.unit,
            "kind": ind.kind,
            "direction": ind.direction,
            "chi_tieu": ind.chi_tieu,
            "value": value,
            "history": hist,
            "previous": prev,
            "change": change,
            "change_is_points": ind.kind == "percent",
            "target": target,
            "next_target": next_targets.get(code),
            "estimate": None,  # a declared estimate to 31/12 (baocao.estimates), set by compute_metrics
        }
        entry.update(compare_with_target(value, target, ind.kind, ind.direction))
        entry["decimals"] = shown_decimals(value, target, ind.direction, ind.decimals, ind.kind)
        entry["declared_decimals"] = ind.decimals
        entry["target_decimals"] = target_decimals(target, ind.kind)
        entry["next_target_decimals"] = target_decimals(next_targets.get(code), ind.kind)
        entry["achievement_decimals"] = achievement_decimals(entry["achievement_pct"], entry["status"])
        indicators[code] = entry
    return indicators


# ---------------------------------------------------------------------------- breakdowns
def breakdown_groups(project: Project, by: str, indicators: list[Indicator]) -> tuple[list[tuple[str, str]], bool]:
    """(group id, name) of a breakdown column, and whether every group is listed (khu) or only
    those with data (catalogue values)."""
    ref = project.reference
    table = indicators[0].table
    assert table is not None, indicators[0].code  # a breakdown's figures count rows of a table
    spec = ref.tables[table].column(by)
    if spec.type == "area":
        return [(a.id, a.name) for a in project.unit.areas], True
    if spec.type == "organisation":
        return [(o.id, o.name) for o in project.unit.organisations], False
    assert spec.catalogue is not None, (table, by)  # inputs.yml: a category column names its catalogue
    return [(item.id, item.name) for item in ref.catalogues[spec.catalogue]], False


def additive(ind: Indicator) -> bool:
    """A figure whose value is the sum of its parts (a khu's, a field's…): a count or a sum of
    rows, not a rate."""
    return ind.table is not None and ind.aggregate in ("sum", "count") and ind.kind != "percent"


def _additive_decimals(ref: Reference, indicators: dict, breakdowns: dict) -> None:
    """A figure printed in a breakdown table gets the decimals at which its printed parts add
    up to its printed total, in the table and wherever the report states it."""
    for b in breakdowns.values():
        for code in b["indicators"]:
            ind, entry = ref.declared[code], indicators[code]
            if not additive(ind) or ind.unit == "khu" or b["total"][code] is None:
                continue
            parts = [float(r["values"][code] or 0) for r in b["rows"]]
            entry["decimals"] = max(entry["decimals"], sum_decimals(parts, float(b["total"][code]), ind.decimals))


def _declared_breakdown(project: Project, ev: Evaluator, b) -> dict:
    ref = project.reference
    bases = [base for code in b.indicators for base in base_indicators(ref.declared, code)]
    groups, every = breakdown_groups(project, b.by, bases)
    rows = []
    for gid, name in groups:
        values = {code: ev.value(code, (b.by, gid)) for code in b.indicators}
        if not every and not any(len(ev.rows(base, (b.by, gid))) for base in bases):
            continue
        rows.append({"id": gid, "name": name, "values": values})
    return {
        "title": b.title,
        "by": b.by,
        "indicators": list(b.indicators),
        "rows": rows,
        "total": {code: ev.value(code) for code in b.indicators},
    }


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for rec in frame.to_dict(orient="records"):
        out.append(
            {
                k: (clean_number(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                for k, v in rec.items()
            }
        )
    return out


def _sum(frame: pd.DataFrame, column: str) -> float:
    if frame.empty:
        return 0
    total = frame[column].dropna().sum()
    return int(total) if float(total).is_integer() else float(total)


def _by_area(project: Project, ev: Evaluator) -> list[dict]:
    """The khu's figures as the charts use them: each one a declared figure within the khu."""
    rows = []
    for area in project.unit.areas:
        g = ("area", area.id)

        def v(code: str, g: tuple = g):
            return ev.value(code, g)

        rows.append(
            {
                "area": area.id,
                "name": area.name,
                "sessions": v("ban_ctmt_cuoc"),
                "participants": v("ban_ctmt_luot"),
                "cnx_sessions": v("ban_ctmt_cnx_buoi"),
                "waste_tonnes": v("ban_ctmt_rac"),
                "households": v("so_ho"),
                "population": v("nhan_khau"),
                "poor_start": v("ho_ngheo_dau"),
                "poor_end": v("ho_ngheo_cuoi"),
                "near_poor_end": v("ho_can_ngheo_cuoi"),
                "poor_rate": v("ty_le_ho_ngheo"),
                "gdvh_rate": v("ty_le_gdvh"),
                "kdc_van_hoa": bool(v("kdc_van_hoa")) if len(ev.rows(ev.ref.declared["so_ho"], g)) else None,
                "mediation_received": v("hoa_giai_tiep_nhan"),
                "mediation_success": v("hoa_giai_thanh"),
                "models": v("mo_hinh_so"),
            }
        )
    return rows


def _by_org(project: Project, t: Tables) -> list[dict]:
    """Sessions and participants by organiser: every activity in exactly one row."""
    act = t["activity"]
    who = organisers(project, act)
    rows = []
    for oid, name, short in organiser_names(project):
        a = act[who == oid]
        if a.empty:
            continue
        rows.append(
            {
                "org": oid,
                "name": name,
                "short": short,
                "sessions": _sum(a, "sessions"),
                "participants": _sum(a, "participants"),
            }
        )
    return rows


def _by_field(project: Project, t: Tables) -> list[dict]:
    """Activities per field (lĩnh vực), with the sessions each organiser held in it."""
    act = t["activity"].assign(organiser=organisers(project, t["activity"]))
    return _breakdown(
        act,
        "field",
        project.reference.catalogues["activity_fields"],
        sessions="sessions",
        participants="participants",
        sessions_by_org=lambda a: {
            oid: _sum(a[a["organiser"] == oid], "sessions") for oid, _n, _s in organiser_names(project)
        },
    )


def _breakdown(frame: pd.DataFrame, column: str, catalogue, **measures) -> list[dict]:
    """One row per catalogue value present in ``column``, in catalogue order. A measure is a
    column name (summed) or a function of the matching rows."""
    rows = []
    for item in catalogue:
        part = frame[frame[column] == item.id]
        if part.empty:
            continue
        row = {"id": item.id, "name": item.name}
        for key, measure in measures.items():
            row[key] = _sum(part, measure) if isinstance(measure, str) else measure(part)
        rows.append(row)
    return rows


def _fund(t: Tables, direction: str) -> pd.DataFrame:
    f = t["fund_txn"]
    return f[f["direction"] == direction]


def _fund_summary(project: Project, t: Tables, values: dict) -> dict:
    """The cash book by source and purpose (Bảng "Thu, chi Quỹ"), in đồng; its totals are the
    declared figures quy_vnn_* (in triệu đồng)."""
    cats = project.reference.catalogues
    receipts, payments = _fund(t, "thu"), _fund(t, "chi")
    opening = _sum(t["fund_balance"], "opening") if len(t["fund_balance"]) else None
    total_in, total_out = _sum(receipts, "amount"), _sum(payments, "amount")
    closing = None if opening is None else opening + total_in - total_out
    return {
        "opening": opening,
        "receipts": total_in,
        "payments": total_out,
        "closing": closing,
        "receipts_count": len(receipts),
        "payments_count": len(payments),
        "by_source": _breakdown(receipts, "source", cats["fund_sources"], count=len, amount="amount"),
        "by_purpose": _breakdown(payments, "purpose", cats["fund_purposes"], count=len, amount="amount"),
    }


def _fund_carried(project: Project, year: int, history: dict[int, Tables]) -> dict | None:
    """Last year's Quỹ balance at last year's data cut-off, as last year's report stated it,
    when that cut-off fell before 31/12: this year's opening balance is then that balance plus
    the receipts less the payments after it, which the report states so that a reader can
    reconcile the two reports. None when last year ran to 31/12 or is not compared."""
    from .period import read_period

    prev = history.get(year - 1)
    sources = project.history_sources(year - 1)
    if prev is None or not len(prev["fund_balance"]) or [s.unit.id for s in sources] != [project.unit.id]:
        return None
    period = read_period(project, year - 1, strict=False)
    if period.whole_year:
        return None
    closing = (
        _sum(prev["fund_balance"], "opening") + _sum(_fund(prev, "thu"), "amount") - _sum(_fund(prev, "chi"), "amount")
    )
    return {"year": year - 1, "cutoff": period.cutoff.isoformat(), "closing": closing}


def _gifts(project: Project, t: Tables) -> dict:
    g = t["gifts"].copy()
    if len(g):
        g["value"] = g["total"].fillna(g["count"] * g["unit_value"])
    else:
        g["value"] = pd.Series(dtype="Int64")
    cats = project.reference.catalogues
    by_occasion = _breakdown(g, "occasion", cats["gift_occasions"], count="count", value="value")
    by_recipient = _breakdown(g, "recipient", cats["gift_recipients"], count="count", value="value")
    return {
        "by_occasion": by_occasion,
        "by_recipient": by_recipient,
        "count": _sum(g, "count"),
        "value": _sum(g, "value"),
    }


def _houses(project: Project, t: Tables, cutoff) -> dict:
    """Each house as it stood on the data cut-off: handed over only when that date came by then."""
    h = t["houses"]
    cats = project.reference.catalogues
    areas = {a.id: a.name for a in project.unit.areas}
    rows = []
    for rec in h.sort_values(["started", "area", "source_row"], kind="stable").itertuples():
        rows.append(
            {
                "area": areas.get(rec.area, rec.area),
                "household_type": cats["household_types"].by_id[rec.household_type].name,
                "work": cats["house_works"].by_id[rec.work].name,
                "support": clean_number(rec.support),
                "other_funds": clean_number(rec.other_funds) if not pd.isna(rec.other_funds) else 0,
                "handed_over": not pd.isna(rec.handed_over) and rec.handed_over <= pd.Timestamp(cutoff),
            }
        )
    return {"count": len(h), "list": rows}


def _petitions(t: Tables, period) -> list[dict]:
    """Month by month, up to the month of the data cut-off; that month's row is the office's
    as it stood on the cut-off (``until``: "20/11"), when the cut-off is not its last day."""
    p = t["petitions"]
    rows = []
    last_month = 12 if period.whole_year else period.cutoff.month
    next_day = period.cutoff + dt.timedelta(days=1)
    for month in range(1, last_month + 1):
        part = p[p["month"] == month]
        rows.append(
            {
                "month": month,
                "received": _sum(part, "received"),
                "forwarded": _sum(part, "forwarded"),
                "answered": _sum(part, "answered"),
                "pending": _sum(part, "pending"),
                "until": (
                    f"{period.cutoff.day:02d}/{month:02d}"
                    if month == period.cutoff.month and next_day.month == month
                    else None
                ),
            }
        )
    return rows


def _critique(project: Project, t: Tables) -> dict:
    c = t["critique"]
    cats = project.reference.catalogues
    by_kind = _breakdown(c, "kind", cats["critique_kinds"], documents=len, opinions="opinions")
    return {"by_kind": by_kind}


def _models(project: Project, t: Tables) -> dict:
    m = t["emulation_models"]
    areas = {a.id: a.name for a in project.unit.areas}
    rows = [
        {
            "area": areas.get(r.area, r.area),
            "model": r.model_name,
            "recognised": bool(r.recognised) if not pd.isna(r.recognised) else False,
        }
        for r in m.sort_values(["area", "source_file", "source_row"], kind="stable").itertuples()
    ]
    return {"list": rows}


def _quality(accounting: pd.DataFrame, rejects: pd.DataFrame, warnings: pd.DataFrame) -> dict:
    per_file = (
        accounting.groupby("file", sort=True)[["read", "kept", "rejected", "blank", "total"]].sum().reset_index()
        if len(accounting)
        else pd.DataFrame(columns=["file", "read", "kept", "rejected", "blank", "total"])
    )
    reasons = (
        rejects.groupby("reason_vi", sort=True)
        .size()
        .reset_index(name="rows")
        .sort_values(["rows", "reason_vi"], ascending=[False, True], kind="stable")
        if len(rejects)
        else pd.DataFrame(columns=["reason_vi", "rows"])
    )
    return {
        "files": _records(per_file),
        "sheets": _records(accounting),
        "read": int(accounting["read"].sum()) if len(accounting) else 0,
        "kept": int(accounting["kept"].sum()) if len(accounting) else 0,
        "rejected": int(accounting["rejected"].sum()) if len(accounting) else 0,
        "blank": int(accounting["blank"].sum()) if len(accounting) else 0,
        "total_rows": int(accounting["total"].sum()) if len(accounting) else 0,
        "reject_lines": len(rejects),
        "warnings": len(warnings),
        "rejects": _records(rejects.head(50)),
        "reject_reasons": _records(reasons),
    }
