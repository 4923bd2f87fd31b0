"""`baocao sign` and `baocao verify` of a signed PDF (issue 25): PAdES with pyHanko, from a
PKCS#12 file and from a real PKCS#11 token (SoftHSM2), checked with pyHanko's validation and
poppler's pdfsig; the NĐ 30 appearance in the signature block; PDF/A kept; the archive."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import re
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader

from tests.conftest import run_cli, sample_build
from tests.pki import NOW, issue, make_ca, write_p12, write_pem

pytestmark = pytest.mark.e2e

PASSWORD = "mật-khẩu-bí-mật-7319"
PIN = "246810"
SOFTHSM = next(
    (
        p
        for p in ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
        if Path(p).is_file()
    ),
    None,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca = make_ca()
    signer = issue(ca)
    seal = issue(ca, "Ủy ban MTTQ Việt Nam phường Bình Ngọc")
    (d / "pw.txt").write_text(PASSWORD + "\n", encoding="utf-8")
    return {
        "dir": d,
        "ca": ca,
        "signer": signer,
        "ca_pem": write_pem(d / "ca.pem", ca),
        "other_pem": write_pem(d / "other.pem", make_ca("Another Root CA")),
        "p12": write_p12(d / "signer.p12", signer, ca, PASSWORD),
        "seal_p12": write_p12(d / "seal.p12", seal, ca, PASSWORD),
        "pw": d / "pw.txt",
    }


@pytest.fixture()
def project(tmp_path_factory, tmp_path) -> Path:
    """A copy of the sample project with 2023 built (pandoc), of this test's own."""
    built = sample_build(tmp_path_factory, "pandoc")
    dest = tmp_path / "binh-ngoc"
    shutil.copytree(built, dest, ignore=shutil.ignore_patterns(".2023.staging*", ".lock*"))
    return dest


def sign(project: Path, pki, *extra: str, p12: str = "p12", check: bool = True):
    return run_cli(
        "sign", "--year", "2023", "--p12", str(pki[p12]), "--password-file", str(pki["pw"]), *extra,
        cwd=project, check=check,
    )  # fmt: skip


def signed(project: Path) -> Path:
    return project / "build" / "2023" / "bao-cao-2023-ky-so.pdf"


def pdfsig(path: Path) -> str:
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler's pdfsig is not installed (.ci/run installs poppler-utils)")
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


def test_sign_with_p12_and_images_is_valid_intact_and_the_built_report(project, pki):
    proc = sign(project, pki)
    assert "bao-cao-2023-ky-so.pdf" in proc.stdout and "PAdES B-B" in proc.stdout
    assert PASSWORD not in proc.stdout + proc.stderr
    built = (project / "build/2023/bao-cao-2023.pdf").read_bytes()
    data = signed(project).read_bytes()
    assert data.startswith(built) and len(data) > len(built)  # an incremental update, byte for byte
    ok = run_cli("verify", str(signed(project)), "--trust", str(pki["ca_pem"]), cwd=project)
    assert "chain trusted" in ok.stdout and "the signed revision is the built report" in ok.stdout
    assert "Khổng Minh Nguyên" in ok.stdout
    out = pdfsig(signed(project))
    assert "Signature is Valid." in out and "Total document signed" in out
    assert "Khổng Minh Nguyên" in out


def test_a_forced_rebuild_keeps_the_signed_copy(project, pki):
    """`build --force` remakes every output of the year; the committee's signed copy is not one
    of them and stays, still the signature of the report built again (the same bytes)."""
    sign(project, pki)
    before = signed(project).read_bytes()
    run_cli("build", "--year", "2023", "--renderer", "pandoc", "--force", cwd=project)
    assert signed(project).read_bytes() == before
    ok = run_cli("verify", str(signed(project)), "--trust", str(pki["ca_pem"]), cwd=project)
    assert "the signed revision is the built report" in ok.stdout


