"""One finding about a bag or zip: what kind, which file, why (Vietnamese and English)."""

from __future__ import annotations

from dataclasses import dataclass

LABELS = {
    "changed": "SAI LỆCH / CHANGED",
    "missing": "THIẾU / MISSING",
    "extra": "THỪA / EXTRA",
    "unsafe": "KHÔNG AN TOÀN / UNSAFE",
    "unreadable": "KHÔNG ĐỌC ĐƯỢC / UNREADABLE",
    "invalid": "KHÔNG HỢP LỆ / INVALID",
    "inconsistent": "KHÔNG KHỚP / INCONSISTENT",
    "too-large": "QUÁ LỚN / TOO LARGE",
    "signature": "CHỮ KÝ / SIGNATURE",
}


@dataclass(frozen=True)
class Problem:
    kind: str  # a key of LABELS
    path: str  # the file, relative to the bag (or the zip entry as written)
    vi: str
    en: str

    def line(self) -> str:
        return f"{LABELS[self.kind]}  {self.path}: {self.vi} / {self.en}"


def digests_differ(path: str, algorithms: list[str]) -> Problem:
    """A file whose contents no longer match the digests its manifest lists for it."""
    listed = ", ".join(algorithms)
    return Problem(
        "changed", path, f"nội dung đã bị thay đổi ({listed} không khớp)", f"contents changed ({listed} mismatch)"
    )
