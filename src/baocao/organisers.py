"""Who organised each activity: the office whose file records it, so that each activity
belongs to exactly one organiser's row (the Ủy ban MTTQ phường, the Ban Công tác Mặt trận of a
khu, or one member organisation)."""

from __future__ import annotations

import pandas as pd

from .config import Project

#: The organiser of an activity is the office whose file records it: the Ban CTMT of the khu
#: (a khu file: the organisation named in its "Tổ chức" column took part, the Ban organised),
#: the Ủy ban MTTQ phường (the ward file), or the member organisation named in the member
#: organisations' file. Each activity so belongs to exactly one organiser's row.
BAN_CTMT = "ban-ctmt"


def organisers(project: Project, activity: pd.DataFrame) -> pd.Series:
    """The organiser id of each activity row (see BAN_CTMT)."""
    files = project.reference.files
    names = activity["source_file"].astype("string").fillna("")

    def of(name: str, org) -> str:
        if files["ban-ctmt-khu"].matches(name):
            return BAN_CTMT
        if files["to-chuc-thanh-vien"].matches(name) and isinstance(org, str) and org:
            return org
        return "mttq"

    return pd.Series([of(n, o) for n, o in zip(names, activity["org"], strict=True)], index=activity.index)


def organiser_names(project: Project) -> list[tuple[str, str, str]]:
    """(id, name, short name) of every organiser, in the report's order."""
    orgs = {o.id: o for o in project.unit.organisations}
    mttq = orgs.get("mttq")
    out = [("mttq", project.unit.name if mttq is None else mttq.name, "MTTQ phường")]
    out.append((BAN_CTMT, "Các Ban Công tác Mặt trận khu dân cư", "Ban CTMT"))
    out += [(o.id, o.name, str(o.extra.get("short", o.name))) for o in project.unit.organisations if o.id != "mttq"]
    return out