def test_the_appearance_sits_in_the_signature_block(project, pki):
    sign(project, pki)
    reader = PdfReader(signed(project))
    widgets = [
        (page, a.get_object())
        for page in reader.pages
        for a in page.get("/Annots", [])
        if a.get_object().get("/FT") == "/Sig"
    ]
    assert len(widgets) == 1
    page, widget = widgets[0]
    x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
    lines: dict[str, float] = {}  # the baseline of each line of the signature block, from the bottom

    def visit(text, cm, tm, _font, _size):
        if text.strip() in ("CHỦ TỊCH", "Khổng Minh Nguyên"):
            lines[text.strip()] = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]  # the text matrix in page space

    page.extract_text(visitor_text=visit)
    assert set(lines) == {"CHỦ TỊCH", "Khổng Minh Nguyên"}  # the block's page
    width = float(page.mediabox.width)
    # right column, centred between the signer's title and name wherever the block falls on its
    # page (the seal over the signature's left third may reach over both lines, as a seal does)
    middle = (y0 + y1) / 2
    assert width / 2 - 20 < x0 < x1 < width - 30, (x0, x1)
    assert lines["Khổng Minh Nguyên"] < middle < lines["CHỦ TỊCH"] and y1 - y0 > 30, ((y0, y1), lines)
    assert int(widget["/F"]) & 4  # printed
    # PDF/A-2b declaration kept, and Info and XMP agree on the modification date
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfaid:part(="|>)2', xmp) and re.search(r'pdfaid:conformance(="|>)B', xmp)


def test_text_stamp_embeds_its_font(project, pki):
    sign(project, pki, "--appearance", "text")
    fonts = subprocess.run(["pdffonts", str(signed(project))], capture_output=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert any("LiberationSerif" in r[0] for r in rows)
    assert all(r[-5] == "yes" for r in rows), fonts  # emb column: every font embedded


def test_a_changed_byte_is_caught(project, pki):
    sign(project, pki)
    data = bytearray(signed(project).read_bytes())
    at = data.find(b"BT", 2000)  # inside the signed bytes, in a content stream
    data[at + 3] ^= 0x01
    signed(project).write_bytes(bytes(data))
    bad = run_cli("verify", str(signed(project)), cwd=project, check=False)
    assert bad.returncode == 1 and "NOT intact" in bad.stdout
    out = pdfsig(signed(project))
    assert "Signature is Valid." not in out


@pytest.mark.parametrize(
    "window,indication",
    [
        ((NOW - dt.timedelta(days=400), NOW - dt.timedelta(days=1)), "the certificate expired"),
        ((NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=400)), "the certificate is not yet valid"),
    ],
    ids=["expired", "not-yet-valid"],
)
def test_expired_or_not_yet_valid_certificate_is_not_trusted(project, pki, window, indication):
    who = issue(pki["ca"], not_before=window[0], not_after=window[1])
    p12 = write_p12(pki["dir"] / f"{indication[-7:]}.p12", who, pki["ca"], PASSWORD)
    sign(project, {**pki, "p12": p12})
    res = run_cli("verify", str(signed(project)), "--trust", str(pki["ca_pem"]), cwd=project, check=False)
    assert res.returncode == 1 and "chain NOT trusted" in res.stdout
    assert indication in res.stdout


def test_a_chain_to_another_root_is_not_trusted(project, pki):
    sign(project, pki)
    res = run_cli("verify", str(signed(project)), "--trust", str(pki["other_pem"]), cwd=project, check=False)
    assert res.returncode == 1 and "chain NOT trusted" in res.stdout
    assert run_cli("verify", str(signed(project)), cwd=project).returncode == 0  # intact, trust not judged


def test_seal_after_the_signer_is_a_second_valid_signature(project, pki):
    sign(project, pki, "--appearance", "signature")
    first = signed(project).read_bytes()
    again = sign(project, pki, check=False)
    assert again.returncode == 2 and "--add" in again.stderr  # never overwrites a signed file silently
    sign(project, pki, "--appearance", "seal", "--add", p12="seal_p12")
    assert signed(project).read_bytes().startswith(first)
    res = run_cli("verify", str(signed(project)), "--trust", str(pki["ca_pem"]), cwd=project)
    assert res.stdout.count("chain trusted") == 2
    out = pdfsig(signed(project))
    assert out.count("Signature is Valid.") == 2 and "Ủy ban MTTQ Việt Nam phường Bình Ngọc" in out


def test_wrong_password_is_a_usage_error_without_the_secret(project, pki, tmp_path):
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("sai-mat-khau-5521\n", encoding="utf-8")
    res = run_cli(
        "sign", "--year", "2023", "--p12", str(pki["p12"]), "--password-file", str(wrong), cwd=project, check=False
    )
    assert res.returncode == 2 and "wrong password" in res.stderr
    assert "sai-mat-khau-5521" not in res.stdout + res.stderr
    assert not signed(project).exists()


