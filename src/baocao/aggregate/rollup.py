"""The aggregate's figures, compiled from its members' by the rules each figure declares.

Every figure of ``data/reference/indicators.yml`` says how a level above compiles it
(``rollup:``; the default follows from the declaration):

``sum``      counts and money over the year (the default of a figure counted from a table):
             the sum of the members' figures. A member that ceased during the year counts its
             part of the year (to the day it ceased, its data cut-off), its successor the rest.
``opening``  a balance at the start of the year (Quỹ opening balance, poor households at the
             start): summed over the members that existed on 1 January.
``closing``  a balance or a stock at the end (households, poor households at the end): summed
             over the members that exist at the year's end, and only when their figures are
             at the same date (the same data cut-off); otherwise no value, and a note names the
             dates.
``formula``  a rate or any other formula (the default of a figure with ``formula:``):
             recomputed from the compiled parts (the city's poor-household rate is
             Σ poor / Σ households, never the mean of the wards' rates).
``none``     not compiled.

"Units that met their own target" is a count of the members' own verdicts, never a rate.

The year-on-year change compares like with like: last year's figures are compiled by the same
rules from the same members' own figures for last year (a member formed by a merger states
the sum of its predecessors for the years before it), leaving out a member merged into
another member of the aggregate (its territory is in its successor's figures).
"""

from __future__ import annotations

import ast
import datetime as dt
import operator

from ..config import Project
from ..indicators import Indicator
from ..targets import (
    achievement_decimals,
    clean_number,
    compare_with_target,
    shown_decimals,
    target_decimals,
)
from .intake import MISSING, REFUSED, MemberReport

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
MET = ("đạt", "vượt")


class _NoValue(Exception):
    pass


