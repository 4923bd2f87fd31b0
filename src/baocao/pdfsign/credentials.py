"""Who signs: a certificate and its private key, from a PKCS#12 file or a PKCS#11 token.

Secrets (a PKCS#12 password, a token's PIN) come from a file given on the command line or
from a prompt that does not echo, never from an argument (which other users of the machine
can read in the process list). They stay in memory: no message, log, file or temporary file
ever holds them, and a failure names the file or token, never what was typed. The private key
of a token never leaves the token (the token signs).
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import SigningCredentialError


@dataclass(frozen=True)
class TokenSpec:
    """A PKCS#11 token: its module (the .so/.dll from the token's vendor), token label and the
    label of the key (and certificate) on it."""

    library: Path
    token_label: str | None = None
    key_label: str | None = None
    cert_label: str | None = None


def read_secret(file: Path | None, prompt: str) -> str:
    """The first line of ``file`` (without its line ending), else what the user types at a
    prompt that does not echo."""
    if file is not None:
        try:
            lines = Path(file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningCredentialError(
                f"không đọc được tệp bí mật {file} ({exc.__class__.__name__})",
                f"cannot read the secret file {file} ({exc.__class__.__name__})",
                hint_vi="tệp phải là văn bản UTF-8, mật khẩu ở dòng đầu",
                hint_en="the file must be UTF-8 text with the secret on its first line",
            ) from None
        return lines[0] if lines else ""
    try:
        return getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        raise SigningCredentialError(
            "không nhập mật khẩu/mã PIN",
            "no password or PIN was entered",
            hint_vi="nhập khi được hỏi, hoặc dùng --password-file/--pin-file",
            hint_en="type it when asked, or use --password-file/--pin-file",
        ) from None


def _bad_p12(path: Path, why_vi: str, why_en: str) -> SigningCredentialError:
    return SigningCredentialError(
        f"không dùng được tệp PKCS#12 {path}: {why_vi}",
        f"cannot use the PKCS#12 file {path}: {why_en}",
        hint_vi="kiểm tra tệp .p12/.pfx và mật khẩu (cơ quan cấp chứng thư số cung cấp)",
        hint_en="check the .p12/.pfx file and its password (from the certificate's issuer)",
    )


def pkcs12_signer(path: Path, password: str):
    """A pyHanko signer from a PKCS#12 file: the key, its certificate and the chain in it."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _bad_p12(path, f"không đọc được ({exc.strerror})", f"unreadable ({exc.strerror})") from None
    try:
        bundle = pkcs12.load_pkcs12(data, password.encode("utf-8") if password else None)
    except ValueError:
        raise _bad_p12(path, "sai mật khẩu hoặc tệp hỏng", "wrong password or a damaged file") from None
    if bundle.key is None or bundle.cert is None:
        raise _bad_p12(path, "không có khóa riêng và chứng thư", "it holds no private key and certificate")
    key = asn1_keys.PrivateKeyInfo.load(bundle.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()))
    cert = asn1_x509.Certificate.load(bundle.cert.certificate.public_bytes(Encoding.DER))
    chain = [asn1_x509.Certificate.load(c.certificate.public_bytes(Encoding.DER)) for c in bundle.additional_certs]
    return SimpleSigner(signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs(chain))


@contextlib.contextmanager
def token_signer(spec: TokenSpec, pin: str) -> Iterator[object]:
    """A pyHanko signer on a PKCS#11 token, with the session open while it is used."""
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    hint = dict(
        hint_vi="kiểm tra đường dẫn thư viện PKCS#11 của token, nhãn token, nhãn khóa và mã PIN",
        hint_en="check the token's PKCS#11 library path, the token label, the key label and the PIN",
    )
    if not Path(spec.library).is_file():
        raise SigningCredentialError(
            f"không có thư viện PKCS#11 {spec.library}", f"no PKCS#11 library at {spec.library}", **hint
        )
    try:
        session = open_pkcs11_session(
            str(spec.library), token_criteria=TokenCriteria(label=spec.token_label), user_pin=pin
        )
    except Exception as exc:  # python-pkcs11 raises its own classes, one per CKR_ code
        raise SigningCredentialError(
            f"không mở được token {spec.token_label or ''} ({exc.__class__.__name__})",
            f"cannot open the token {spec.token_label or ''} ({exc.__class__.__name__})",
            **hint,
        ) from None
    try:
        try:
            signer = PKCS11Signer(session, key_label=spec.key_label, cert_label=spec.cert_label or spec.key_label)
            signer.signing_cert  # noqa: B018 - fetched now, so a wrong label is named here
        except Exception as exc:
            raise SigningCredentialError(
                f"token không có khóa/chứng thư nhãn '{spec.key_label}' ({exc.__class__.__name__})",
                f"the token has no key/certificate labelled '{spec.key_label}' ({exc.__class__.__name__})",
                **hint,
            ) from None
        yield signer
    finally:
        session.close()


def signer_name(cert) -> str:
    """The certificate subject's common name (or its whole name): who signed."""
    try:
        return str(cert.subject.native.get("common_name") or cert.subject.human_friendly)
    except (AttributeError, ValueError):
        return ""


def signer_organisation(cert) -> str:
    try:
        return str(cert.subject.native.get("organization_name") or "")
    except (AttributeError, ValueError):
        return ""
