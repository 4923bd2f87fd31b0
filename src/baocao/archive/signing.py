"""An anchor outside the bag: an Ed25519 signature over its tag manifests.

A bag's manifests prove only that its files agree with each other: whoever edits a file can
recompute them. A signature made with a key the committee keeps elsewhere ties the bag to
that key. ``baocao archive --sign KEY`` writes ``baocao-signature.txt``, a tag file that
records the SHA-256 and SHA-512 of ``tagmanifest-sha256.txt`` and ``tagmanifest-sha512.txt``
(which hash every other tag file, which hash every payload file) and an Ed25519 signature
(RFC 8032, deterministic: the same bag and key give the same bytes) over those lines.
``baocao verify PATH --key PUB`` checks it.

Key files (``baocao keygen``), UTF-8 text: a few ``Name: value`` lines (``Signer``,
``Fingerprint``), then a PEM block: PKCS#8 ``PRIVATE KEY`` (unencrypted; the file is written
with mode 0600) or SubjectPublicKeyInfo ``PUBLIC KEY``; OpenSSL reads both
(``openssl pkey -in baocao-signing.key -noout -text``). The fingerprint is the SHA-256 of the
32-byte raw public key, written ``sha256:<64 hex>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SigningKeyError
from .layout import SIGNATURE_NAME, hashes, writes_to
from .problems import Problem

PRIVATE_NAME = "baocao-signing.key"
PUBLIC_NAME = "baocao-signing.pub"
FORMAT = "1"
SIGNED_FILES = (("tagmanifest-sha256.txt", "sha256"), ("tagmanifest-sha512.txt", "sha512"))


# ---------------------------------------------------------------------------- keys
@dataclass(frozen=True)
class KeyFile:
    key: Any  # Ed25519PrivateKey or Ed25519PublicKey
    signer: str
    fingerprint: str
    path: Path


def fingerprint(public_key) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _header(text: str, path: Path | None = None) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.split("-----BEGIN", 1)[0].splitlines():
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            if key in fields and path is not None:
                raise _key_error(
                    path,
                    f"dòng '{name.strip()}:' có hai lần ('{fields[key]}' và '{value.strip()}')",
                    f"the '{name.strip()}:' line is given twice ('{fields[key]}' and '{value.strip()}')",
                )
            fields[key] = value.strip()
    return fields


def _claims(path: Path, text: str, public_key) -> str:
    """The file's ``Signer:``, once its stated ``Fingerprint:`` is checked against its key: a
    file that states another key's fingerprint (or states one twice) is refused, since a
    person reads those lines, not the PEM block."""
    fields = _header(text, path)
    actual = fingerprint(public_key)
    stated = fields.get("fingerprint")
    if stated is not None and stated != actual:
        raise _key_error(
            path,
            f"tệp ghi dấu vân tay {stated} nhưng khóa trong tệp có dấu vân tay {actual}: "
            "tệp khóa đã bị sửa hoặc ghép từ hai khóa",
            f"the file states the fingerprint {stated} but its key's fingerprint is {actual}: "
            "the key file was edited or put together from two keys",
        )
    return fields.get("signer", "")


def _key_error(path: Path, vi: str, en: str) -> SigningKeyError:
    return SigningKeyError(
        f"khóa {path}: {vi}",
        f"key {path}: {en}",
        hint_vi="tạo cặp khóa bằng 'baocao keygen'; --sign cần khóa bí mật (.key), --key cần khóa công khai (.pub)",
        hint_en="make a key pair with 'baocao keygen'; --sign takes the private key (.key), "
        "--key the public key (.pub)",
    )


def _read_key_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _key_error(path, "không tìm thấy tệp", "the file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _key_error(path, f"không đọc được ({exc})", f"cannot be read ({exc})") from None


def load_private_key(path: Path) -> KeyFile:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    text = _read_key_text(path)
    if "PRIVATE KEY-----" not in text:
        raise _key_error(
            path, "không phải khóa bí mật (có lẽ là khóa công khai?)", "not a private key (the public one?)"
        )
    try:
        key = serialization.load_pem_private_key(text.encode("utf-8"), password=None)
    except TypeError:
        raise _key_error(
            path,
            "khóa đã mã hóa bằng mật khẩu; baocao chỉ đọc khóa không mã hóa",
            "the key is encrypted with a passphrase; baocao reads unencrypted keys only",
        ) from None
    except ValueError as exc:
        raise _key_error(path, f"không đọc được khóa PEM ({exc})", f"not a readable PEM key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _key_error(path, "không phải khóa Ed25519", "not an Ed25519 key")
    if os.name == "posix" and path.stat().st_mode & 0o077:
        print(
            f"CẢNH BÁO / WARNING: {path} người khác đọc được / is readable by others: chmod 600 {path}", file=sys.stderr
        )
    return KeyFile(key, _claims(path, text, key.public_key()), fingerprint(key.public_key()), path)


def load_public_key(path: Path) -> KeyFile:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    path = Path(path)
    text = _read_key_text(path)
    if "PRIVATE KEY-----" in text:
        raise _key_error(
            path,
            "đây là khóa BÍ MẬT: --key cần khóa công khai (.pub); đừng gửi khóa bí mật đi",
            "this is the PRIVATE key: --key takes the public key (.pub); do not hand the private one out",
        )
    try:
        key = serialization.load_pem_public_key(text.encode("utf-8"))
    except ValueError as exc:
        raise _key_error(path, f"không đọc được khóa PEM ({exc})", f"not a readable PEM key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise _key_error(path, "không phải khóa Ed25519", "not an Ed25519 key")
    return KeyFile(key, _claims(path, text, key), fingerprint(key), path)


def _write_new(path: Path, text: str, mode: int) -> None:
    """Write ``path`` whole or not at all, never over an existing file; ``mode`` from the start."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        try:
            os.link(tmp, path)  # fails if path exists: a key is never overwritten
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if path.exists():
                raise
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def keygen(out_dir: Path, signer: str = "") -> tuple[Path, Path, str]:
    """A new Ed25519 key pair in ``out_dir``: (private key, public key, fingerprint)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    out_dir = Path(out_dir)
    private, public = out_dir / PRIVATE_NAME, out_dir / PUBLIC_NAME
    for p in (private, public):
        if p.exists():
            raise SigningKeyError(
                f"{p} đã có: không ghi đè một khóa",
                f"{p} exists: a key is never overwritten",
                hint_vi="chọn thư mục khác với --out, hoặc tự chuyển khóa cũ đi",
                hint_en="choose another --out, or move the old key away yourself",
            )
    signer = " ".join(signer.split())
    key = Ed25519PrivateKey.generate()
    fp = fingerprint(key.public_key())
    head = (f"Signer: {signer}\n" if signer else "") + f"Fingerprint: {fp}\n"
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    with writes_to(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_new(
            private,
            "baocao Ed25519 signing key: PRIVATE, keep it secret / khóa ký: BÍ MẬT, giữ kín\n" + head + private_pem,
            0o600,
        )
        _write_new(
            public,
            "baocao Ed25519 public key: give it to whoever verifies / khóa công khai: "
            "đưa cho người kiểm tra\n" + head + public_pem,
            0o644,
        )
    return private, public, fp


# ---------------------------------------------------------------------------- signing
def _statement(bag_dir: Path, key: KeyFile) -> str:
    lines = [f"baocao-signature: {FORMAT}", "Algorithm: Ed25519", f"Key-Fingerprint: {key.fingerprint}"]
    if key.signer:
        lines.append(f"Signer: {key.signer}")
    for name, alg in SIGNED_FILES:
        lines.append(f"Signed-File: {name} {alg} {hashes(bag_dir / name, (alg,))[alg]}")
    return "".join(line + "\n" for line in lines)


def sign_bag(bag_dir: Path, key: KeyFile) -> Path:
    """Write the signature tag file (after the tag manifests, which it signs)."""
    statement = _statement(bag_dir, key)
    signature = base64.b64encode(key.key.sign(statement.encode("utf-8"))).decode("ascii")
    path = bag_dir / SIGNATURE_NAME
    path.write_text(statement + f"Signature: {signature}\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- checking
@dataclass
class SignatureStatus:
    state: str  # "unsigned" | "unchecked" | "valid" | "invalid"
    signer: str = ""  # the key file's signer when checked, else the name the bag claims
    fingerprint: str = ""
    problems: list[Problem] = field(default_factory=list)

    def line(self) -> str:
        who = f"{self.signer} " if self.signer else ""
        if self.state == "unsigned":
            return (
                "Chưa ký / unsigned: túi không có chữ ký; tính nguyên vẹn chỉ dựa vào manifest của chính nó "
                "/ the bag carries no signature; its integrity rests on its own manifests alone"
            )
        if self.state == "unchecked":
            return (
                f"Đã ký nhưng CHƯA KIỂM / signed but NOT checked: {who}(khóa / key {self.fingerprint}); "
                f"kiểm bằng / check with --key KHÓA_CÔNG_KHAI.pub"
            )
        if self.state == "valid":
            return f"Chữ ký hợp lệ / signature valid: ký bởi / signed by {who}(khóa / key {self.fingerprint})"
        return "Chữ ký KHÔNG hợp lệ / signature INVALID (xem các dòng trên / see the lines above)"


def _bad(vi: str, en: str) -> Problem:
    return Problem("signature", SIGNATURE_NAME, vi, en)


def _parse(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]], str, str] | None:
    """(fields, signed files, signed statement, base64 signature), or None when malformed."""
    statement, sep, last = text.rpartition("Signature: ")
    if not sep or not statement.endswith("\n") or not last.endswith("\n"):
        return None
    fields, signed = {}, []
    for line in statement.splitlines():
        name, sep, value = line.partition(": ")
        if not sep:
            return None
        if name == "Signed-File":
            parts = value.split()
            if len(parts) != 3:
                return None
            signed.append((parts[0], parts[1], parts[2]))
        else:
            fields[name] = value
    if fields.get("baocao-signature") != FORMAT or fields.get("Algorithm") != "Ed25519":
        return None
    return fields, signed, statement, last.strip()


def _signed_files_problems(bag_dir: Path, signed: list[tuple[str, str, str]]) -> list[Problem]:
    names = {name for name, _, _ in signed}
    problems = [_bad(f"{name} không được ký", f"{name} is not signed") for name, _ in SIGNED_FILES if name not in names]
    for name, alg, digest in signed:
        p = bag_dir / name
        if (name, alg) not in SIGNED_FILES:
            problems.append(_bad(f"ký một tệp lạ {name!r}", f"signs an unexpected file {name!r}"))
        elif not p.is_file():
            problems.append(_bad(f"{name} đã ký nhưng không còn trong túi", f"{name} was signed but is gone"))
        elif hashes(p, (alg,))[alg] != digest:
            problems.append(_bad(f"{name} đã bị thay đổi sau khi ký", f"{name} changed after signing"))
    return problems


def unsigned_status(public: KeyFile | None) -> SignatureStatus:
    """A bag without a signature file: unsigned, and invalid when a key was given to check it."""
    if public is None:
        return SignatureStatus("unsigned")
    return SignatureStatus(
        "invalid",
        problems=[
            _bad(
                "túi chưa được ký: không có gì để kiểm bằng --key", "the bag is not signed: nothing to check with --key"
            )
        ],
    )


def check_signature(bag_dir: Path, public: KeyFile | None = None) -> SignatureStatus:
    """The bag's signature: absent, present but unchecked (no key given), valid or invalid."""
    from cryptography.exceptions import InvalidSignature

    path = bag_dir / SIGNATURE_NAME
    if not path.is_file():
        return unsigned_status(public)
    parsed = _parse(path.read_text(encoding="utf-8", errors="replace"))
    if parsed is None:
        return SignatureStatus("invalid", problems=[_bad("tệp chữ ký sai dạng", "the signature file is malformed")])
    fields, signed, statement, signature = parsed
    claimed = fields.get("Key-Fingerprint", "")
    problems = _signed_files_problems(bag_dir, signed)
    if public is None:
        return SignatureStatus("invalid" if problems else "unchecked", fields.get("Signer", ""), claimed, problems)
    if claimed != public.fingerprint:
        problems.append(
            _bad(
                f"ký bằng khóa khác ({claimed}), không phải khóa đã cho ({public.fingerprint})",
                f"signed with another key ({claimed}), not the one given ({public.fingerprint})",
            )
        )
    else:
        try:
            public.key.verify(base64.b64decode(signature, validate=True), statement.encode("utf-8"))
        except (InvalidSignature, binascii.Error, ValueError):
            problems.append(
                _bad("chữ ký không khớp với khóa đã cho", "the signature does not verify with the key given")
            )
    signed_by = fields.get("Signer", "")
    if not problems and public.signer and signed_by and public.signer != signed_by:
        problems.append(
            _bad(
                f"túi được ký với tên '{signed_by}' nhưng tệp khóa công khai ghi tên '{public.signer}'",
                f"the bag was signed as '{signed_by}' but the public key file names '{public.signer}'",
            )
        )
    if problems:
        return SignatureStatus("invalid", public.signer, public.fingerprint, problems)
    return SignatureStatus("valid", public.signer or signed_by, public.fingerprint)