def formula_value(formula: str, values: dict) -> float | int | None:
    """A declared formula over compiled values; None when a part has no value or a divisor is 0."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            value = values.get(node.id)
            if value is None:
                raise _NoValue
            return value
        if isinstance(node, ast.UnaryOp):
            return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div) and not right:
                raise _NoValue
            return _OPS[type(node.op)](left, right)
        raise ValueError(f"unexpected formula node {node!r}")  # indicators.formula_codes refused it at load

    try:
        return clean_number(ev(ast.parse(formula, mode="eval")), 9)
    except _NoValue:
        return None


def contributors(ind: Indicator, members: list[MemberReport], year: int) -> list[MemberReport]:
    """The reporting members whose figure the rule of ``ind`` adds up this year."""
    reporting = [m for m in members if m.reported]
    if ind.rollup == "opening":
        return [m for m in reporting if m.exists_on(dt.date(year, 1, 1))]
    if ind.rollup == "closing":
        return [m for m in reporting if m.exists_on(dt.date(year, 12, 31))]
    return reporting


def member_value(m: MemberReport, code: str, year: int | None = None) -> float | int | None:
    """The member's own figure (of ``year``: from its report's earlier years), as it states it."""
    entry = (m.metrics.get("indicators") or {}).get(code) or {}
    if year is None:
        return entry.get("value")
    return (entry.get("history") or {}).get(str(year))


def compile_values(
    ref_declared: dict[str, Indicator], members: list[MemberReport], year: int, past: int | None = None
) -> tuple[dict[str, float | int | None], list[str]]:
    """Every declared figure compiled from the members' own (of year ``past`` when given: the
    like-with-like comparison), with notes on what could not be compiled."""
    values: dict[str, float | int | None] = {}
    notes: list[str] = []
    for code, ind in ref_declared.items():  # formulas come after their parts (indicators.py)
        if ind.rollup == "none":
            values[code] = None
        elif ind.rollup == "formula":
            assert ind.formula is not None, code
            values[code] = formula_value(ind.formula, values)
        else:
            who = contributors(ind, members, year)
            if past is not None:
                ids = {m.id for m in members}
                who = [m for m in members if m.reported and m.merged_into not in ids]
            found = [(m, member_value(m, code, past)) for m in who]
            lacking = [m.id for m, v in found if v is None]
            if lacking:
                values[code] = None
                if past is None:
                    notes.append(f"{code}: không có số liệu của / no figure from {', '.join(lacking)}")
                continue
            if ind.rollup == "closing" and past is None:
                dates = sorted({m.cutoff for m in who})
                if len(dates) > 1:
                    values[code] = None
                    notes.append(
                        f"{code}: số dư/số liệu cuối kỳ của các đơn vị ở các ngày khác nhau ({', '.join(dates)}): "
                        f"không cộng / the members' closing figures are at different dates: not summed"
                    )
                    continue
            values[code] = clean_number(sum(float(v) for _m, v in found if v is not None), 9)
    return values, notes


def verdicts(code: str, members: list[MemberReport]) -> dict[str, list[str]]:
    """Which reporting members met their own target for ``code``, missed it, or set none."""
    out: dict[str, list[str]] = {"met": [], "missed": [], "no_target": []}
    for m in members:
        if not m.reported:
            continue
        status = ((m.metrics.get("indicators") or {}).get(code) or {}).get("status")
        out["met" if status in MET else "missed" if status == "chưa đạt" else "no_target"].append(m.id)
    return out


def compile_metrics(
    project: Project,
    year: int,
    members: list[MemberReport],
    targets: dict[str, float],
    next_targets: dict[str, float],
    unexpected: list[str] | None = None,
) -> dict:
    """The aggregate's metrics.json: its figures, its members' rows, coverage and checks."""
    ref = project.reference
    declared = ref.declared
    values, notes = compile_values(declared, members, year)
    previous, _ = compile_values(declared, members, year, past=year - 1)
    indicators = {
        code: _entry(ind, values.get(code), previous.get(code), targets, next_targets, members, year)
        for code, ind in declared.items()
    }
    rows = member_rows(project, members)
    expected = len(members)
    reported = [m for m in members if m.reported]
    cutoffs = sorted({m.cutoff for m in reported if m.cutoff})
    return {
        "year": year,
        "kind": "aggregate",
        "unit": {"id": project.unit.id, "name": project.unit.name, "members": expected},
        "period": {
            "start": f"{year}-01-01",
            "cutoff": cutoffs[-1] if cutoffs else f"{year}-12-31",
            "cutoffs": cutoffs,
            "whole_year": bool(cutoffs) and cutoffs[-1] >= f"{year}-12-31",
        },
        "coverage": {
            "expected": expected,
            "reported": len(reported),
            "missing": [m.id for m in members if m.status == MISSING],
            "refused": [m.id for m in members if m.status == REFUSED],
            "partial": len(reported) < expected,
        },
        "members": [m.as_record() for m in members],
        "member_rows": rows,
        "indicators": indicators,
        "compared_years": [year - 1] if any(previous.get(c) is not None for c in ref.indicators) else [],
        "notes": notes,
        "unexpected_files": list(unexpected or ()),
        "checks": {"member_equality": member_equality(rows, members)},
    }


def _entry(ind: Indicator, value, prev, targets: dict, next_targets: dict, members: list, year: int) -> dict:
    """One compiled figure with its rule, last year, targets, verdict and decimals."""
    code = ind.code
    change = None
    if value is not None and prev is not None:
        if ind.kind == "percent":
            change = clean_number(value - prev, 6)
        elif prev:
            change = clean_number((value - prev) / prev * 100, 6)
    target = targets.get(code)
    who = [m.id for m in contributors(ind, members, year)] if ind.rollup not in ("formula", "none") else []
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
        "rollup": ind.rollup,
        "contributors": who,
        "value": value,
        "history": {str(year - 1): prev},
        "previous": prev,
        "change": change,
        "change_is_points": ind.kind == "percent",
        "target": target,
        "next_target": next_targets.get(code),
    }
    entry.update(compare_with_target(value, target, ind.kind, ind.direction))
    entry["decimals"] = shown_decimals(value, target, ind.direction, ind.decimals, ind.kind)
    entry["declared_decimals"] = ind.decimals
    entry["target_decimals"] = target_decimals(target, ind.kind)
    entry["next_target_decimals"] = target_decimals(next_targets.get(code), ind.kind)
    entry["achievement_decimals"] = achievement_decimals(entry["achievement_pct"], entry["status"])
    if ind.chi_tieu:
        entry["members"] = verdicts(code, members)
    return entry


def member_rows(project: Project, members: list[MemberReport]) -> list[dict]:
    """One row per reporting member: its own figures of every chỉ tiêu, as its report states
    them (value, the decimals it printed them with, its target and verdict)."""
    rows = []
    for m in members:
        if not m.reported:
            continue
        own = m.metrics.get("indicators") or {}
        cells = {}
        for code in project.reference.indicators:
            e = own.get(code) or {}
            cells[code] = {
                "value": e.get("value"),
                "decimals": e.get("decimals", 0),
                "target": e.get("target"),
                "status": e.get("status"),
            }
        rows.append({"id": m.id, "name": m.name, "cells": cells})
    return rows


def member_equality(rows: list[dict], members: list[MemberReport]) -> list[dict]:
    """Each member's row of the compiled tables against the figures of that member's own
    report, read again from the bytes of its verified metrics.json: one record per member,
    "ok" or the codes that differ."""
    import json

    by_id = {m.id: m for m in members}
    out = []
    for row in rows:
        m = by_id[row["id"]]
        own = json.loads(m.metrics_bytes.decode("utf-8"))["indicators"] if m.metrics_bytes else {}
        differ = [
            code
            for code, cell in row["cells"].items()
            if (own.get(code) or {}).get("value") != cell["value"]
            or (own.get(code) or {}).get("decimals", 0) != cell["decimals"]
        ]
        out.append({"id": m.id, "name": m.name, "status": "mismatch" if differ else "ok", "differ": differ})
    return out
