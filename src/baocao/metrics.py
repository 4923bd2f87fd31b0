"""Every number the report states, with its earlier years, change, target and next target.

Indicators are computed from the tidy tables by one function each (``INDICATORS``); their
names, units and direction (is higher better?) come from ``data/reference/indicators.csv``.
Earlier years are cleaned in memory from their own raw folders, so that one year's build does
not depend on another year's build having run (years stay independent jobs).
Values are kept in the indicator's unit of measure (money in triệu đồng, rates in %), and are
compared with targets at the precision the report prints them, so that "95,5% / chỉ tiêu 95,5%"
never reads "chưa đạt".
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

import pandas as pd

from .config import Project

Tables = dict[str, pd.DataFrame]

DISPLAY_DECIMALS = {"count": 0, "money": 1, "percent": 1, "number": 1}


def _sum(frame: pd.DataFrame, column: str) -> float:
    if frame.empty:
        return 0
    total = frame[column].dropna().sum()
    return int(total) if float(total).is_integer() else float(total)


def _rate(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator * 100


def _activity(t: Tables, *, field: str | None = None, campaign: str | None = None) -> pd.DataFrame:
    a = t["activity"]
    if field is not None:
        a = a[a["field"] == field]
    if campaign is not None:
        a = a[a["campaign"] == campaign]
    return a


def _fund(t: Tables, direction: str) -> pd.DataFrame:
    f = t["fund_txn"]
    return f[f["direction"] == direction]


def _gift_value(t: Tables) -> float:
    g = t["gifts"]
    if g.empty:
        return 0
    value = g["total"].fillna(g["count"] * g["unit_value"])
    return float(value.sum())


INDICATORS: dict[str, Callable[[Tables], float | None]] = {
    "tuyen_truyen_cuoc": lambda t: _sum(_activity(t, field="tuyen_truyen"), "sessions"),
    "tuyen_truyen_luot": lambda t: _sum(_activity(t, field="tuyen_truyen"), "participants"),
    "quy_vnn_thu": lambda t: _sum(_fund(t, "thu"), "amount") / 1e6,
    "quy_vnn_chi": lambda t: _sum(_fund(t, "chi"), "amount") / 1e6,
    "qua_suat": lambda t: _sum(t["gifts"], "count"),
    "qua_gia_tri": lambda t: _gift_value(t) / 1e6,
    "nha_ddk": lambda t: len(t["houses"]),
    "ty_le_ho_ngheo": lambda t: _rate(_sum(t["households"], "poor_end"), _sum(t["households"], "households")),
    "ty_le_gdvh": lambda t: _rate(_sum(t["households"], "gdvh_achieved"), _sum(t["households"], "households")),
    "kdc_van_hoa": lambda t: int(t["households"]["kdc_van_hoa"].fillna(False).sum()),
    "chu_nhat_xanh_buoi": lambda t: _sum(_activity(t, campaign="chu_nhat_xanh"), "sessions"),
    "chu_nhat_xanh_luot": lambda t: _sum(_activity(t, campaign="chu_nhat_xanh"), "participants"),
    "rac_thu_gom": lambda t: _sum(t["activity"], "waste_kg") / 1000,
    "giam_sat_cuoc": lambda t: _sum(t["supervision"], "sessions"),
    "y_kien_gop_y": lambda t: _sum(t["critique"], "opinions"),
    "ty_le_kien_nghi_tra_loi": lambda t: _rate(_sum(t["petitions"], "answered"), _sum(t["petitions"], "received")),
    "ty_le_hoa_giai_thanh": lambda t: _rate(_sum(t["mediation"], "success"), _sum(t["mediation"], "received")),
    "mo_hinh_dang_ky": lambda t: int(t["emulation_models"]["area"].nunique()),
    "hoi_vien_moi": lambda t: _sum(t["org_members"], "new_members"),
}


def _clean_number(value: float | None, digits: int = 6) -> float | int | None:
    """JSON-stable numbers: ints stay ints, floats are rounded (no 0.30000000000000004)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int,)) or float(value).is_integer():
        return int(value)
    return round(float(value), digits)