def test_archive_keeps_the_signed_report_and_verify_checks_it(project, pki):
    sign(project, pki)
    run_cli("archive", "--year", "2023", cwd=project)
    bag = project / "archive" / "binh-ngoc-2023"
    assert (bag / "data/report/bao-cao-2023-ky-so.pdf").read_bytes() == signed(project).read_bytes()
    assert "bao-cao-2023-ky-so.pdf" in (bag / "README.txt").read_text(encoding="utf-8")
    assert "bao-cao-2023-ky-so.pdf" in (bag / "data/ro-crate-metadata.json").read_text(encoding="utf-8")
    manifest = (bag / "data/report/manifest.json").read_text(encoding="utf-8")
    assert "ky-so" not in manifest  # not an output of the build: reproduce compares the built report
    res = run_cli("verify", str(project / "archive/binh-ngoc-2023.zip"), "--trust", str(pki["ca_pem"]), cwd=project)
    assert "the signed revision is the built report" in res.stdout
    bad = run_cli("verify", str(bag), "--trust", str(pki["other_pem"]), cwd=project, check=False)
    assert bad.returncode == 1 and "SIGNATURE" in bad.stdout
    with zipfile.ZipFile(project / "archive/binh-ngoc-2023.zip") as z:
        for name in z.namelist():
            assert PASSWORD.encode("utf-8") not in z.read(name)


# ---------------------------------------------------------------------------- PKCS#11: SoftHSM2
@pytest.fixture()
def token(tmp_path, pki):
    """A real PKCS#11 token: SoftHSM2 with the signer's key and certificate on it."""
    if SOFTHSM is None or shutil.which("softhsm2-util") is None or shutil.which("pkcs11-tool") is None:
        pytest.skip("SoftHSM2 and OpenSC are not installed (.ci/run installs softhsm2 and opensc)")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {"SOFTHSM2_CONF": str(conf)}
    import os

    run_env = {**os.environ, **env}
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "baocao-test", "--so-pin", "0000", "--pin", PIN],
        check=True, capture_output=True, env=run_env,
    )  # fmt: skip
    key = tmp_path / "key.pem"
    key.write_bytes(
        pki["signer"].key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    subprocess.run(
        ["softhsm2-util", "--import", str(key), "--token", "baocao-test", "--label", "chu-tich", "--id", "01", "--pin", PIN],
        check=True, capture_output=True, env=run_env,
    )  # fmt: skip
    key.unlink()
    cert = tmp_path / "cert.der"
    cert.write_bytes(pki["signer"].cert.public_bytes(serialization.Encoding.DER))
    subprocess.run(
        ["pkcs11-tool", "--module", SOFTHSM, "--token-label", "baocao-test", "--login", "--pin", PIN,
         "--write-object", str(cert), "--type", "cert", "--label", "chu-tich", "--id", "01"],
        check=True, capture_output=True, env=run_env,
    )  # fmt: skip
    (tmp_path / "pin.txt").write_text(PIN + "\n", encoding="utf-8")
    return env, tmp_path / "pin.txt"


def test_sign_with_a_pkcs11_token(project, pki, token):
    env, pin_file = token
    args = ["sign", "--year", "2023", "--pkcs11-lib", SOFTHSM, "--token-label", "baocao-test"]
    args += ["--key-label", "chu-tich", "--pin-file", str(pin_file)]
    proc = run_cli(*args, cwd=project, env=env)
    assert "Khổng Minh Nguyên" in proc.stdout and PIN not in proc.stdout + proc.stderr
    res = run_cli("verify", str(signed(project)), "--trust", str(pki["ca_pem"]), cwd=project)
    assert "chain trusted" in res.stdout
    assert "Signature is Valid." in pdfsig(signed(project))
    bad_pin = pin_file.parent / "bad-pin.txt"
    bad_pin.write_text("999999\n", encoding="utf-8")
    wrong = run_cli(*args[:-1], str(bad_pin), "--force", cwd=project, env=env, check=False)
    assert wrong.returncode == 2 and "999999" not in wrong.stdout + wrong.stderr


# ---------------------------------------------------------------------------- B-T: a local TSA
@pytest.fixture()
def tsa(pki):
    """A time-stamp server on localhost (RFC 3161 over HTTP), answering with pyHanko's test TSA."""
    from asn1crypto import keys, tsp, x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    who = issue(pki["ca"], "Baocao Test TSA", tsa=True)
    stamper = DummyTimeStamper(
        tsa_cert=x509.Certificate.load(who.cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(
            who.key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            req = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(req).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_b_t_with_a_time_stamp_server(project, pki, tsa):
    proc = sign(project, pki, "--tsa", tsa)
    assert "PAdES B-T" in proc.stdout
    res = run_cli("verify", str(signed(project)), "--trust", str(pki["ca_pem"]), cwd=project)
    assert "time stamp:" in res.stdout and "chain trusted" in res.stdout
    assert "Signature is Valid." in pdfsig(signed(project))
    assert io.BytesIO  # (the response is read by pyHanko's requests client)
