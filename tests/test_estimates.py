"""Declared estimates to 31/12 ("ước thực hiện cả năm", issue 20), through the command line: the
year's metadata names the figures and their rules; the report states them in its opening, marks
the estimated figures "ước" and says that their verdicts rest on the estimate; every other
figure stays the result at the data cut-off; a bad declaration is an error naming its line."""

from __future__ import annotations

import json
import re
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from .conftest import copy_project, run_cli

pytestmark = pytest.mark.e2e

DECLARED = """
uoc_thuc_hien:
  quy_vnn_thu:
    quy_tac: ke_hoach_con_lai
    con_lai: "40"
    can_cu: "kế hoạch vận động tháng 12 của các khu"
  tuyen_truyen_cuoc:
    quy_tac: ty_le_thoi_gian
  nha_ddk:
    quy_tac: giu_nguyen
"""


def _flat(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> tuple[dict, dict, str]:
    """2023 built as the sample declares it, then again with three estimates declared: (the
    metrics without, the metrics with, the PDF text with)."""
    root = copy_project(tmp_path_factory.mktemp("estimates") / "p", years=[2022, 2023])
    run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=root)
    before = json.loads((root / "build/2023/metrics.json").read_text(encoding="utf-8"))
    meta = root / "data/raw/2023/thong-tin-bao-cao.yml"
    meta.write_text(meta.read_text(encoding="utf-8") + DECLARED, encoding="utf-8")
    run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=root)  # only the metadata changed
    after = json.loads((root / "build/2023/metrics.json").read_text(encoding="utf-8"))
    return before, after, _flat(root / "build/2023/bao-cao-2023.pdf")


def test_each_rule_applied_to_the_result_at_the_cut_off(builds):
    before, after, _text = builds
    b, a = before["indicators"], after["indicators"]
    # ke_hoach_con_lai: the result at the cut-off plus the 40 triệu đồng declared for the rest of the year
    assert a["quy_vnn_thu"]["estimate"]["at_cutoff"] == b["quy_vnn_thu"]["value"]
    assert Decimal(str(a["quy_vnn_thu"]["value"])) == Decimal(str(b["quy_vnn_thu"]["value"])) + 40
    # ty_le_thoi_gian: × 365 days / 324 days from 01/01 to the cut-off 20/11/2023, a count whole
    expected = (Decimal(b["tuyen_truyen_cuoc"]["value"]) * 365 / 324).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert a["tuyen_truyen_cuoc"]["value"] == int(expected) > b["tuyen_truyen_cuoc"]["value"]
    # giu_nguyen: the result at the cut-off, still marked an estimate
    assert a["nha_ddk"]["value"] == b["nha_ddk"]["value"] and a["nha_ddk"]["estimate"]["rule"] == "giu_nguyen"
    # the verdict is judged on the estimate
    thu = a["quy_vnn_thu"]
    assert thu["achievement_pct"] == pytest.approx(thu["value"] / thu["target"] * 100)
    # every other figure is the result at the cut-off, those computed from an estimated one too
    for code in ("tuyen_truyen_luot", "quy_vnn_tong_thu", "quy_vnn_chi", "quy_vnn_so_du_cuoi"):
        assert a[code]["value"] == b[code]["value"] and a[code]["estimate"] is None, code
    assert after["fund"]["closing"] == before["fund"]["closing"]