def shown(value: float, kind: str) -> Decimal:
    """The value at the precision the report prints it."""
    q = Decimal(1).scaleb(-DISPLAY_DECIMALS[kind])
    return Decimal(str(value)).quantize(q, rounding=ROUND_HALF_UP)


def compare_with_target(value: float | None, target: float | None, kind: str, direction: str) -> dict:
    if value is None or target is None:
        return {"achievement_pct": None, "status": None}
    v, tgt = shown(value, kind), shown(target, kind)
    if direction == "lower":
        status = "đạt" if v <= tgt else "chưa đạt"
        if v < tgt:
            status = "vượt"
        return {"achievement_pct": None, "status": status}
    pct = float(v / tgt * 100) if tgt else None
    status = "vượt" if v > tgt else ("đạt" if v == tgt else "chưa đạt")
    return {"achievement_pct": _clean_number(pct, 4), "status": status}


def indicator_values(tables: Tables) -> dict[str, float | None]:
    return {code: _clean_number(fn(tables)) for code, fn in INDICATORS.items()}


def _targets(tables: Tables, year: int) -> dict[str, float]:
    t = tables["targets"]
    t = t[t["year"] == year]
    return {row.indicator: _clean_number(row.target) for row in t.itertuples()}


def compute_metrics(
    project: Project,
    year: int,
    tables: Tables,
    history: dict[int, Tables],
    accounting: pd.DataFrame,
    rejects: pd.DataFrame,
    warnings: pd.DataFrame,
) -> dict:
    ref = project.reference
    unit = project.unit
    values = indicator_values(tables)
    past = {y: indicator_values(h) for y, h in sorted(history.items())}
    targets = _targets(tables, year)
    next_targets = _targets(tables, year + 1)
    prev_year = year - 1

    indicators = {}
    for code, ind in ref.indicators.items():
        value = values.get(code)
        hist = {str(y): past[y].get(code) for y in sorted(past)}
        prev = past.get(prev_year, {}).get(code)
        change = None
        if value is not None and prev is not None:
            if ind.kind == "percent":
                change = _clean_number(value - prev, 4)  # percentage points
            elif prev:
                change = _clean_number((value - prev) / prev * 100, 4)
        entry = {
            "code": code,
            "name": ind.name,
            "unit": ind.unit,
            "kind": ind.kind,
            "direction": ind.direction,
            "value": value,
            "history": hist,
            "previous": prev,
            "change": change,
            "change_is_points": ind.kind == "percent",
            "target": targets.get(code),
            "next_target": next_targets.get(code),
        }
        entry.update(compare_with_target(value, targets.get(code), ind.kind, ind.direction))
        indicators[code] = entry

    return {
        "year": year,
        "unit": {"id": unit.id, "name": unit.name, "areas": len(unit.areas)},
        "compared_years": sorted(past),
        "indicators": indicators,
        "by_area": _by_area(project, tables),
        "by_org": _by_org(project, tables),
        "by_field": _by_field(project, tables),
        "fund": _fund_summary(project, tables, history.get(prev_year)),
        "gifts": _gifts(project, tables),
        "houses": _houses(project, tables),
        "petitions_by_month": _petitions(tables),
        "supervision": _supervision(project, tables),
        "critique": _critique(project, tables),
        "models": _models(project, tables),
        "awards": _awards(project, tables),
        "quality": _quality(accounting, rejects, warnings),
    }


