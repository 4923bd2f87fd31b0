"""The aggregate's own targets: ``chi-tieu.yml`` in ``data/raw/<aggregate>/<year>/``.

A city sets its own chỉ tiêu for the year and the next one; they are the codes of
``data/reference/indicators.yml`` (``chi_tieu``)::

    nam_nay:                 # the report's year
      ty_le_ho_ngheo: 2.5
      quy_vnn_thu: 1500      # in the figure's own unit (triệu đồng)
    nam_sau:                 # the next year (Phần thứ hai: các chỉ tiêu chủ yếu)
      ty_le_ho_ngheo: 2.0

An unknown key or code is an error naming the file, the code and the close match.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ..config import Project
from ..errors import ConfigError

TARGETS_FILE = "chi-tieu.yml"


class TargetsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    nam_nay: dict[str, float] = {}
    nam_sau: dict[str, float] = {}


def load_targets(project: Project, year: int) -> tuple[dict[str, float], dict[str, float]]:
    """(this year's targets, next year's) by code; empty when the file is absent."""
    from ..configschema import load_checked

    path = project.raw_dir(year) / TARGETS_FILE
    if not path.is_file():
        return {}, {}
    _data, model = load_checked(path, TargetsFile)
    codes = list(project.reference.indicators)
    for code in [*model.nam_nay, *model.nam_sau]:
        if code not in codes:
            close = difflib.get_close_matches(code, codes, n=1)
            near_vi = f" (có phải '{close[0]}'?)" if close else ""
            near_en = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(
                f"{project.rel(Path(path))}: '{code}' không phải mã chỉ tiêu{near_vi}",
                f"{project.rel(Path(path))}: '{code}' is not a chỉ tiêu code{near_en}",
                hint_vi="dùng các mã trong 'chi_tieu' của data/reference/indicators.yml",
                hint_en="use the codes of 'chi_tieu' in data/reference/indicators.yml",
            )
    return dict(model.nam_nay), dict(model.nam_sau)
