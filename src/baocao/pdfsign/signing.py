"""``baocao sign``: the built PDF, signed as PAdES by the committee's certificate.

The signed file (``build/<year>/bao-cao-<year>-ky-so.pdf``) is the built report, byte for
byte, followed by one incremental update per signature (PAdES baseline B-B; B-T with a time
stamp from ``--tsa``). The built report is never altered. ``--add`` signs the signed file
again: the organisation's seal after the signer's signature, as Nghị định 30 sets out.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from ..config import BuildFiles, Project
from ..errors import PdfSigningError, UsageError
from . import appearance as look
from .block import find_block
from .credentials import signer_name, signer_organisation

SIGNED_SUFFIX = "-ky-so.pdf"
FIELD_PREFIX = "ChuKySo"
META_KEY = "ky_so"  # in thong-tin-bao-cao.yml: anh_chu_ky, anh_con_dau (paths from the project)
FONT = "LiberationSerif-Regular.ttf"


def signed_name(year: int) -> str:
    """``bao-cao-<year>-ky-so.pdf``: beside the built report, not one of the build's outputs."""
    return BuildFiles.report(year, SIGNED_SUFFIX)


@dataclass(frozen=True)
class SignRequest:
    year: int
    out: Path | None = None
    add: bool = False  # sign the signed file again (e.g. the seal after the signer)
    force: bool = False  # start again from the built report, replacing a signed file
    appearance: str | None = None  # look.MODES; None: the images there are, else text
    signature_image: Path | None = None
    seal_image: Path | None = None
    tsa: str | None = None


@dataclass(frozen=True)
class SignResult:
    path: Path
    field: str
    signer: str
    page: int  # 1-based
    appearance: str
    timestamped: bool
    when: dt.datetime


def built_pdf(project: Project, year: int) -> Path:
    """The built report, checked against the build's manifest: what is signed is what was built."""
    import hashlib
    import json

    pdf = project.build_dir(year) / BuildFiles.report(year, ".pdf")
    manifest = project.manifest_path(year)
    if not pdf.is_file() or not manifest.is_file():
        raise UsageError(
            f"chưa có bản dựng PDF năm {year} ({project.rel(pdf)})",
            f"there is no built PDF for {year} ({project.rel(pdf)})",
            hint_vi=f"dựng trước: 'baocao build --year {year}'",
            hint_en=f"build it first: 'baocao build --year {year}'",
        )
    recorded = json.loads(manifest.read_text(encoding="utf-8")).get("outputs", {}).get(pdf.name)
    if recorded != hashlib.sha256(pdf.read_bytes()).hexdigest():
        raise PdfSigningError(
            f"{project.rel(pdf)} không khớp manifest.json của bản dựng: không ký",
            f"{project.rel(pdf)} does not match the build's manifest.json: not signing it",
            hint_vi=f"dựng lại: 'baocao build --year {year}'",
            hint_en=f"rebuild: 'baocao build --year {year}'",
        )
    return pdf


def images_from_meta(project: Project, year: int) -> tuple[Path | None, Path | None]:
    """(signature image, seal image) named under ``ky_so:`` in the year's thong-tin-bao-cao.yml,
    relative to the project folder; (None, None) when not given."""
    from ..narrative import META_FILE
    from ..yamlfile import load_yaml

    path = project.raw_dir(year) / META_FILE
    data = load_yaml(path, text=True) if path.is_file() else None
    section = data.get(META_KEY) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        return None, None

    def at(key: str) -> Path | None:
        value = section.get(key)
        if not isinstance(value, str) or not value.strip():
            return None
        p = Path(value.strip())
        return p if p.is_absolute() else project.root / p

    return at("anh_chu_ky"), at("anh_con_dau")