# ---------------------------------------------------------------------------- breakdowns
def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for rec in frame.to_dict(orient="records"):
        out.append({k: (_clean_number(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                    for k, v in rec.items()})
    return out


def _by_area(project: Project, t: Tables) -> list[dict]:
    act, hh, med, models = t["activity"], t["households"], t["mediation"], t["emulation_models"]
    rows = []
    for area in project.unit.areas:
        a = act[act["area"] == area.id]
        h = hh[hh["area"] == area.id]
        m = med[med["area"] == area.id]
        cnx = a[a["campaign"] == "chu_nhat_xanh"]
        households = _sum(h, "households")
        rows.append({
            "area": area.id,
            "name": area.name,
            "activities": len(a),
            "sessions": _sum(a, "sessions"),
            "participants": _sum(a, "participants"),
            "cnx_sessions": _sum(cnx, "sessions"),
            "waste_tonnes": _clean_number(_sum(a, "waste_kg") / 1000),
            "households": households,
            "population": _sum(h, "population"),
            "poor_start": _sum(h, "poor_start"),
            "poor_end": _sum(h, "poor_end"),
            "near_poor_end": _sum(h, "near_poor_end"),
            "poor_rate": _clean_number(_rate(_sum(h, "poor_end"), households)),
            "gdvh_rate": _clean_number(_rate(_sum(h, "gdvh_achieved"), households)),
            "kdc_van_hoa": bool(h["kdc_van_hoa"].fillna(False).any()) if len(h) else None,
            "mediation_received": _sum(m, "received"),
            "mediation_success": _sum(m, "success"),
            "models": int((models["area"] == area.id).sum()),
        })
    return rows


def _by_org(project: Project, t: Tables) -> list[dict]:
    act, mem = t["activity"], t["org_members"]
    rows = []
    for org in project.unit.organisations:
        a = act[act["org"] == org.id]
        m = mem[mem["org"] == org.id]
        if a.empty and m.empty:
            continue
        rows.append({
            "org": org.id,
            "name": org.name,
            "short": org.extra.get("short", org.name),
            "activities": len(a),
            "sessions": _sum(a, "sessions"),
            "participants": _sum(a, "participants"),
            "members": _sum(m, "members") if len(m) else None,
            "new_members": _sum(m, "new_members") if len(m) else None,
        })
    return rows


def _by_field(project: Project, t: Tables) -> list[dict]:
    """Activities per field (lĩnh vực), with the sessions each organisation held in it."""
    return _breakdown(
        t["activity"], "field", project.reference.catalogues["activity_fields"],
        activities=len, sessions="sessions", participants="participants",
        sessions_by_org=lambda a: {org.id: _sum(a[a["org"] == org.id], "sessions") for org in project.unit.organisations},
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


def _fund_summary(project: Project, t: Tables, prev: Tables | None) -> dict:
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


def _gifts(project: Project, t: Tables) -> dict:
    g = t["gifts"].copy()
    if len(g):
        g["value"] = g["total"].fillna(g["count"] * g["unit_value"])
    else:
        g["value"] = pd.Series(dtype="Int64")
    cats = project.reference.catalogues
    by_occasion = _breakdown(g, "occasion", cats["gift_occasions"], count="count", value="value")
    by_recipient = _breakdown(g, "recipient", cats["gift_recipients"], count="count", value="value")
    return {"by_occasion": by_occasion, "by_recipient": by_recipient, "count": _sum(g, "count"), "value": _sum(g, "value")}


def _houses(project: Project, t: Tables) -> dict:
    h = t["houses"]
    cats = project.reference.catalogues
    areas = {a.id: a.name for a in project.unit.areas}
    rows = []
    for rec in h.sort_values(["started", "area", "source_row"], kind="stable").itertuples():
        rows.append({
            "area": areas.get(rec.area, rec.area),
            "household_type": cats["household_types"].by_id[rec.household_type].name,
            "work": cats["house_works"].by_id[rec.work].name,
            "support": _clean_number(rec.support),
            "other_funds": _clean_number(rec.other_funds) if not pd.isna(rec.other_funds) else 0,
            "handed_over": not pd.isna(rec.handed_over),
        })
    return {
        "count": len(h),
        "new": int((h["work"] == "xay_moi").sum()),
        "repaired": int((h["work"] == "sua_chua").sum()),
        "support": _sum(h, "support"),
        "other_funds": _sum(h, "other_funds"),
        "handed_over": int(h["handed_over"].notna().sum()),
        "list": rows,
    }


def _petitions(t: Tables) -> list[dict]:
    p = t["petitions"]
    rows = []
    for month in range(1, 13):
        part = p[p["month"] == month]
        rows.append({
            "month": month,
            "received": _sum(part, "received"),
            "forwarded": _sum(part, "forwarded"),
            "answered": _sum(part, "answered"),
            "pending": _sum(part, "pending"),
        })
    return rows


def _supervision(project: Project, t: Tables) -> dict:
    s = t["supervision"]
    cats = project.reference.catalogues
    by_mode = _breakdown(s, "mode", cats["supervision_modes"], sessions="sessions",
                         recommendations="recommendations", resolved="resolved")
    return {
        "sessions": _sum(s, "sessions"),
        "recommendations": _sum(s, "recommendations"),
        "resolved": _sum(s, "resolved"),
        "violations": _sum(s, "violations"),
        "by_mode": by_mode,
    }


def _critique(project: Project, t: Tables) -> dict:
    c = t["critique"]
    cats = project.reference.catalogues
    by_kind = _breakdown(c, "kind", cats["critique_kinds"], documents=len, opinions="opinions")
    return {"documents": len(c), "opinions": _sum(c, "opinions"), "by_kind": by_kind}


def _models(project: Project, t: Tables) -> dict:
    m = t["emulation_models"]
    areas = {a.id: a.name for a in project.unit.areas}
    rows = [
        {"area": areas.get(r.area, r.area), "model": r.model_name, "recognised": bool(r.recognised) if not pd.isna(r.recognised) else False}
        for r in m.sort_values(["area", "source_file", "source_row"], kind="stable").itertuples()
    ]
    return {
        "registered_areas": int(m["area"].nunique()),
        "areas": len(project.unit.areas),
        "count": len(m),
        "recognised": int(m["recognised"].fillna(False).sum()),
        "list": rows,
    }


def _awards(project: Project, t: Tables) -> dict:
    a = t["awards"]
    cats = project.reference.catalogues
    by_type = _breakdown(a, "recipient_type", cats["award_recipients"], count="count")
    return {"total": _sum(a, "count"), "by_type": by_type}


def _quality(accounting: pd.DataFrame, rejects: pd.DataFrame, warnings: pd.DataFrame) -> dict:
    per_file = (
        accounting.groupby("file", sort=True)[["read", "kept", "rejected", "blank", "total"]].sum().reset_index()
        if len(accounting)
        else pd.DataFrame(columns=["file", "read", "kept", "rejected", "blank", "total"])
    )
    reasons = (
        rejects.groupby("reason_vi", sort=True).size().reset_index(name="rows").sort_values(
            ["rows", "reason_vi"], ascending=[False, True], kind="stable")
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


def load_history(project: Project, year: int) -> tuple[dict[int, Tables], list[str]]:
    """Earlier years' tidy tables: cleaned from their raw folders, or read from the cache of
    tidy tables when that year was cleaned before from exactly the same inputs
    (:mod:`baocao.tidycache`, content-addressed; the same tables either way).

    Before a unit was formed by a merger (``predecessors`` and ``valid_from`` in baocao.yml),
    an earlier year is the sum of the units merged into it, so that "compared with last year"
    compares like with like; their area ids are prefixed with the unit id to stay distinct.
    """
    from .errors import BaocaoError
    from .tidycache import cleaned_tables

    history: dict[int, Tables] = {}
    notes: list[str] = []
    for y in range(year - project.unit.compare_years, year):
        sources = project.history_sources(y)
        missing = [s.unit.id for s in sources if not s.raw_dir(y).is_dir()]
        if not sources or len(missing) == len(sources):
            continue
        if missing:
            notes.append(f"{y}: thiếu số liệu của {', '.join(missing)}; không so sánh năm này "
                         f"/ no {y} data for {', '.join(missing)}; year not compared")
            continue
        parts: list[Tables] = []
        for source in sources:
            try:
                tables = cleaned_tables(source, y)
            except BaocaoError as exc:
                notes.append(f"{y} ({source.unit.id}): {exc.message_vi}")
                continue
            if source.unit.id != project.unit.id:
                tables = {name: _prefix_areas(frame, source.unit.id) for name, frame in tables.items()}
            parts.append(tables)
        if len(parts) == len(sources):
            history[y] = parts[0] if len(parts) == 1 else {
                name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0]
            }
        elif parts:
            notes.append(f"{y}: thiếu số liệu của một số đơn vị tiền thân; bỏ năm này khỏi so sánh")
    return history, notes


def _prefix_areas(frame: pd.DataFrame, unit_id: str) -> pd.DataFrame:
    if "area" not in frame.columns:
        return frame
    out = frame.copy()
    out["area"] = (unit_id + ":" + out["area"].astype("string")).where(out["area"].notna())
    return out
