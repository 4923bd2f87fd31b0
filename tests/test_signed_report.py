"""The 2023 report holds what a committee signs (issue 10): declared wording, verdicts explained
by the numbers shown, no data-quality tables; those go to a separate data-quality record."""

from __future__ import annotations

import html as htmllib
import json
import re
import unicodedata

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.e2e


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


@pytest.fixture(scope="module")
def pdf(build_2023) -> str:
    return flat("\n".join(p.extract_text() for p in PdfReader(build_2023 / "bao-cao-2023.pdf").pages))


@pytest.fixture(scope="module")
def page(build_2023) -> str:
    return (build_2023 / "bao-cao-2023.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def text(page) -> str:
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return flat(htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def qmd(build_2023) -> str:
    return flat((build_2023 / "bao-cao-2023.qmd").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def metrics(build_2023) -> dict:
    return json.loads((build_2023 / "metrics.json").read_text(encoding="utf-8"))


def test_sentences_state_the_declared_figures_in_their_declared_words(text, pdf):
    for body in (text, pdf):
        for needle in (
            "165 cuộc tuyên truyền, vận động (đạt 113,8% kế hoạch",
            "các Ban Công tác Mặt trận khu dân cư tổ chức 316 cuộc hoạt động thuộc mọi lĩnh vực với 19.397 lượt người",
            # supervision: one count, its definition, and the breakdown in the sentence
            "10 cuộc giám sát (đạt 100,0% kế hoạch), trong đó Ủy ban MTTQ phường chủ trì, phối hợp 5 cuộc "
            "(chủ trì 3 cuộc, phối hợp 2 cuộc); Ban Thanh tra nhân dân 4 cuộc; Ban Giám sát đầu tư cộng đồng 1 cuộc",
            "14/14 kiến nghị đã được giải quyết",
            # one rubbish total per definition, each named for what it counts
            "thu gom 23,8 tấn rác thải",
            "tổng khối lượng rác thải thu gom cả năm là 30,2 tấn",
            # verdicts with the numbers that explain them
            "tỷ lệ hộ nghèo cuối năm là 0,9% (chỉ tiêu: không quá 1,0%; vượt chỉ tiêu",
            "tỷ lệ hòa giải thành là 68,8% (chỉ tiêu: 72,0%; chưa đạt chỉ tiêu)",
            "4 nhà “Đại đoàn kết” (3 nhà xây mới, 1 nhà sửa chữa; mới đạt 80,0% kế hoạch, chưa đạt chỉ tiêu)",
            # awards by level
            "28 lượt tập thể, cá nhân được khen thưởng, trong đó cấp tỉnh 1, cấp thành phố 3, cấp phường 24",
        ):
            assert needle in body, needle
    assert "đưa ra 14 kiến nghị, 14 kiến nghị" not in text


def test_one_money_unit_per_sentence(text):
    fund = next(s for s in text.split(". ") if "phường vận động được" in s)
    assert "số dư cuối năm 266,8 triệu đồng" in fund
    assert not re.search(r"\d{1,3}(\.\d{3})+ đồng", fund), fund


def test_bang_1_counts_the_ban_ctmt_own_activities(text):
    table = text[text.index("Bảng 1: Hoạt động của các Ban Công tác Mặt trận khu dân cư năm 2023") :]
    table = table[: table.index("Bảng 2")]
    assert "Khu 1 64 85 5.211 12" in table and "Cộng 254 316 19.397 48" in table  # the khu file's Tổng cộng


def test_the_targets_table_judges_at_full_precision(text):
    row = re.search(r"Tỷ lệ hòa giải thành % 72,0% 68,8% (\S+) Chưa đạt", text)
    assert row and row.group(1) == "95,5%", "68,75 / 72, not 68,8 / 72"


def test_one_capitalisation_of_nhan_dan(pdf, text):
    for body in (pdf, text):
        assert "Nhân dân" not in body
        assert "nhân dân" in body


def test_the_same_minus_sign_in_html_and_pdf(pdf, text):
    assert "−10,6%" in pdf and "−10,6%" in text
    assert not re.search(r"(?<![\w-])-\d", text), "no hyphen-minus before a number in the HTML"


def test_no_doubled_word(build_2023):
    """In running text, headings and captions ("ĐẦU NĂM NĂM 2025" is the kind); table cells are
    left out, where a name ends and a unit begins ("Số hộ | hộ")."""
    lines = (build_2023 / "bao-cao-2023.qmd").read_text(encoding="utf-8").splitlines()
    prose = flat(" ".join(ln for ln in lines if not ln.startswith("|")))
    doubled = [m.group(0) for m in re.finditer(r"\b(\w+) \1\b", prose, flags=re.IGNORECASE) if not m.group(1).isdigit()]
    assert not doubled, doubled


def test_the_signed_report_holds_no_data_quality_tables(pdf, text):
    for body in (pdf, text):
        for needle in (
            ".xlsx",
            ".csv",
            "rejects",
            "Dòng trống",
            "Dòng đọc",
            "Lý do loại",
            "Số dòng số liệu theo tệp",
            "Khu 7",
            "28/12/2022",
        ):
            assert needle not in body, needle
        # at most one sentence points to the record
        assert body.count("Hồ sơ chất lượng số liệu năm 2023") == 1


def test_the_glossary_defines_every_declared_figure(text, metrics):
    glossary = text[text.index("Giải thích các chỉ tiêu, số liệu") :]
    for ind in metrics["indicators"].values():

        def typographic(t: str) -> str:  # pandoc prints "…" as “…”
            return re.sub(r'"([^"]*)"', "“\\1”", t)

        assert typographic(ind["name"]) in glossary and typographic(ind["definition"]) in glossary, ind["code"]


def test_the_data_quality_record(build_2023, metrics):
    record = (build_2023 / "chat-luong-so-lieu-2023.html").read_text(encoding="utf-8")
    assert record.startswith("<!DOCTYPE html>") and '<html lang="vi">' in record
    assert "<script" not in record and not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", record)
    body = flat(htmllib.unescape(re.sub(r"<[^>]+>", " ", record)))
    for name in (
        "ban-ctmt-khu-1.xlsx",
        "ban-ctmt-khu-4.xlsx",
        "mttq-phuong.xlsx",
        "to-chuc-thanh-vien.xlsx",
        "chi-tieu.xlsx",
    ):
        assert name in body, name
    assert "Đã đọc 598 dòng: dùng 592, loại 2 dòng có lỗi" in body
    assert "ban-ctmt-khu-1.xlsx Hoạt động 70 Số cuộc 85 85 0 Khớp" in body  # the khu's own total row
    assert "10 ô đã so, 10 khớp" in body
    assert f"{len(metrics['checks']['continuity'])} số đã so, {len(metrics['checks']['continuity'])} khớp" in body
    assert "Khu 7" in body and "28/12/2022" in body  # the two rejected rows, with their reasons
    again = (build_2023 / "chat-luong-so-lieu-2023.html").read_bytes()
    assert again == record.encode("utf-8")
