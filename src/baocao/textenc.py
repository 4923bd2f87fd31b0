"""Text normalisation, matching keys and legacy Vietnamese encodings (TCVN3, VNI-Windows).

Ward-office files are typed by many people on many machines. Three things go wrong with text:

* Unicode forms and invisible characters: decomposed (NFD / "Unicode tổ hợp") accents, NBSP,
  tabs and line breaks inside a cell, zero-width characters. :func:`normalize_text` fixes them.
* Spelling variants of headers and category names ("Số lượt người", "so luot nguoi",
  "SỐ LƯỢT NGƯỜI"). :func:`fold_key` gives one key for all of them.
* Text typed with a legacy 8-bit Vietnamese font. In an Excel cell or a CSV read as
  cp1252/latin-1 it shows up as Western letters and symbols: TCVN3 (ABC, ".VnTime") "Tæng céng",
  VNI-Windows ("VNI-Times") "Toång coäng" for "Tổng cộng". :func:`detect_legacy` recognises it by
  decoding each candidate and counting the words that become valid Vietnamese syllables;
  :func:`fix_text` converts it, or raises :class:`LegacyEncodingError` when the text looks legacy
  but does not convert cleanly.

TCVN3 (ABC) has codes for the 67 lower-case letters but, of the upper-case ones, only
Ă Â Ê Ô Ơ Ư Đ: capitals with a tone were shown with the same codes in the ".VnTimeH" fonts. The
decoder therefore upper-cases such a letter when the rest of its word (or the whole text) is in
capitals. VNI-Windows writes a base letter followed by a mark byte ("aù" = á, "AÙ" = Á) and has
both cases.

:func:`decode_csv_bytes` reads the bytes of a CSV file: UTF-8 (with or without BOM), UTF-16 with
BOM (Excel's "Unicode Text"), a whole file in TCVN3/VNI bytes, then Windows-1258.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from .errors import CsvEncodingError, LegacyEncodingError

__all__ = [
    "normalize_text",
    "fold_key",
    "remove_diacritics",
    "is_vietnamese_syllable",
    "decode_tcvn3",
    "encode_tcvn3",
    "decode_vni",
    "encode_vni",
    "detect_legacy",
    "fix_text",
    "decode_csv_bytes",
    "LegacyEncodingError",
    "CsvEncodingError",
    "VIETNAMESE_LETTERS",
]

# ---------------------------------------------------------------------------- normalisation

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u2060"), None)
_SPACES = re.compile(r"\s+")


def normalize_text(value: str) -> str:
    """NFC, zero-width characters removed, whitespace runs (NBSP, tabs, newlines) → one space, stripped."""
    text = unicodedata.normalize("NFC", str(value)).translate(_ZERO_WIDTH)
    return _SPACES.sub(" ", text).strip()


def remove_diacritics(value: str) -> str:
    """ "Đường Trần Phú" → "Duong Tran Phu": every accent and mark removed, đ/Đ → d/D, case kept."""
    text = unicodedata.normalize("NFD", str(value))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", text.replace("đ", "d").replace("Đ", "D"))


_NOT_KEY = re.compile(r"[^a-z0-9]+")


def fold_key(value: str) -> str:
    """A matching key: lower case, no diacritics, only ``[a-z0-9]`` ("Số lượt người" → "soluotnguoi")."""
    if value.__class__ is str:
        return _fold_str(value)  # header cells and catalogue names repeat: each folded once
    return _fold(value)


def _fold(value: object) -> str:
    text = remove_diacritics(normalize_text(str(value)).lower())
    return _NOT_KEY.sub("", text)


@functools.lru_cache(maxsize=1 << 16)
def _fold_str(value: str) -> str:
    return _fold(value)


# ---------------------------------------------------------------------------- Vietnamese letters

_TONE_MARKS = {
    "": "",
    "grave": "\u0300",  # huyền
    "acute": "\u0301",  # sắc
    "hook": "\u0309",  # hỏi
    "tilde": "\u0303",  # ngã
    "dot": "\u0323",  # nặng
}
_TONE_ORDER = ("", "grave", "acute", "hook", "tilde", "dot")
_TONE_OF_MARK = {mark: name for name, mark in _TONE_MARKS.items() if mark}
_VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")


def _with_tone(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + _TONE_MARKS[tone])


def _letters(lower: bool) -> list[str]:
    out: list[str] = []
    for vowel in _VOWELS:
        base = vowel if lower else vowel.upper()
        out.extend(_with_tone(base, tone) for tone in _TONE_ORDER)
    out.append("đ" if lower else "Đ")
    return out


#: Vietnamese vowel letters with every mark (12 vowels × 6 tones) and đ, in both cases: the 134
#: letters with diacritics plus the plain a e i o u y / A E I O U Y (146 in all).
VIETNAMESE_LETTERS: frozenset[str] = frozenset(_letters(True) + _letters(False))
VN_SPECIFIC = frozenset(c for c in VIETNAMESE_LETTERS if ord(c) > 0xFF)

# ---------------------------------------------------------------------------- TCVN3 (ABC)

# One row per vowel, columns in _TONE_ORDER: unmarked, huyền, sắc, hỏi, ngã, nặng. An empty
# cell is the ASCII letter itself.
_TCVN3_ROWS = {
    "a": "\u0000\u00b5\u00b8\u00b6\u00b7\u00b9",  # µ ¸ ¶ · ¹
    "ă": "\u00a8\u00bb\u00be\u00bc\u00bd\u00c6",  # ¨ » ¾ ¼ ½ Æ
    "â": "\u00a9\u00c7\u00ca\u00c8\u00c9\u00cb",  # © Ç Ê È É Ë
    "e": "\u0000\u00cc\u00d0\u00ce\u00cf\u00d1",  # Ì Ð Î Ï Ñ
    "ê": "\u00aa\u00d2\u00d5\u00d3\u00d4\u00d6",  # ª Ò Õ Ó Ô Ö
    "i": "\u0000\u00d7\u00dd\u00d8\u00dc\u00de",  # × Ý Ø Ü Þ
    "o": "\u0000\u00df\u00e3\u00e1\u00e2\u00e4",  # ß ã á â ä
    "ô": "\u00ab\u00e5\u00e8\u00e6\u00e7\u00e9",  # « å è æ ç é
    "ơ": "\u00ac\u00ea\u00ed\u00eb\u00ec\u00ee",  # ¬ ê í ë ì î
    "u": "\u0000\u00ef\u00f3\u00f1\u00f2\u00f4",  # ï ó ñ ò ô
    "ư": "\u00ad\u00f5\u00f8\u00f6\u00f7\u00f9",  # (soft hyphen) õ ø ö ÷ ù
    "y": "\u0000\u00fa\u00fd\u00fb\u00fc\u00fe",  # ú ý û ü þ
}
_TCVN3_DECODE: dict[str, str] = {"\u00ae": "đ"}  # ®
for _vowel, _codes in _TCVN3_ROWS.items():
    for _tone, _code in zip(_TONE_ORDER, _codes, strict=True):
        if _code != "\u0000":
            _TCVN3_DECODE[_code] = _with_tone(_vowel, _tone)
# The only capitals TCVN3 has codes for.
_TCVN3_UPPER = {"\u00a1": "Ă", "\u00a2": "Â", "\u00a3": "Ê", "\u00a4": "Ô", "\u00a5": "Ơ", "\u00a6": "Ư", "\u00a7": "Đ"}
_TCVN3_DECODE.update(_TCVN3_UPPER)
_TCVN3_CASELESS = frozenset(code for code, letter in _TCVN3_DECODE.items() if letter.islower())
_TCVN3_ENCODE: dict[str, str] = {letter: code for code, letter in _TCVN3_DECODE.items()}
for _code, _letter in list(_TCVN3_DECODE.items()):
    if _letter.islower() and _letter.upper() not in _TCVN3_ENCODE:
        _TCVN3_ENCODE[_letter.upper()] = _code  # capitals with a tone: lower-case code (".VnTimeH")
# Codes that are not letters in Western text: strong evidence of TCVN3 inside a word.
_TCVN3_STRONG = frozenset("¡¢£¤¥¦§¨©ª«¬\u00ad®µ¶·¸¹»¼½¾×÷ÐÞþ")


def encode_tcvn3(text: str) -> str:
    """Unicode → TCVN3 as it shows in a cp1252 cell. Capitals with a tone get the lower-case code."""
    text = unicodedata.normalize("NFC", text)
    return "".join(_TCVN3_ENCODE.get(c, c) for c in text)


def _tcvn3_case(token: str) -> tuple[int, int]:
    upper = sum(1 for c in token if ("A" <= c <= "Z") or c in _TCVN3_UPPER)
    lower = sum(1 for c in token if "a" <= c <= "z")
    return upper, lower


def decode_tcvn3(text: str) -> str:
    """TCVN3 (ABC) text read as cp1252/latin-1 → NFC Unicode.

    A lower-case code stands for a capital when the rest of its word is in capitals (two or more
    capital letters and no small ASCII letter, or one capital that is not the first letter), or
    when the word is a single capital in a text written all in capitals.
    """
    text = unicodedata.normalize("NFC", text)
    all_upper, all_lower = _tcvn3_case(text)
    shouting = all_lower == 0 and all_upper >= 2

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        upper, lower = _tcvn3_case(token)
        first_is_cap = token[0].isupper() or token[0] in _TCVN3_UPPER
        caps = lower == 0 and (upper >= 2 or (upper == 1 and (not first_is_cap or shouting)))
        out = []
        for c in token:
            letter = _TCVN3_DECODE.get(c, c)
            if caps and c in _TCVN3_CASELESS:
                letter = letter.upper()
            out.append(letter)
        return "".join(out)

    return unicodedata.normalize("NFC", _TOKEN.sub(word, text))


# ---------------------------------------------------------------------------- VNI-Windows

_VNI_TONE = {"": "", "acute": "ù", "grave": "ø", "hook": "û", "tilde": "õ", "dot": "ï"}
_VNI_CIRCUMFLEX = {"": "â", "acute": "á", "grave": "à", "hook": "å", "tilde": "ã", "dot": "ä"}
_VNI_BREVE = {"": "ê", "acute": "é", "grave": "è", "hook": "ú", "tilde": "ü", "dot": "ë"}
_VNI_I = {"": "i", "acute": "í", "grave": "ì", "hook": "æ", "tilde": "ó", "dot": "ò"}


def _vni_pairs() -> dict[str, str]:
    """Unicode lower-case letter → VNI sequence (lower case)."""
    table: dict[str, str] = {"đ": "ñ"}
    for tone in _TONE_ORDER:
        for base in ("a", "e", "o", "u", "y"):
            table[_with_tone(base, tone)] = base + _VNI_TONE[tone]
        table[_with_tone("ơ", tone)] = "ô" + _VNI_TONE[tone]
        table[_with_tone("ư", tone)] = "ö" + _VNI_TONE[tone]
        for base, mark_base in (("â", "a"), ("ê", "e"), ("ô", "o")):
            table[_with_tone(base, tone)] = mark_base + _VNI_CIRCUMFLEX[tone]
        table[_with_tone("ă", tone)] = "a" + _VNI_BREVE[tone]
        table[_with_tone("i", tone)] = _VNI_I[tone]
    table["ỵ"] = "î"
    return table


_VNI_ENCODE_LOWER = _vni_pairs()
_VNI_ENCODE: dict[str, str] = {}
for _letter, _seq in _VNI_ENCODE_LOWER.items():
    if _seq != _letter:
        _VNI_ENCODE[_letter] = _seq
        _VNI_ENCODE[_letter.upper()] = _seq.upper()
_VNI_DECODE: dict[str, str] = {seq: letter for letter, seq in _VNI_ENCODE.items()}
# No lenient mixed-case pairs ("aÙ"): TCVN3 uses the capitals Õ, Ö, Ê… for small letters, and
# reading "yÕ" as VNI would take TCVN3 words for VNI.
_VNI_SINGLE = {k: v for k, v in _VNI_DECODE.items() if len(k) == 1}
_VNI_DOUBLE = {k: v for k, v in _VNI_DECODE.items() if len(k) == 2}
_VNI_CHARS = frozenset("".join(k for k in _VNI_DECODE if len(k) == 1) + "".join(k[1] for k in _VNI_DOUBLE))


def encode_vni(text: str) -> str:
    """Unicode → VNI-Windows as it shows in a cp1252 cell ("Tổng cộng" → "Toång coäng")."""
    text = unicodedata.normalize("NFC", text)
    return "".join(_VNI_ENCODE.get(c, c) for c in text)


def _vni_scan(text: str) -> tuple[str, int]:
    out: list[str] = []
    pairs = 0
    i = 0
    n = len(text)
    while i < n:
        two = text[i : i + 2]
        if len(two) == 2 and two in _VNI_DOUBLE:
            out.append(_VNI_DOUBLE[two])
            pairs += 1
            i += 2
            continue
        out.append(_VNI_SINGLE.get(text[i], text[i]))
        i += 1
    return "".join(out), pairs


def decode_vni(text: str) -> str:
    """VNI-Windows text read as cp1252/latin-1 → NFC Unicode."""
    return unicodedata.normalize("NFC", _vni_scan(unicodedata.normalize("NFC", text))[0])


# ---------------------------------------------------------------------------- syllables

_ONSETS = (
    "ngh", "ng", "nh", "ph", "th", "tr", "ch", "gh", "gi", "kh", "qu",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)  # fmt: skip
_CODAS = ("ng", "nh", "ch", "c", "m", "n", "p", "t", "")
_OPEN_ONLY = frozenset(
    [
        "y",
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iu",
        "oi",
        "ôi",
        "ơi",
        "ui",
        "ưi",
        "ưu",
        "ưa",
        "ua",
        "uơ",
        "oai",
        "oao",
        "oay",
        "oeo",
        "uây",
        "uôi",
        "uya",
        "uyu",
        "ươi",
        "ươu",
        "iêu",
        "yêu",
    ]
)
_OPEN_OR_CLOSED = frozenset(["a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "oa", "oe", "uê", "uy"])
_CLOSED_ONLY = frozenset(["ă", "â", "iê", "yê", "uô", "ươ", "uâ", "oă", "uyê", "oo"])
_PLAIN_LETTERS = frozenset("abcdeghiklmnopqrstuvxyăâêôơưđ")


def _valid_rhyme(onset: str, nucleus: str, coda: str, tone: str) -> bool:
    if not nucleus:
        return False
    if coda:
        if nucleus not in _OPEN_OR_CLOSED and nucleus not in _CLOSED_ONLY:
            return False
        if coda in ("ch", "nh") and nucleus not in ("a", "ê", "i", "oa", "uê", "uy"):
            return False
        if coda in ("c", "ng") and nucleus in ("i", "ê", "uy", "uê"):
            return False
        if coda in ("c", "ch", "p", "t") and tone not in ("acute", "dot"):
            return False
    elif nucleus not in _OPEN_ONLY and nucleus not in _OPEN_OR_CLOSED:
        return False
    first = nucleus[0]
    if onset in ("k", "gh", "ngh") and first not in "eêiy":
        return False
    if onset in ("c", "ng") and first in "eêiy":
        return False
    if onset == "g" and first in "eê":
        return False
    if onset == "qu" and first in "uo":
        return False
    if onset in ("c", "k") and len(nucleus) > 1 and first == "o" and nucleus[1] in "aăe":
        return False  # /kw/ is spelt "qu": "quốc", never "coác"
    return not (nucleus.startswith("yê") and onset not in ("", "qu"))


def is_vietnamese_syllable(word: str) -> bool:
    """Whether ``word`` spells one Vietnamese syllable: onset + vowel nucleus + coda, ≤ 1 tone."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in _TONE_OF_MARK]
    if len(tones) > 1:
        return False
    tone = _TONE_OF_MARK[tones[0]] if tones else ""
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_OF_MARK))
    if not base or any(c not in _PLAIN_LETTERS for c in base):
        return False
    for onset in _ONSETS:
        if not base.startswith(onset):
            continue
        rest = base[len(onset) :]
        for coda in _CODAS:
            if coda and not rest.endswith(coda):
                continue
            nucleus = rest[: len(rest) - len(coda)]
            if _valid_rhyme(onset, nucleus, coda, tone):
                return True
    return False


