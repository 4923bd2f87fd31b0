"""The archivist's commands: ``archive``, ``verify``, ``reproduce``, ``keygen`` and ``sign``. Their
work is in :mod:`baocao.archive` and :mod:`baocao.pdfsign`; this module holds their command-line side (part of the CLI, which
owns every command; nothing outside the CLI imports it)."""

from __future__ import annotations

import time
from pathlib import Path

from .cliargs import APPEARANCES, bi, command, project_of, year_value


def _unitproject_of(args):
    """The project, narrowed to ``--unit`` when one is given."""
    project = project_of(args)
    unit = getattr(args, "unit", None)
    return project.for_unit(unit) if unit else project


def cmd_archive(args) -> int:
    from .archive import human_size, load_private_key, make_archive

    project = _unitproject_of(args)
    year = args.year or project.unit.default_year
    key = load_private_key(Path(args.sign)) if getattr(args, "sign", None) else None
    print(f"[{year}] Đóng gói lưu trữ / archiving …")
    res = make_archive(project, year, Path(args.out) if args.out else None, key=key)
    print(
        f"[{year}] Túi BagIt / bag: {project.rel(res.bag_dir)} ({res.files} tệp / files, "
        f"{human_size(res.payload_bytes)} dữ liệu / payload) trong {res.seconds:.1f} s"
    )
    if key is not None:
        who = f"{key.signer} " if key.signer else ""
        print(f"[{year}] Đã ký / signed: {who}(khóa / key {key.fingerprint})")
    print("Tệp đã tạo / files produced:")
    print(f"  {project.rel(res.bag_dir)}/")
    print(f"  {project.rel(res.zip_path)} ({human_size(res.zip_bytes)})")
    return 0


def cmd_verify(args) -> int:
    """Exit 0 when intact (and, with --key, signed by that key); 1 when not, with one line per
    problem. An intact bag's signature state and its code that differs from the installed
    project are stated too, as information."""
    from .archive import BagDamagedError, load_public_key
    from .archive.verification import inspect

    path = Path(args.path)
    roots = _trust_roots(args)
    if path.suffix.lower() == ".pdf" and path.is_file():
        return _verify_pdf(path, roots)
    t0 = time.perf_counter()
    key = load_public_key(Path(args.key)) if getattr(args, "key", None) else None
    found = inspect(path, key=key, project_dir=getattr(args, "project", None), roots=roots)
    for report in found.pdf_signatures:
        print(report.line())
    if found.problems:  # stdout: one line per problem, nothing else
        for p in found.problems:
            print(p.line())
        raise BagDamagedError(path, found.problems)
    if found.holds:
        print(found.holds)
    if found.name_warning:
        print(found.name_warning)
    if found.code:
        print(
            f"Thông tin / note: mã trong túi khác với dự án cài ở đây / the bag's code differs from the "
            f"installed project ({found.reference or 'không tìm thấy / none found'}); "
            f"'reproduce' sẽ từ chối nếu không có --trust-bag-code / will refuse without --trust-bag-code:"
        )
        for diff in found.code:
            print(diff.line())
    if found.signature is not None:
        print(found.signature.line())
    print(
        f"Nguyên vẹn / intact: {path} (sha256 + sha512 khớp mọi tệp / match every file; "
        f"{time.perf_counter() - t0:.1f} s)"
    )
    return 0


def _trust_roots(args) -> list | None:
    from .pdfsign.checking import load_roots

    given = getattr(args, "trust", None)
    return load_roots([Path(t) for t in given]) if given else None


def _verify_pdf(path: Path, roots: list | None) -> int:
    """A signed PDF: one line per signature; exit 1 when one is broken, or not trusted with
    --trust. The built report it should start with is the ``bao-cao-<year>.pdf`` beside it."""
    from .errors import PdfSignatureInvalid
    from .pdfsign.checking import check_pdf
    from .pdfsign.signing import SIGNED_SUFFIX

    built = path.with_name(path.name[: -len(SIGNED_SUFFIX)] + ".pdf") if path.name.endswith(SIGNED_SUFFIX) else None
    found = check_pdf(path.read_bytes(), roots, built.read_bytes() if built and built.is_file() else None)
    for report in found:
        print(report.line())
    bad = [r for r in found if not r.ok]
    if not found:
        print(f"CHỮ KÝ SỐ / PDF SIGNATURE: {path} không có chữ ký số / holds no PDF signature")
    if bad or not found:
        raise PdfSignatureInvalid(path, len(bad) or 1)
    print(f"Nguyên vẹn / intact: {path} ({len(found)} chữ ký số hợp lệ / valid PDF signature(s))")
    return 0


