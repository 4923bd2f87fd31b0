"""Check a signed PDF as an office's reader does: each signature, with pyHanko's validation.

For every signature: is it intact (the signed bytes unchanged, the signature itself valid),
who signed, when (the signer's claimed time, and the time stamp's when there is one), does
its certificate chain lead to a trust root (``--trust CA.pem``; not judged without one), and
is the signed revision the built report: the built PDF is the start of the signed bytes, byte
for byte, and whatever was added after it is what signing adds (pyHanko's difference analysis).
No network is used: certificates are judged from the file and the roots given.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from . import quiet_pyhanko
from .appearance import VN_TIME


@dataclass(frozen=True)
class PdfSignatureReport:
    name: str  # the signature field
    intact: bool
    signer: str
    when: dt.datetime | None
    timestamp: dt.datetime | None
    trusted: bool | None  # None: no --trust given
    trust_note: str  # why not trusted / to which root
    built_report: bool | None  # None: no built report to compare with
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.intact and self.trusted is not False and self.built_report is not False

    def line(self) -> str:
        def iso(t: dt.datetime | None) -> str:
            return t.astimezone(VN_TIME).replace(microsecond=0).isoformat() if t else "?"

        state = "nguyên vẹn / intact" if self.intact else "KHÔNG nguyên vẹn / NOT intact"
        parts = [f"người ký / signer: {self.signer}", f"lúc / at: {iso(self.when)}"]
        if self.timestamp:
            parts.append(f"dấu thời gian / time stamp: {iso(self.timestamp)}")
        if self.trusted is None:
            parts.append("chuỗi chứng thư: chưa kiểm (thêm --trust CA.pem) / chain: not checked (add --trust CA.pem)")
        elif self.trusted:
            parts.append(f"chuỗi chứng thư tin cậy / chain trusted: {self.trust_note}")
        else:
            parts.append(f"chuỗi chứng thư KHÔNG tin cậy / chain NOT trusted: {self.trust_note}")
        if self.built_report is True:
            parts.append("bản được ký là báo cáo đã dựng / the signed revision is the built report")
        elif self.built_report is False:
            parts.append("bản được ký KHÔNG phải báo cáo đã dựng / the signed revision is NOT the built report")
        label = "CHỮ KÝ SỐ / PDF SIGNATURE" if self.ok else "CHỮ KÝ SỐ LỖI / BAD PDF SIGNATURE"
        return f"{label} {self.name}: {state}; " + "; ".join(parts + self.problems)


def load_roots(paths: list[Path]) -> list:
    """Trust roots from PEM or DER files (each may hold several PEM certificates)."""
    from asn1crypto import pem, x509

    roots = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
            if pem.detect(data):
                roots += [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
            else:
                roots.append(x509.Certificate.load(data))
                roots[-1].native  # noqa: B018 - parsed now, so a bad file is named here
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(
                f"--trust {path}: không đọc được chứng thư gốc ({exc.__class__.__name__})",
                f"--trust {path}: cannot read the root certificate ({exc.__class__.__name__})",
                hint_vi="đưa tệp chứng thư CA dạng PEM hoặc DER",
                hint_en="give the CA certificate as a PEM or DER file",
            ) from None
    return roots


def _context(roots: list | None):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=roots or [], allow_fetching=False, revocation_mode="soft-fail")


def _trust_note(status, trusted: bool) -> str:
    if trusted:
        path = status.validation_path
        root = path.trust_anchor.authority.name if path is not None else None
        return str(getattr(root, "human_friendly", "") or "")
    cert = status.signing_cert
    at = status.signer_reported_dt or dt.datetime.now(dt.UTC)
    valid = cert["tbs_certificate"]["validity"]
    if at > valid["not_after"].native:
        return f"chứng thư đã hết hạn / the certificate expired ({valid['not_after'].native.date().isoformat()})"
    if at < valid["not_before"].native:
        return f"chứng thư chưa có hiệu lực / the certificate is not yet valid ({valid['not_before'].native.date().isoformat()})"
    indic = status.trust_problem_indic
    return str(getattr(indic, "name", "") or "không có chuỗi tới gốc đã cho / no chain to the roots given")


def _report(sig, status, roots: list | None, built: bytes | None) -> PdfSignatureReport:
    from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel

    from .credentials import signer_name

    intact = bool(status.intact and status.valid)
    trusted = None if roots is None else bool(intact and status.trusted)
    problems = []
    whole = status.coverage in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
    benign = status.modification_level in (None, ModificationLevel.NONE, ModificationLevel.LTA_UPDATES,
                                           ModificationLevel.FORM_FILLING)  # fmt: skip
    if not (whole and benign):
        problems.append("tệp bị sửa sau khi ký / the file was changed after signing")
    built_report = None
    if built is not None:
        signed = sig.reader.stream
        signed.seek(0)
        start = signed.read(len(built))
        built_report = start == built and sig.byte_range[0] == 0
    ts = status.timestamp_validity.timestamp if status.timestamp_validity is not None else None
    return PdfSignatureReport(
        name=str(sig.field_name),
        intact=intact and not problems,
        signer=signer_name(status.signing_cert),
        when=status.signer_reported_dt,
        timestamp=ts,
        trusted=trusted,
        trust_note=_trust_note(status, bool(trusted)) if roots is not None else "",
        built_report=built_report,
        problems=problems,
    )


def check_pdf(data: bytes, roots: list | None = None, built: bytes | None = None) -> list[PdfSignatureReport]:
    """One report per signature of the PDF ``data`` (empty: not signed). ``roots``: trust
    roots (None: trust not judged); ``built``: the built report the first revision must be."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError) as exc:
        return [PdfSignatureReport("?", False, "?", None, None, None, "", None, [f"PDF hỏng / damaged PDF: {exc}"])]
    found = []
    with quiet_pyhanko():
        for sig in signatures:
            found.append(_check_one(sig, roots, built))
    return found


def _check_one(sig, roots: list | None, built: bytes | None) -> PdfSignatureReport:
    from pyhanko.sign.validation import validate_pdf_signature

    try:
        status = validate_pdf_signature(sig, _context(roots), _context(roots))
    except Exception as exc:  # a damaged signature: pyHanko's errors, asn1crypto's parse errors
        why = f"{exc.__class__.__name__}: {exc}"
        return PdfSignatureReport(str(sig.field_name), False, "?", None, None, None, "", None, [why])
    return _report(sig, status, roots, built)
