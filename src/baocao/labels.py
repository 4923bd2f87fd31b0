"""Labels in cells: which khu a cell names ("Khu 1", "KDC số 1", "Tổ 3", "Khu 1-2"), whether it
stands for the whole ward, and whether a row is a total, a subtotal or a signature block line.

Matching here never guesses: :func:`area_reference` reports the kind of area and every number a
cell names, and the cleaner rejects a cell that does not name exactly one khu.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .parse import is_missing
from .textenc import normalize_text, remove_diacritics

# ---------------------------------------------------------------------------- labels

_ROMAN = re.compile(r"x{0,2}(?:ix|iv|v?i{0,3})")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}
_AREA_KINDS = {  # the words for a residential area, by kind: "Tổ 3" is not "Khu 3"
    "khu dan cu": "khu",
    "khu pho": "khu",
    "khu": "khu",
    "kdc": "khu",
    "kp": "khu",
    "k": "khu",
    "to dan pho": "to",
    "tdp": "to",
    "to": "to",
    "thon": "thon",
    "ap": "ap",
    "khom": "khom",
    "xom": "xom",
}
_AREA = re.compile(
    r"(?:ban (?:ctmt|cong tac mat tran) )?"
    r"(?:(khu dan cu|khu pho|khu|kdc|kp|to dan pho|tdp|thon|ap|khom|xom|to) ?(?:so ?)?(\d{1,3})"
    r"|(khu dan cu|khu pho|khu|kdc|kp|to dan pho|tdp|thon|ap|khom|xom|to) (?:so )?([ivx]+)"
    r"|(k) ?(\d{1,3})|(\d{1,3}))"
    r"((?:\s*(?:-|–|\(|,|\+|&|/|;|\bva\b|\bden\b)).*)?"
)
_MORE_NUMBERS = re.compile(r"(?<![a-z0-9])\d{1,3}(?![a-z0-9])|(?<=khu )[ivx]+(?![a-z])")


@dataclass(frozen=True)
class AreaReference:
    """What a khu cell says: its kind of area ("khu", "to"…, None for a bare number) and the
    numbers it names (more than one: "Khu 1-2", "Khu 1, 2")."""

    kind: str | None
    numbers: tuple[int, ...]


def _roman(text: str) -> int | None:
    if not text or not _ROMAN.fullmatch(text):
        return None
    total = 0
    for i, c in enumerate(text):
        v = _ROMAN_VALUES[c]
        total += -v if i + 1 < len(text) and _ROMAN_VALUES[text[i + 1]] > v else v
    return total if 1 <= total <= 20 else None


def _label_key(text: str) -> str:
    """Lower case, no diacritics, dots as spaces, single spaces."""
    key = remove_diacritics(normalize_text(text).lower()).replace(".", " ")
    return re.sub(r"\s+", " ", key).strip(" :")


def area_reference(text: object) -> AreaReference | None:
    """The kind and number(s) in "Khu 1", "KHU IV", "K.1", "KDC số 1", "Ban CTMT khu 1", "1",
    "Tổ 3", "Khu 1-2"…; None when the text names no numbered area."""
    if isinstance(text, bool) or is_missing(text):
        return None
    if isinstance(text, (int, float)):
        number = int(text) if float(text).is_integer() else 0
        return AreaReference(None, (number,)) if 1 <= number <= 999 else None
    if not isinstance(text, str):
        return None
    m = _AREA.fullmatch(_label_key(text))
    if not m:
        return None
    kind_word = m.group(1) or m.group(3) or m.group(5)
    digits = m.group(2) or m.group(6) or m.group(7)
    first = int(digits) if digits else _roman(m.group(4))
    if not first:
        return None
    numbers = [first]
    for token in _MORE_NUMBERS.findall(m.group(8) or ""):
        more = int(token) if token.isdigit() else _roman(token)
        if more and more <= 999 and more not in numbers:
            numbers.append(more)
    return AreaReference(_AREA_KINDS[kind_word] if kind_word else None, tuple(numbers))


def area_number(text: object) -> int | None:
    """The number of a khu dân cư in "Khu 1", "KHU IV", "K.1", "KDC số 1", "1"… (None for "Khu 1, 2")."""
    ref = area_reference(text)
    return ref.numbers[0] if ref is not None and len(ref.numbers) == 1 else None


_WHOLE_UNIT = re.compile(
    r"(?:(?:toan|ca) )?(?:phuong|xa|thi tran|dac khu|don vi)"
    r"|(?:toan|ca) (?:phuong|xa|thi tran|dac khu) .+"
    r"|chung|toan bo|tat ca"
)


def is_whole_unit(text: object) -> bool:
    """Whether a label stands for the whole ward/commune: "Toàn phường", "Cả phường", "Chung"…"""
    if not isinstance(text, str):
        return False
    return _WHOLE_UNIT.fullmatch(_label_key(text)) is not None


_TOTAL_HEAD = re.compile(r"(tổng cộng|tổng số|tổng|cộng|grand total|subtotal|sub-total|total)(?![^\W\d_])\s*(.*)")
_TOTAL_HEAD_ASCII = re.compile(r"(tong cong|tong so|tong|cong)(?![^\W\d_])\s*(.*)")
_TOTAL_REST = {"chung", "cộng", "các khu", "tất cả", "toàn bộ", "lũy kế", "luỹ kế", "cả năm", "toàn đơn vị"}
#: First letters of every total label (and of text that does not start with a letter or digit).
TOTAL_LABEL_STARTS = "TtCcGgSsLl"
_PERIOD = r"(?:tháng \d{1,2}(?:/\d{4})?|quý (?:[ivx]+|\d)|\d{1,2} tháng(?: đầu năm| cuối năm)?|năm(?: \d{4})?|kỳ(?: này)?|trong (?:kỳ|tháng|quý|năm)|từ đầu (?:năm|kỳ)|đến (?:nay|tháng \d{1,2}|cuối năm))"
_SUBTOTAL = re.compile(
    r"(?:cộng|tổng cộng|tổng) (?:"
    + _PERIOD
    + r"|(?:số )?phát sinh(?: "
    + _PERIOD
    + r")?|thu|chi|thu,? chi|số thu|số chi)"
    r"|(?:lũy|luỹ) kế(?: .*)?"
    r"|(?:tồn quỹ|tồn|số dư(?: quỹ)?) (?:đầu|cuối) (?:năm|kỳ|tháng|quý)(?: .*)?"
    r"|(?:số )?(?:dư|tồn) (?:đầu|cuối) (?:năm|kỳ|tháng|quý)(?: .*)?"
)
_SUBTOTAL_ASCII = re.compile(
    r"(?:cong|tong cong|tong) (?:thang \d{1,2}|quy (?:[ivx]+|\d)|(?:so )?phat sinh.*|thu|chi|tu dau nam)"
    r"|luy ke(?: .*)?|(?:ton quy|ton|so du(?: quy)?) (?:dau|cuoi) (?:nam|ky|thang|quy)(?: .*)?"
)
_FORMULA = re.compile(r"[ivxlc\d\s+\-=,.()a-e]*[+\-=][ivxlc\d\s+\-=,.()a-e]*")


def is_total_row_label(text: object) -> bool:
    """Whether a row label marks a total: "Tổng cộng", "Cộng:", "Cộng khu 1", "Tổng cộng (I+II)",
    or a subtotal or running balance: "Cộng tháng 1", "Cộng quý I", "Lũy kế từ đầu năm", "Cộng phát
    sinh", "Tổng thu", "Tổng chi", "Tồn quỹ cuối năm", "Số dư đầu kỳ".

    Whole words only: "Cộng đồng", "Tổng kết năm 2023", "Tổng vệ sinh", "Tổng số hộ" are not totals.
    """
    if not isinstance(text, str):
        return False
    first = text[:1]
    if first.isalnum() and first not in TOTAL_LABEL_STARTS:  # fast path: no total label starts otherwise
        return False
    label = normalize_text(text).lower().rstrip(" :.-–")
    if _SUBTOTAL.fullmatch(label) or (label.isascii() and _SUBTOTAL_ASCII.fullmatch(label)):
        return True
    m = _TOTAL_HEAD.fullmatch(label)
    if not m and label.isascii():
        m = _TOTAL_HEAD_ASCII.fullmatch(label)
    if not m:
        return False
    rest = m.group(2).lstrip(":-–. ").strip()
    rest = re.sub(r"\s*\([^()]*\)$", "", rest).strip()  # "(I+II)", "(đồng)"
    if not rest:
        return True
    if rest in _TOTAL_REST or _FORMULA.fullmatch(rest) or re.fullmatch(r"(?:cả )?năm \d{4}", rest):
        return True
    return area_number(rest) is not None or is_whole_unit(rest)


# ---------------------------------------------------------------------------- signature blocks
_SIGNATURE = re.compile(
    r"\(?(?:ký|kí)(?: tên)?(?:,? ghi rõ họ(?: và)? tên|,? đóng dấu|,? họ tên)*\)?"
    r"|\(?(?:ký|kí),? (?:ghi )?rõ họ(?: và)? tên(?:,? đóng dấu)?\)?"
    r"|người (?:lập(?: biểu| bảng| báo cáo)?|tổng hợp|ghi sổ|duyệt|kiểm tra)"
    r"|(?:kế toán|thủ quỹ)(?: trưởng)?|thủ trưởng(?: đơn vị)?|xác nhận(?: của .*)?"
    r"|(?:t/m|tm|t\.m|k/t|kt|tl|tuq)\.? ?(?:ban|ủy ban|uỷ ban|mặt trận|thường trực|chi hội|hội|đoàn|chủ tịch|trưởng ban)(?: .*)?"
    r"|(?:chủ tịch|phó chủ tịch|trưởng ban|phó trưởng ban|chi hội trưởng|bí thư|trưởng khu|thư ký)"
    r"(?: (?:(?:ban )?(?:ctmt|công tác mặt trận)|ub mttq|ủy ban mttq|uỷ ban mttq)(?: khu \d{1,3}| phường| xã)?)?"
    r"|[^,\d]+, ngày \d{1,2}(?:/| tháng )\d{1,2}(?:/| năm )\d{4}"
    r"|[^,\d]+, ngày \.+ ?tháng \.+ ?năm.*"
)


def is_signature_label(text: object) -> bool:
    """Whether a cell is part of a signature block under a table: "Người lập biểu", "(Ký, ghi rõ
    họ tên)", "Kế toán", "TM. BAN THƯỜNG TRỰC", "TRƯỞNG BAN", "Bình Ngọc, ngày 05 tháng 12 năm 2023".
    """
    if not isinstance(text, str):
        return False
    label = normalize_text(text).lower().rstrip(" :.")
    if not label or len(label) > 80:
        return False
    return _SIGNATURE.fullmatch(label) is not None