def cmd_sign(args) -> int:
    """Sign the built PDF (PAdES) with a PKCS#12 file or a PKCS#11 token."""
    from .pdfsign.credentials import TokenSpec, pkcs12_signer, read_secret, token_signer
    from .pdfsign.signing import SignRequest, sign_with

    project = _unitproject_of(args)
    year = args.year or project.unit.default_year

    def opt(name: str) -> Path | None:
        value = getattr(args, name, None)
        return Path(value) if value else None

    req = SignRequest(
        year=year,
        out=opt("out"),
        add=args.add,
        force=args.force,
        appearance=args.appearance,
        signature_image=opt("signature_image"),
        seal_image=opt("seal_image"),
        tsa=args.tsa,
    )
    print(f"[{year}] Ký số báo cáo PDF / signing the PDF report …")
    if args.p12:
        password = read_secret(opt("password_file"), "Mật khẩu tệp PKCS#12 / PKCS#12 password: ")
        res = sign_with(project, req, pkcs12_signer(Path(args.p12), password))
    else:
        spec = TokenSpec(Path(args.pkcs11_lib), args.token_label, args.key_label, args.cert_label)
        pin = read_secret(opt("pin_file"), "Mã PIN của token / token PIN: ")
        with token_signer(spec, pin) as signer:
            res = sign_with(project, req, signer)
    level = "PAdES B-T" if res.timestamped else "PAdES B-B"
    print(
        f"[{year}] Đã ký / signed: {res.signer}, {res.when.replace(microsecond=0).isoformat()} "
        f"({level}, trường / field {res.field}, trang / page {res.page}, hình / appearance: {res.appearance})"
    )
    print("Tệp đã tạo / files produced:")
    print(f"  {project.rel(res.path)}")
    return 0


def cmd_reproduce(args) -> int:
    from .archive import ReproduceMismatchError, reproduce

    res = reproduce(
        Path(args.path),
        keep=getattr(args, "keep", False),
        trust_bag_code=getattr(args, "trust_bag_code", False),
        project_dir=getattr(args, "project", None),
    )
    total = len(res.identical) + len(res.different) + len(res.missing) + len(res.new)
    if not res.ok:
        bad = res.different + res.missing + res.new
        raise ReproduceMismatchError(
            f"dựng lại năm {res.year}: {len(bad)}/{total} tệp khác bản lưu trữ: {', '.join(bad)}",
            f"rebuilding {res.year}: {len(bad)}/{total} file(s) differ from the archive: {', '.join(bad)}",
            hint_vi="so sánh phiên bản công cụ ở cảnh báo trên (nếu có); dùng --keep để giữ bản dựng lại mà xem",
            hint_en="compare the tool versions warned about above (if any); --keep keeps the rebuild to inspect",
        )
    print(
        f"Dựng lại khớp hoàn toàn / reproduced exactly: {len(res.identical)}/{total} tệp giống hệt / files "
        f"identical ({res.seconds:.1f} s)"
    )
    return 0


def cmd_keygen(args) -> int:
    from .archive import keygen

    private, public, fingerprint = keygen(Path(args.out or "."), args.name or "")
    print(f"Khóa ký Ed25519 / Ed25519 signing key: {fingerprint}")
    print(f"  {private}  BÍ MẬT, chỉ người ký giữ / PRIVATE, the signer alone keeps it (0600)")
    print(f"  {public}  công khai, đưa cho người kiểm tra / public, for whoever verifies")
    print("Tệp đã tạo / files produced:")
    print(f"  {private}")
    print(f"  {public}")
    return 0


def add_archive_commands(sub) -> None:
    """``archive``, ``verify``, ``reproduce`` and ``keygen`` (the archive package holds the work)."""
    for add in (_add_archive, _add_verify, _add_reproduce, _add_keygen, _add_sign):
        add(sub)