# ---------------------------------------------------------------------------- detection

LEGACY_CHARS = frozenset(_TCVN3_DECODE) | _VNI_CHARS
_TOKEN = re.compile("(?:[^\\W\\d_]|[" + re.escape("".join(sorted(LEGACY_CHARS))) + "])+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class _Verdict:
    encoding: str
    words: int  # words with a character of this encoding (and an ASCII letter)
    valid: int  # of these, words that decode to a Vietnamese syllable
    valid_as_is: int  # of these, words that already are Vietnamese syllables as they stand
    evidence: int  # TCVN3: non-letter codes inside words; VNI: base letter + mark pairs

    @property
    def share(self) -> float:
        return self.valid / self.words if self.words else 0.0

    @property
    def confident(self) -> bool:
        return self.words > 0 and self.share >= 0.8 and self.valid > self.valid_as_is

    @property
    def suspicious(self) -> bool:
        return self.evidence >= 2


def _plain_case(word: str) -> bool:
    """All small, all capitals or a capital first: "vƯ" is no word."""
    return word.islower() or word.isupper() or (word[:1].isupper() and (len(word) == 1 or word[1:].islower()))


def _verdicts(text: str) -> list[_Verdict]:
    tokens = [t for t in _TOKEN.findall(text) if _ASCII_LETTER.search(t)]
    verdicts = []
    for encoding in ("tcvn3", "vni"):
        words = valid = as_is = evidence = 0
        for token in tokens:
            if encoding == "tcvn3":
                if not any(c in _TCVN3_DECODE for c in token):
                    continue
                decoded = decode_tcvn3(token)
                evidence += sum(1 for c in token if c in _TCVN3_STRONG)
            else:
                if not any(c in _VNI_CHARS for c in token):
                    continue
                decoded, pairs = _vni_scan(token)
                evidence += pairs
            words += 1
            valid += _plain_case(decoded) and is_vietnamese_syllable(decoded)
            as_is += is_vietnamese_syllable(token)
        verdicts.append(_Verdict(encoding, words, valid, as_is, evidence))
    return verdicts


def _analyse(text: str) -> tuple[str | None, str | None]:
    """(the confident encoding or None, None / "ambiguous" / "invalid" when it is not confident)."""
    if not any(c in LEGACY_CHARS for c in text):
        return None, None
    if any(c in VN_SPECIFIC or unicodedata.combining(c) for c in text):
        return None, None  # real Unicode Vietnamese
    verdicts = _verdicts(text)
    confident = [v for v in verdicts if v.confident]
    if confident:
        ranked = sorted(confident, key=lambda v: (v.share, v.valid, v.evidence), reverse=True)
        first = ranked[0]
        if len(ranked) > 1 and (first.share, first.valid, first.evidence) == (
            ranked[1].share,
            ranked[1].valid,
            ranked[1].evidence,
        ):
            return None, "ambiguous"  # both read as Vietnamese equally well ("Löu")
        return first.encoding, None
    return None, "invalid" if any(v.suspicious for v in verdicts) else None


def detect_legacy(text: str) -> str | None:
    """ "tcvn3", "vni" or None: whether ``text`` is Vietnamese typed in a legacy font.

    Each candidate is decoded word by word; it wins when at least 80 % of the words that hold its
    characters become valid Vietnamese syllables, and more of them than are valid as the text
    stands (so Unicode Vietnamese written only with Latin-1 letters, "Có tên", is never taken for
    TCVN3). Text with a Vietnamese-only Unicode letter (ư, ộ, đ…) is Unicode. English and
    French-like words ("café", "Hôtel", "thé") are not flagged: they do not become Vietnamese, or
    they already are.
    """
    return _analyse(normalize_text(text))[0]


def _decode(text: str, encoding: str) -> str:
    return decode_tcvn3(text) if encoding == "tcvn3" else decode_vni(text)


def fix_text(value: str) -> tuple[str, str | None]:
    """Normalise ``value``; convert it from TCVN3/VNI when it is legacy text.

    Returns (NFC text, "tcvn3" / "vni" / None). Raises :class:`LegacyEncodingError` when the text
    looks legacy but no conversion gives valid Vietnamese.
    """
    text = normalize_text(value)
    encoding, problem = _analyse(text)
    if encoding is not None:
        return normalize_text(_decode(text, encoding)), encoding
    if problem == "ambiguous":
        shown = text if len(text) <= 60 else text[:59] + "…"
        raise LegacyEncodingError(
            text,
            f"văn bản '{shown}' có vẻ được gõ bằng phông chữ cũ nhưng không rõ là TCVN3 "
            f"('{decode_tcvn3(text)}') hay VNI ('{decode_vni(text)}'); hãy chuyển phông bằng Unikey "
            "(Công cụ chuyển mã) rồi gửi lại",
            f"the text '{shown}' seems typed in a legacy font but could be TCVN3 ('{decode_tcvn3(text)}') "
            f"or VNI ('{decode_vni(text)}'); convert it with Unikey's converter and send it again",
        )
    if problem == "invalid":
        raise LegacyEncodingError(text)
    return text, None


# ---------------------------------------------------------------------------- CSV bytes


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with.

    In order: "utf-8-sig" (BOM), "utf-16" (BOM), "utf-8"; then, for 8-bit files, "tcvn3" or "vni"
    when the bytes read as cp1252 are confidently legacy Vietnamese (the text returned is already
    converted to Unicode); last "cp1258" (its combining tone marks composed by NFC). The text is
    always NFC. Raises :class:`CsvEncodingError` when nothing fits.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return unicodedata.normalize("NFC", data.decode("utf-8-sig")), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise CsvEncodingError(data, exc.start, exc.end, "invalid UTF-8 after a UTF-8 BOM") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return unicodedata.normalize("NFC", data.decode("utf-16")), "utf-16"
        except UnicodeDecodeError as exc:
            raise CsvEncodingError(data, exc.start, exc.end, "invalid UTF-16 after a UTF-16 BOM") from None
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CsvEncodingError(data, nul, nul + 1, "NUL byte: not a text file")
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = data.decode("latin-1")
    encoding, _ = _analyse(western)
    if encoding is not None:
        return unicodedata.normalize("NFC", _decode(western, encoding)), encoding
    try:
        return unicodedata.normalize("NFC", data.decode("cp1258")), "cp1258"
    except UnicodeDecodeError as exc:
        raise CsvEncodingError(data, exc.start, exc.end, "not UTF-8 and not Windows-1258") from None
