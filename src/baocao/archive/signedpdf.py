"""The signed report (``baocao sign``) in a bag: kept beside the built PDF, checked on verify.

``build/<year>/bao-cao-<year>-ky-so.pdf`` is not an output of the build (the build's manifest
does not list it and ``reproduce`` does not compare it); the bag keeps it in ``data/report/``
when it is the built report plus signatures, and ``verify`` checks each of its signatures
(:mod:`baocao.pdfsign.checking`) against the bag's own built PDF.
"""

from __future__ import annotations

from pathlib import Path

from ..config import BuildFiles
from ..errors import BuildChangedError
from ..pdfsign.checking import PdfSignatureReport, check_pdf
from ..pdfsign.signing import signed_name
from .problems import Problem

__all__ = ["bag_signatures", "signature_lines", "signed_name", "signed_report"]


def signed_report(project, year: int) -> Path | None:
    """The year's signed PDF, if there is one; a BuildChangedError when it does not sign the
    built report as it is now (the report was rebuilt after signing)."""
    signed = project.build_dir(year) / signed_name(year)
    if not signed.is_file():
        return None
    built = (project.build_dir(year) / BuildFiles.report(year, ".pdf")).read_bytes()
    with open(signed, "rb") as fh:
        start = fh.read(len(built))
    if start != built:
        raise BuildChangedError(
            f"{project.rel(signed)} ký một bản báo cáo khác bản đã dựng hiện nay",
            f"{project.rel(signed)} signs another report than the one built now",
            hint_vi=f"ký lại: 'baocao sign --year {year} --force', hoặc chuyển tệp cũ ra khỏi build/{year}/",
            hint_en=f"sign again: 'baocao sign --year {year} --force', or move the old file out of build/{year}/",
        )
    return signed


def signature_lines(signed: Path) -> list[str]:
    """One line per signature of ``signed`` (for README.txt), or [] when there is no such file."""
    if not signed.is_file():
        return []
    return [r.line() for r in check_pdf(signed.read_bytes())]


def bag_signatures(bag_dir: Path, year: int, roots: list | None) -> tuple[list[PdfSignatureReport], list[Problem]]:
    """The bag's signed report checked against its built PDF: the reports and, for each
    signature that is broken or not trusted, a Problem."""
    report = bag_dir / "data" / "report"
    signed = report / signed_name(year)
    if not signed.is_file():
        return [], []
    built = report / BuildFiles.report(year, ".pdf")
    found = check_pdf(signed.read_bytes(), roots, built.read_bytes() if built.is_file() else None)
    rel = f"data/report/{signed.name}"
    problems = [
        Problem(
            "signature",
            rel,
            f"chữ ký số {r.name} không hợp lệ hoặc không tin cậy",
            f"PDF signature {r.name} is not valid or not trusted",
        )
        for r in found
        if not r.ok
    ]
    if not found:
        problems.append(Problem("signature", rel, "tệp không có chữ ký số", "the file holds no PDF signature"))
    return found, problems