def _add_archive(sub) -> None:
    p = command(
        sub,
        "archive",
        "đóng gói bản dựng của một năm cùng nguồn của nó thành túi BagIt và tệp .zip",
        "pack a year's build and its sources into a BagIt bag and a .zip",
    )
    p.add_argument(
        "--year",
        type=year_value,
        metavar="NĂM/YEAR",
        help=bi(
            "năm cần đóng gói (mặc định: default_year trong baocao.yml)",
            "the year (default: default_year in baocao.yml)",
        ),
    )
    p.add_argument(
        "--out",
        metavar="THƯ_MỤC/DIR",
        help=bi(
            "nơi ghi túi và tệp zip (mặc định: <dự án>/archive/)",
            "where the bag and zip go (default: <project>/archive/)",
        ),
    )
    p.add_argument(
        "--unit",
        metavar="MÃ/ID",
        help=bi("một đơn vị của baocao.yml nhiều đơn vị", "one unit of a multi-unit baocao.yml"),
    )
    p.add_argument(
        "--sign",
        metavar="KHÓA/KEY",
        help=bi(
            "ký túi bằng khóa riêng Ed25519 này (tạo bằng baocao keygen)",
            "sign the bag with this Ed25519 private key (made by baocao keygen)",
        ),
    )
    p.set_defaults(func=cmd_archive)


def _add_verify(sub) -> None:
    p = command(
        sub,
        "verify",
        "kiểm tra một túi (thư mục hoặc .zip); mỗi tệp hỏng một dòng",
        "check a bag folder or its .zip; one line per damaged file",
    )
    p.add_argument("path", metavar="ĐƯỜNG_DẪN/PATH", help=bi("thư mục túi hoặc tệp .zip", "bag folder or .zip"))
    p.add_argument(
        "--key",
        metavar="KHÓA_CÔNG_KHAI/PUB",
        help=bi(
            "kiểm chữ ký của túi bằng khóa công khai này (mã 1 nếu sai)",
            "check the bag's signature with this public key (exit 1 if not)",
        ),
    )
    p.add_argument(
        "--trust",
        action="append",
        metavar="CA.pem",
        help=bi(
            "chứng thư gốc (CA) để kiểm chuỗi chứng thư của chữ ký số PDF (mã 1 nếu không tin cậy); lặp lại được",
            "a root (CA) certificate to check the PDF signatures' chains against (exit 1 if not trusted); repeatable",
        ),
    )
    p.set_defaults(func=cmd_verify)


def _add_reproduce(sub) -> None:
    p = command(
        sub,
        "reproduce",
        "dựng lại một năm đã lưu trữ từ nguồn trong túi rồi so sánh từng tệp",
        "rebuild an archived year from the bag's own sources and compare every file",
    )
    p.add_argument("path", metavar="ĐƯỜNG_DẪN/PATH", help=bi("thư mục túi hoặc tệp .zip", "bag folder or .zip"))
    p.add_argument(
        "--keep", action="store_true", help=bi("giữ thư mục dựng lại tạm thời", "keep the temporary rebuild folder")
    )
    p.add_argument(
        "--trust-bag-code",
        action="store_true",
        help=bi(
            "chạy sổ tay, mẫu và bộ lọc của túi kể cả khi khác bản cài ở máy",
            "run the bag's notebooks, templates and filters even where they differ from the installed project",
        ),
    )
    p.set_defaults(func=cmd_reproduce)


def _add_keygen(sub) -> None:
    p = command(
        sub, "keygen", "tạo cặp khóa Ed25519 để ký các bản lưu trữ", "make an Ed25519 key pair for signing archives"
    )
    p.add_argument(
        "--out",
        metavar="THƯ_MỤC/DIR",
        help=bi("nơi ghi hai tệp khóa (mặc định: thư mục hiện tại)", "where the two key files go (default: here)"),
    )
    p.add_argument(
        "--name",
        metavar="NGƯỜI_KÝ/SIGNER",
        help=bi("ai ký bằng khóa này, ví dụ tên Ban Thường trực", "who signs with it, e.g. the committee's name"),
    )
    p.set_defaults(func=cmd_keygen)


