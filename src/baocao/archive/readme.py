"""README.txt at the top of the bag: what is in it and how to check and rebuild it, in
Vietnamese and English, for someone who has never heard of baocao."""

from __future__ import annotations

from .. import __version__
from .layout import pdf_kind


def readme_text(project, year: int, meta, manifest: dict, name: str, signatures: list[str] | None = None) -> str:
    """The README; ``signatures``: one line per PDF signature of the signed report the bag
    holds (``data/report/bao-cao-<year>-ky-so.pdf``), if any."""
    text = _readme(project, year, meta, manifest, name) + _signed_section(year, signatures or [])
    return text + _members_section(project, year, manifest)


def _members_section(project, year: int, manifest: dict) -> str:
    """An aggregate unit's bag (baocao.aggregate): where its members' bags are, how to rebuild it."""
    unit = project.unit
    if not unit.is_aggregate:
        return ""
    folder = f"data/raw/{unit.id}/{year}/"
    bags = sorted(rel for rel in manifest.get("inputs", {}) if rel.startswith(folder) and rel.endswith(".zip"))
    renderer = manifest.get("parameters", {}).get("renderer", "pandoc")
    listed = "\n".join(f"  data/source/{rel}" for rel in bags) or "  (không có / none)"
    return f"""
Báo cáo tổng hợp / a compiled report: {unit.name} tổng hợp từ báo cáo của {len(unit.members)} đơn vị
thành viên. Túi báo cáo của từng đơn vị, đúng từng byte như đã nhận, nằm trong túi này ({len(bags)} túi);
không có sổ tay hay số liệu đã làm sạch. / Compiled from its {len(unit.members)} members' reports; each
member's bag, byte for byte as received, is inside this bag ({len(bags)} bags); there are no notebooks
and no cleaned data.
{listed}
Dựng lại / rebuild: trong / in data/source/: baocao build --unit {unit.id} --year {year} --renderer {renderer}
  (hoặc / or: baocao reproduce, như trên / as above)
"""


def _signed_section(year: int, signatures: list[str]) -> str:
    if not signatures:
        return ""
    lines = "\n".join(f"  {line}" for line in signatures)
    return f"""
Báo cáo đã ký số / the signed report: data/report/bao-cao-{year}-ky-so.pdf
  (PAdES: bao-cao-{year}.pdf từng byte, cộng phần ký / the built PDF byte for byte, plus the signatures)
{lines}
  Kiểm tra / check: baocao verify data/report/bao-cao-{year}-ky-so.pdf --trust CA.pem  (hoặc / or pdfsig)
"""


def _readme(project, year: int, meta, manifest: dict, name: str) -> str:
    unit = project.unit
    tools = manifest.get("tools", {})
    renderer = manifest.get("parameters", {}).get("renderer", "pandoc")
    versions = ", ".join(f"{k} {v}" for k, v in sorted(tools.items()))
    commit = manifest.get("git_commit") or "(không có / none)"
    pdf_vi, pdf_en = pdf_kind(manifest)
    return f"""\
{name}: Báo cáo tổng kết công tác Mặt trận năm {year} / {year} year-end report
{unit.name}, số {meta.number}/{unit.symbol}, ngày {meta.date.isoformat()}

=== Tiếng Việt ===

Đây là một túi lưu trữ BagIt (RFC 8493). Mọi tệp nằm trong thư mục data/; mã băm SHA-256 và
SHA-512 của từng tệp ghi trong manifest-sha256.txt và manifest-sha512.txt.

Nội dung:
  data/report/              báo cáo bao-cao-{year}.html, .pdf ({pdf_vi}) và .docx (Word), văn bản đã soạn .qmd,
                            metrics.json (mọi con số trong báo cáo), figures/ (biểu đồ),
                            manifest.json (mã băm của mọi đầu vào, đầu ra; phiên bản công cụ)
  data/processed/           số liệu đã làm sạch (CSV), rejects.csv (các dòng bị loại và lý do)
  data/notebooks/executed/  sổ tay đã chạy: ghi lại việc làm sạch, tính toán năm {year}
  data/source/              nguồn để dựng lại: số liệu gốc data/raw/ (năm {year} và các năm so sánh),
                            danh mục data/reference/, sổ tay notebooks/, mẫu báo cáo report/,
                            baocao.yml, _quarto.yml, requirements.lock
  data/ro-crate-metadata.json  RO-Crate: sổ tay nào tạo số liệu nào từ nguồn nào, báo cáo từ đâu,
                            do đơn vị nào, ngày nào

Kiểm tra tính nguyên vẹn:
  baocao verify {name}.zip        (hoặc: baocao verify {name}/)
  hoặc không cần baocao: bagit.py --validate {name}/   hay   cd {name} && sha256sum -c manifest-sha256.txt
  Túi có baocao-signature.txt là túi đã ký: baocao verify {name}.zip --key KHÓA_CÔNG_KHAI.pub
  kiểm chữ ký bằng khóa công khai của đơn vị (lấy từ đơn vị, không lấy từ nơi gửi túi).

Dựng lại và so sánh từng tệp:
  baocao reproduce {name}.zip
  (từ chối nếu sổ tay, mẫu hay bộ lọc trong túi khác bản baocao cài ở máy; chỉ thêm --trust-bag-code
  khi tin nguồn gốc của túi, vì mã của túi sẽ chạy trên máy)
  hoặc tự làm: cài Python 3.11, pip install --only-binary=:all: -r data/source/requirements.lock,
  cài baocao {manifest.get("baocao_version", __version__)}, rồi trong data/source/ chạy
  baocao build --year {year} --renderer {renderer}
  Kết quả chỉ giống từng byte khi dùng đúng các phiên bản công cụ ghi dưới đây.

=== English ===

This is a BagIt bag (RFC 8493). Every file is under data/; the SHA-256 and SHA-512 of each
are listed in manifest-sha256.txt and manifest-sha512.txt.

Contents:
  data/report/              the report bao-cao-{year}.html, .pdf ({pdf_en}) and .docx (Word), the composed .qmd,
                            metrics.json (every number the report states), figures/,
                            manifest.json (hashes of every input and output; tool versions)
  data/processed/           the cleaned data (CSV) and rejects.csv (rejected rows and why)
  data/notebooks/executed/  the executed notebooks: the record of cleaning and analysis for {year}
  data/source/              what the report is rebuilt from: raw data data/raw/ ({year} and the
                            years it compares with), data/reference/, notebooks/, report/ templates,
                            baocao.yml, _quarto.yml, requirements.lock
  data/ro-crate-metadata.json  RO-Crate provenance: which notebooks made which data from which
                            sources, and which report from those, by which organisation, on which date

Verify: baocao verify {name}.zip  (or bagit.py --validate {name}/, or sha256sum -c manifest-sha256.txt)
  A bag with baocao-signature.txt is signed: baocao verify {name}.zip --key PUBLIC.pub checks it
  with the unit's public key (get it from the unit, not from whoever sent the bag).
Rebuild and compare every file: baocao reproduce {name}.zip
  (refused when the bag's notebooks, templates or filters differ from the installed baocao's; add
  --trust-bag-code only if you trust where the bag comes from: its code will run on your machine)
  By hand: Python 3.11, pip install --only-binary=:all: -r data/source/requirements.lock,
  install baocao {manifest.get("baocao_version", __version__)}, then in data/source/ run
  baocao build --year {year} --renderer {renderer}
  Outputs are byte-identical only with the tool versions below.

Built with / dựng bằng: {versions}
Git commit: {commit}
"""