def _source_and_out(project: Project, req: SignRequest) -> tuple[Path, Path]:
    built = built_pdf(project, req.year)
    out = Path(req.out) if req.out else project.build_dir(req.year) / signed_name(req.year)
    if req.add:
        if not out.is_file():
            raise UsageError(
                f"--add: chưa có tệp đã ký {project.rel(out)}",
                f"--add: there is no signed file {project.rel(out)} yet",
                hint_vi="ký lần đầu không có --add",
                hint_en="sign the first time without --add",
            )
        return out, out
    if out.exists() and not req.force:
        raise UsageError(
            f"đã có tệp đã ký {project.rel(out)}",
            f"the signed file {project.rel(out)} already exists",
            hint_vi="thêm chữ ký (con dấu) vào tệp đó bằng --add; ký lại từ đầu bằng --force",
            hint_en="add a signature (the seal) to it with --add; start again with --force",
        )
    if out.resolve() == built.resolve():
        raise UsageError(
            "--out không được trùng báo cáo đã dựng",
            "--out must not be the built report itself",
            hint_vi="",
            hint_en="",
        )
    return built, out


def _mode(req: SignRequest, signature, seal) -> str:
    if req.appearance:
        return req.appearance
    if signature is not None and seal is not None:
        return "both"
    if signature is not None:
        return "signature"
    return "seal" if seal is not None else "text"


def _field_name(reader) -> str:
    from pyhanko.sign.fields import enumerate_sig_fields

    taken = {name for name, _, _ in enumerate_sig_fields(reader)}
    n = 1
    while f"{FIELD_PREFIX}{n}" in taken:
        n += 1
    return f"{FIELD_PREFIX}{n}"


def _style(project: Project, req: SignRequest, block, cert, when: dt.datetime):
    """(mode, field box, pyHanko stamp style) of the signature to be made."""
    sig_path, seal_path = images_from_meta(project, req.year)
    sig_path, seal_path = req.signature_image or sig_path, req.seal_image or seal_path
    signature = look.open_png(sig_path, "ảnh chữ ký", "signature image") if sig_path else None
    seal = look.open_png(seal_path, "ảnh con dấu", "seal image") if seal_path else None
    mode = _mode(req, signature, seal)
    if mode == "text":
        lines = look.stamp_lines(signer_name(cert), signer_organisation(cert) or project.unit.name, when)
        return mode, look.text_rect(block), look.text_style(lines, project.report_dir / "fonts" / FONT)
    drawn = look.image_appearance(block, signature, seal, mode)
    return mode, drawn.box, look.image_style(drawn.picture)


def sign_with(project: Project, req: SignRequest, signer) -> SignResult:
    """Sign with a pyHanko ``signer`` (see :mod:`.credentials`) and write the signed file."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pypdf import PdfReader

    from ..atomic import write_bytes
    from ..narrative import load_meta

    source, out = _source_and_out(project, req)
    original = source.read_bytes()
    meta = load_meta(project, req.year)
    block = find_block(
        PdfReader(io.BytesIO(original)),
        [meta.signer_on_behalf, meta.signer_title],
        meta.signer_name,
        project.report_dir / "fonts",
    )
    when = dt.datetime.now(look.VN_TIME)
    mode, box, style = _style(project, req, block, signer.signing_cert, when)
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    name = _field_name(writer.prev)
    timestamper = None
    if req.tsa:
        from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

        timestamper = RequestsHTTPTimeStamper(req.tsa, timeout=30)
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name=name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES),
        signer=signer,
        timestamper=timestamper,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=name, on_page=block.page, box=(int(box.x0), int(box.y0), int(box.x1), int(box.y1))
        ),
    )
    try:
        signed = pdf_signer.sign_pdf(writer, output=io.BytesIO()).getvalue()
    except Exception as exc:  # pyHanko's SigningError, a token's or the TSA's errors
        raise PdfSigningError(
            f"không ký được: {exc.__class__.__name__}: {exc}",
            f"signing failed: {exc.__class__.__name__}: {exc}",
            hint_vi="kiểm tra chứng thư số, token và máy chủ dấu thời gian (--tsa)",
            hint_en="check the certificate, the token and the time-stamp server (--tsa)",
        ) from None
    if not signed.startswith(original):  # pragma: no cover - pyHanko writes incremental updates
        raise PdfSigningError("tệp ký không giữ nguyên bản gốc", "the signed file does not keep the original")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(out, signed)
    return SignResult(out, name, signer_name(signer.signing_cert), block.page + 1, mode, bool(req.tsa), when)
