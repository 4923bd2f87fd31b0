"""The 2023 sample report, read the way a reviewer reads it: the PDF's text and the HTML."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata

import pandas as pd
import pytest
from pypdf import PdfReader

from baocao import vnformat as vn

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def metrics(build_2023) -> dict:
    return json.loads((build_2023 / "metrics.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pdf_text(build_2023) -> str:
    reader = PdfReader(build_2023 / "bao-cao-2023.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    return unicodedata.normalize("NFC", re.sub(r"[ \t]+", " ", text))


@pytest.fixture(scope="module")
def html(build_2023) -> str:
    return (build_2023 / "bao-cao-2023.html").read_text(encoding="utf-8")


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_build_names_the_files_it_produced(sample_project):
    log = (sample_project / "build-2023.log").read_text(encoding="utf-8")
    tail = log.strip().splitlines()[-3:]
    assert tail[0] == "  build/2023/bao-cao-2023.html"
    # the PDF line says what kind of PDF it is (test_report_pdf checks that it is true)
    assert re.fullmatch(
        r"  build/2023/bao-cao-2023\.pdf  \((PDF/A-2b|PDF thường, không phải PDF/A / a plain PDF, not PDF/A)\)", tail[1]
    ), tail[1]
    assert tail[2] == "  build/2023/bao-cao-2023.docx"


def test_outputs_exist(build_2023):
    for name in (
        "bao-cao-2023.qmd",
        "bao-cao-2023.html",
        "bao-cao-2023.pdf",
        "bao-cao-2023.docx",
        "metrics.json",
        "manifest.json",
        "data/rejects.csv",
        "data/accounting.csv",
        "notebooks/01_clean.ipynb",
        "notebooks/02_analyze.ipynb",
    ):
        assert (build_2023 / name).is_file(), name
    assert len(list((build_2023 / "figures").glob("*.svg"))) >= 4


def test_pdf_is_a4(build_2023):
    reader = PdfReader(build_2023 / "bao-cao-2023.pdf")
    portrait = [p for p in reader.pages if p.mediabox.width < p.mediabox.height]
    assert len(portrait) >= len(reader.pages) - 2
    for page in portrait:
        assert abs(float(page.mediabox.width) - 595.28) < 1 and abs(float(page.mediabox.height) - 841.89) < 1


def test_pdf_holds_title_unit_and_header_with_diacritics(pdf_text):
    text = flat(pdf_text)
    for needle in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN MTTQ VIỆT NAM",
        "PHƯỜNG BÌNH NGỌC",
        "Số: 45/BC-MTTQ-BTT",
        "Bình Ngọc, ngày 24 tháng 11 năm 2023",
        "BÁO CÁO",
        "Tổng kết công tác Mặt trận năm 2023, phương hướng nhiệm vụ năm 2024",
        "Phần thứ nhất",
        "Phần thứ hai",
        "TM. BAN THƯỜNG TRỰC",
        "Nơi nhận",
        "Ủy ban MTTQ Việt Nam phường Bình Ngọc",
    ):
        assert needle in text, needle


def test_pdf_states_key_totals_in_vietnamese_form(pdf_text, metrics):
    text = flat(pdf_text)
    ind = metrics["indicators"]
    assert f"{vn.fmt_int(ind['tuyen_truyen_luot']['value'])} lượt người" in text
    assert f"{vn.fmt_number(ind['quy_vnn_thu']['value'], 1, trim=True)} triệu đồng" in text
    assert vn.fmt_percent(ind["ty_le_gdvh"]["value"]) in text
    # the balance written in full, as offices state a balance (issue 20), in a sentence of its own
    # (one money unit per sentence): to the data cut-off, 20/11/2023
    closing = vn.fmt_int(metrics["fund"]["closing"])
    f = metrics["fund"]
    # reconcilable: the opening balance, plus receipts, less payments (issue 20)
    assert (
        f". Số dư Quỹ đến ngày 20/11/2023 là {closing} đồng (số dư đầu năm {vn.fmt_int(f['opening'])} đồng, "
        f"cộng thu {vn.fmt_int(f['receipts'])} đồng, trừ chi {vn.fmt_int(f['payments'])} đồng)."
    ) in text
    assert f["opening"] + f["receipts"] - f["payments"] == f["closing"]
    assert re.search(r"\d\.\d{3}", text), "thousands are grouped with dots"
    assert not re.search(r"\d,\d{3}\b(?!,)", text.replace("2024-2029", "")), "no English thousands separators"


def test_metrics_follow_from_the_tidy_data(build_2023, metrics):
    fund = pd.read_csv(build_2023 / "data" / "fund_txn.csv", encoding="utf-8-sig")
    receipts = fund[fund["direction"] == "thu"]
    # raised by the ward apart from the money transferred from the level above (issue 20)
    transfers = receipts["source"].isin(["cap_tren", "ngan_sach"])
    assert transfers.any() and (pd.to_datetime(fund["date"]) <= "2023-11-20").all()  # nothing after the cut-off
    ind = metrics["indicators"]
    assert ind["quy_vnn_thu"]["value"] == pytest.approx(receipts.loc[~transfers, "amount"].sum() / 1e6)
    assert ind["quy_vnn_ho_tro"]["value"] == pytest.approx(receipts.loc[transfers, "amount"].sum() / 1e6)
    activity = pd.read_csv(build_2023 / "data" / "activity.csv")
    # per khu: the Ban Công tác Mặt trận's own activities, the rows of its own workbook
    own = activity[activity["source_file"].str.startswith("ban-ctmt-khu-")]
    assert sum(a["participants"] for a in metrics["by_area"]) == own["participants"].sum()


def test_pdf_has_numbered_tables_and_charts(pdf_text):
    text = flat(pdf_text)
    assert "Bảng 1:" in text and "Bảng 4:" in text
    assert "Biểu đồ 1:" in text and "Biểu đồ 2:" in text  # a chart that only repeats a table is not shown
    assert re.search(r"đạt \d+,\d% kế hoạch", text), "targets vs results read 'đạt x% kế hoạch'"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_pdftotext_extracts_every_diacritic(build_2023):
    out = subprocess.run(
        ["pdftotext", "-layout", str(build_2023 / "bao-cao-2023.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    out = unicodedata.normalize("NFC", out)
    for word in (
        "Ủy ban",
        "Mặt trận",
        "khối đại đoàn kết",
        "Hạnh phúc",
        "nghèo",
        "Người",
        "Chuyển đổi số",
        "nhiệm kỳ",
        "Khổng Minh Nguyên",
    ):
        assert word in out, word


def test_html_is_self_contained_and_offline(html):
    assert re.search(r"<html [^>]*\blang=[\"']vi[\"']", html)
    assert html.count("<table") >= 4
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) >= 2  # a chart that only repeats a table is not shown (issue 20)
    assert all('src="data:image/svg+xml' in img for img in images)
    assert all("alt=" in img for img in images)
    for attr in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html):
        assert not attr.startswith(("http:", "https:", "//")), attr
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "<script" not in html


def test_html_holds_the_report_text(html):
    import html as htmllib

    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))
    text = flat(text)
    assert "KẾT QUẢ CÔNG TÁC MẶT TRẬN NĂM 2023" in text
    assert "Mục lục" in text


def test_rejects_and_accounting(build_2023):
    rejects = pd.read_csv(build_2023 / "data" / "rejects.csv", dtype=str)
    assert list(rejects.columns) == ["file", "sheet", "row", "column", "value", "reason_vi", "reason_en"]
    acc = pd.read_csv(build_2023 / "data" / "accounting.csv")
    assert (acc["read"] == acc["kept"] + acc["rejected"] + acc["blank"] + acc["total"]).all()
    assert acc["rejected"].sum() == rejects[["file", "sheet", "row"]].drop_duplicates().shape[0]


def test_executed_notebooks_are_records(build_2023):
    nb = json.loads((build_2023 / "notebooks" / "01_clean.ipynb").read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert outputs, "the executed notebook shows its summaries"
    assert not any(o.get("output_type") == "error" for o in outputs)
    assert "start_time" not in nb["metadata"].get("papermill", {})