def test_the_report_states_the_estimates_and_marks_them(builds):
    _before, after, text = builds
    a = after["indicators"]
    assert "Số liệu trong báo cáo tính từ ngày 01/01/2023 đến ngày 20/11/2023; riêng 03 chỉ tiêu sau là số ước" in text
    assert "cộng 40 triệu đồng dự kiến thực hiện đến ngày 31/12/2023 theo kế hoạch (kế hoạch vận động tháng 12" in text
    assert "nhân với 365/324" in text and "không dự kiến phát sinh thêm đến hết năm" in text
    # the sentence gives the estimate, the result it rests on, and a verdict that says "ước"
    cuoc = a["tuyen_truyen_cuoc"]
    at = cuoc["estimate"]["at_cutoff"]
    assert f"ước {cuoc['value']} cuộc tuyên truyền, vận động (đến ngày 20/11/2023: {at} cuộc)" in text
    assert re.search(r"số cuộc ước (vượt|đạt|mới đạt) [\d,]+% kế hoạch", text)
    # the targets table marks the value and the verdict
    assert re.search(rf"ước {cuoc['value']} [\d,]+% Ước (vượt|đạt|chưa đạt)", text)
    assert "được đánh giá theo số ước thực hiện cả năm" in text
    # figures not declared carry no mark
    luot = f"{a['tuyen_truyen_luot']['value']:,}".replace(",", ".")
    assert f"với {luot} lượt người tham gia" in text and f"ước {luot}" not in text


BAD = """
uoc_thuc_hien:
  quy_vnn_thuu:
    quy_tac: ke_hoach_con_lai
    con_lai: "40"
  ty_le_gdvh:
    quy_tac: giu_nguyen
  nha_ddk:
    quy_tac: ke_hoach_con_lai
  qua_suat:
    quy_tac: ngoai_suy
"""


def test_a_bad_declaration_is_named_with_its_file_line_and_key(tmp_path):
    root = copy_project(tmp_path / "p", years=[2023])
    meta = root / "data/raw/2023/thong-tin-bao-cao.yml"
    text = meta.read_text(encoding="utf-8") + BAD
    meta.write_text(text, encoding="utf-8")
    lines = text.splitlines()

    def line_of(key: str) -> int:
        return next(i for i, ln in enumerate(lines, start=1) if ln.strip().startswith(key + ":"))

    proc = run_cli("validate", "--year", "2023", cwd=root, check=False)
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    # a rule outside the declared ones is the schema's error, first on its own
    assert f"thong-tin-bao-cao.yml, dòng {line_of('qua_suat') + 1}, cột 'uoc_thuc_hien.qua_suat.quy_tac'" in out
    assert "ngoai_suy" in out and "ke_hoach_con_lai, ty_le_thoi_gian, giu_nguyen" in out

    meta.write_text(text.replace("ngoai_suy", "ty_le_thoi_gian"), encoding="utf-8")
    proc = run_cli("validate", "--year", "2023", cwd=root, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "Traceback" not in out
    assert f"dòng {line_of('quy_vnn_thuu')}, cột 'uoc_thuc_hien.quy_vnn_thuu'" in out
    assert "ý bạn là 'quy_vnn_thu'?" in out
    assert f"dòng {line_of('ty_le_gdvh')}, cột 'uoc_thuc_hien.ty_le_gdvh'" in out and "không ước được" in out
    assert f"dòng {line_of('nha_ddk')}, cột 'uoc_thuc_hien.nha_ddk.con_lai'" in out
    build = run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=root, check=False)
    assert build.returncode == 1 and "Traceback" not in build.stdout + build.stderr
    assert "uoc_thuc_hien.quy_vnn_thuu" in build.stdout + build.stderr


def test_the_time_rule_of_a_unit_formed_during_the_year_counts_from_its_start():
    """A ward formed on 01/07 (a merger's successor) has had 143 days to a 20/11 cut-off, of the
    184 it has in the year: its estimate scales by 184/143, not by 365/324."""
    import datetime as dt

    from baocao.config import Project
    from baocao.estimates import Estimate, estimated_value, rule_text

    from .conftest import ROOT

    ind = Project(ROOT, ROOT / "build").reference.declared["tuyen_truyen_cuoc"]
    est = Estimate("tuyen_truyen_cuoc", "ty_le_thoi_gian")
    cutoff, start = dt.date(2025, 11, 20), dt.date(2025, 7, 1)
    assert estimated_value(est, ind, 100, 2025, cutoff, start) == 129  # 100 × 184 / 143 = 128,67
    assert estimated_value(est, ind, 100, 2025, cutoff) == 113  # the whole year: 100 × 365 / 324
    assert "184/143 (số ngày từ ngày 01/07/2025 đến hết năm" in rule_text(est, ind, 2025, cutoff, start)
