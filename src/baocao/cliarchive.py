"""The archivist's commands: ``archive``, ``verify``, ``reproduce`` and ``keygen``. Their work
is in :mod:`baocao.archive`; this module holds their command-line side (part of the CLI, which
owns every command; nothing outside the CLI imports it)."""

from __future__ import annotations

import time
from pathlib import Path

from .cliargs import bi, command, project_of, year_value


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
    t0 = time.perf_counter()
    key = load_public_key(Path(args.key)) if getattr(args, "key", None) else None
    found = inspect(path, key=key, project_dir=getattr(args, "project", None))
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
    for add in (_add_archive, _add_verify, _add_reproduce, _add_keygen):
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