def _add_sign(sub) -> None:
    p = command(
        sub,
        "sign",
        "ký số báo cáo PDF đã dựng (PAdES) bằng chứng thư số của đơn vị: tệp PKCS#12 hoặc token PKCS#11",
        "sign the built PDF report (PAdES) with the unit's certificate: a PKCS#12 file or a PKCS#11 token",
    )
    p.add_argument("--year", type=year_value, metavar="NĂM/YEAR", help=bi("năm cần ký", "the year to sign"))
    p.add_argument("--unit", metavar="MÃ/ID", help=bi("một đơn vị của baocao.yml nhiều đơn vị", "one unit"))
    p.add_argument(
        "--out",
        metavar="TỆP/FILE",
        help=bi(
            "tệp PDF đã ký (mặc định build/<năm>/bao-cao-<năm>-ky-so.pdf)",
            "the signed PDF (default: build/<year>/bao-cao-<year>-ky-so.pdf)",
        ),
    )
    _add_sign_credentials(p)
    p.add_argument(
        "--tsa", metavar="URL", help=bi("máy chủ dấu thời gian (PAdES B-T)", "a time-stamp server (PAdES B-T)")
    )
    p.add_argument(
        "--signature-image",
        metavar="PNG",
        help=bi("ảnh chữ ký (PNG nền trong suốt)", "the signature image (PNG, transparent)"),
    )
    p.add_argument(
        "--seal-image",
        metavar="PNG",
        help=bi("ảnh con dấu (PNG nền trong suốt, màu đỏ)", "the seal image (PNG, transparent, red)"),
    )
    p.add_argument(
        "--appearance",
        type=APPEARANCES,
        metavar=APPEARANCES.metavar,
        help=bi(
            "hình hiện trên văn bản: ảnh chữ ký và con dấu, một trong hai, hay dòng chữ (mặc định: ảnh có sẵn, không thì chữ)",
            "what shows on the page: signature and seal images, one of them, or a text stamp (default: the images given, else text)",
        ),
    )
    p.add_argument(
        "--add",
        action="store_true",
        help=bi(
            "ký thêm vào tệp đã ký (ví dụ con dấu của cơ quan sau chữ ký)",
            "add a signature to the signed file (e.g. the seal after the signer's)",
        ),
    )
    p.add_argument(
        "--force",
        action="store_true",
        help=bi("ký lại từ báo cáo đã dựng, thay tệp đã ký", "sign the built report again, replacing the signed file"),
    )
    p.set_defaults(func=cmd_sign)


def _add_sign_credentials(p) -> None:
    """Who signs: a PKCS#12 file and its password, or a PKCS#11 token, its labels and PIN."""
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--p12", metavar="TỆP/FILE", help=bi("tệp chứng thư số PKCS#12 (.p12/.pfx)", "a PKCS#12 file (.p12/.pfx)")
    )
    who.add_argument(
        "--pkcs11-lib",
        metavar="THƯ_VIỆN/LIB",
        help=bi(
            "thư viện PKCS#11 của token (.so/.dll của nhà cung cấp)",
            "the token's PKCS#11 library (the vendor's .so/.dll)",
        ),
    )
    p.add_argument(
        "--password-file",
        metavar="TỆP/FILE",
        help=bi(
            "đọc mật khẩu PKCS#12 ở dòng đầu tệp này (không thì hỏi)",
            "read the PKCS#12 password from this file's first line (else asked)",
        ),
    )
    p.add_argument("--token-label", metavar="NHÃN/LABEL", help=bi("nhãn token", "the token's label"))
    p.add_argument("--key-label", metavar="NHÃN/LABEL", help=bi("nhãn khóa trên token", "the key's label on the token"))
    p.add_argument(
        "--cert-label",
        metavar="NHÃN/LABEL",
        help=bi("nhãn chứng thư (mặc định như khóa)", "the certificate's label (default: the key's)"),
    )
    p.add_argument(
        "--pin-file",
        metavar="TỆP/FILE",
        help=bi(
            "đọc mã PIN ở dòng đầu tệp này (không thì hỏi)", "read the PIN from this file's first line (else asked)"
        ),
    )
