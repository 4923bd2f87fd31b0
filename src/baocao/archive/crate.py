"""RO-Crate metadata: which notebooks made which data from which sources, and which report
from those, by which organisation, on which date (RELIABILITY §1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .. import __version__
from .layout import CRATE_NAME, files, pdf_kind

_FORMATS = {
    ".html": "text/html", ".pdf": "application/pdf", ".qmd": "text/markdown", ".md": "text/markdown",
    ".csv": "text/csv", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
    ".ipynb": "application/x-ipynb+json", ".yml": "application/yaml", ".yaml": "application/yaml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel", ".txt": "text/plain", ".lock": "text/plain",
    ".j2": "text/x-jinja2", ".typ": "text/x-typst", ".css": "text/css", ".lua": "text/x-lua",
    ".ttf": "font/ttf", ".otf": "font/otf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def write_crate(payload: Path, manifest: dict, project, meta) -> Path:
    """ro-crate-metadata.json at the payload root: files, organisation, tools, and four
    CreateActions (clean, analyze, compose, render) linking sources → data → report."""
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    year = manifest["year"]
    unit = project.unit
    date = meta.date.isoformat()
    crate = ROCrate()
    crate.name = f"Báo cáo tổng kết công tác Mặt trận năm {year} – {unit.name}"
    crate.description = (
        f"Báo cáo tổng kết năm {year} của {unit.name}, số {meta.number}/{unit.symbol}, ngày {date}, "
        f"cùng số liệu gốc, số liệu đã xử lý và sổ tay tính toán đã tạo ra nó. / The {year} year-end report "
        f"of {unit.name} with the source data, processed data and notebooks that produced it."
    )
    crate.datePublished = date  # RELIABILITY §1: never "now"
    crate.root_dataset["identifier"] = f"{meta.number}/{unit.symbol}"
    crate.root_dataset["inLanguage"] = "vi"

    org = crate.add(ContextEntity(crate, f"#{unit.id}", properties={
        "@type": "Organization", "name": unit.name,
        "address": ", ".join(x for x in (unit.ward, unit.city, unit.province) if x),
    }))
    crate.creator = org
    crate.publisher = org
    baocao_app, tools = _software(crate, manifest)
    entities = _file_entities(crate, payload)
    _describe_report(entities, year, date, org, manifest)
    for ident, name, instrument, obj, result in _actions(entities, manifest, baocao_app, tools):
        crate.add_action(
            [i for i in instrument if i is not None], identifier=ident, object=obj, result=result,
            properties={"@type": "CreateAction", "name": name, "agent": org, "endTime": date},
        )
    crate.add(ContextEntity(crate, "#build-parameters", properties={
        "@type": "PropertyValue", "name": "build parameters",
        "value": json.dumps(manifest.get("parameters", {}), sort_keys=True, ensure_ascii=False),
    }))
    crate.metadata.write(payload)
    return payload / CRATE_NAME


def _software(crate, manifest: dict):
    """baocao itself and every tool the manifest names (but the renderer's name)."""
    from rocrate.model.contextentity import ContextEntity

    baocao_app = crate.add(ContextEntity(crate, "#baocao", properties={
        "@type": "SoftwareApplication", "name": "baocao", "version": manifest.get("baocao_version", __version__),
    }))
    tools = {}
    for tool, version in sorted(manifest.get("tools", {}).items()):
        if tool in ("baocao", "renderer"):
            continue
        tools[tool] = crate.add(ContextEntity(crate, f"#tool-{re.sub(r'[^A-Za-z0-9_.-]', '-', tool)}", properties={
            "@type": "SoftwareApplication", "name": tool, "version": str(version),
        }))
    return baocao_app, tools


def _file_entities(crate, payload: Path) -> dict:
    """One File entity per payload file (the crate's own metadata aside), by payload path."""
    entities = {}
    for p in files(payload):
        rel = p.relative_to(payload).as_posix()
        if rel == CRATE_NAME:
            continue
        props: dict[str, object] = {"name": p.name, "contentSize": str(p.stat().st_size)}
        fmt = _FORMATS.get(p.suffix.lower())
        if fmt:
            props["encodingFormat"] = fmt
        if p.suffix == ".ipynb" and rel.startswith("source/notebooks/"):
            props["@type"] = ["File", "SoftwareSourceCode"]
            props["programmingLanguage"] = "Python"
        entities[rel] = crate.add_file(p, dest_path=rel, properties=props)
    return entities


_REPORT_DESCRIPTIONS = {
    "html": "Báo cáo (HTML, một tệp, xem được không cần mạng)",
    "pdf": "Báo cáo ({pdf}, khổ A4)",
    "docx": "Báo cáo (Word .docx, khổ A4, để sửa trước khi ký)",
    "qmd": "Văn bản báo cáo đã soạn (Quarto Markdown, không chứa mã)",
}


def _describe_report(entities: dict, year: int, date: str, org, manifest: dict) -> None:
    for fmt, description in _REPORT_DESCRIPTIONS.items():
        description = description.format(pdf=pdf_kind(manifest)[0])
        entity = entities.get(f"report/bao-cao-{year}.{fmt}")
        if entity is not None:
            entity["datePublished"] = date
            entity["author"] = org
            entity["description"] = description


def _actions(entities: dict, manifest: dict, baocao_app, tools: dict) -> list[tuple]:
    """(id, name, instrument, object, result) of the four steps, as payload-path predicates."""
    year = manifest["year"]

    def pick(pred) -> list:
        return [e for rel, e in entities.items() if pred(rel)]

    raw_this = f"source/data/raw/{year}/"
    meta_files = {f"{raw_this}thong-tin-bao-cao.yml", f"{raw_this}nhan-dinh.md"}
    config = pick(lambda r: r in ("source/baocao.yml", "source/requirements.lock")
                  or r.startswith("source/data/reference/"))
    report = [entities.get(f"report/bao-cao-{year}.{fmt}") for fmt in ("html", "pdf", "docx")]
    renderer = manifest.get("parameters", {}).get("renderer", "")
    return [
        ("#clean", "Làm sạch, kiểm tra số liệu năm / clean and validate the year's data",
         [entities.get("source/notebooks/01_clean.ipynb"), baocao_app],
         pick(lambda r: r.startswith(raw_this) and r not in meta_files) + config,
         pick(lambda r: r.startswith("processed/") or r == "notebooks/executed/01_clean.ipynb")),
        ("#analyze", "Tính chỉ tiêu, so sánh các năm trước, vẽ biểu đồ / metrics, comparison, figures",
         [entities.get("source/notebooks/02_analyze.ipynb"), baocao_app],
         pick(lambda r: r.startswith("processed/"))
         + pick(lambda r: r.startswith("source/data/raw/") and not r.startswith(raw_this)) + config,
         pick(lambda r: r in ("report/metrics.json", "notebooks/executed/02_analyze.ipynb")
              or r.startswith("report/figures/"))),
        ("#compose", "Soạn văn bản báo cáo từ chỉ tiêu và phần nhận định / compose the report text",
         [baocao_app] + pick(lambda r: r == "source/report/bao-cao.qmd.j2"),
         pick(lambda r: r in ("report/metrics.json", "source/baocao.yml") or r in meta_files)
         + pick(lambda r: r.startswith("report/figures/")),
         pick(lambda r: r == f"report/bao-cao-{year}.qmd")),
        ("#render", f"Xuất HTML và PDF ({renderer}) / render HTML and PDF",
         [baocao_app] + [tools[t] for t in sorted(tools) if t.startswith("renderer:")]
         + pick(lambda r: r == "source/_quarto.yml" or (r.startswith("source/report/")
                                                         and r != "source/report/bao-cao.qmd.j2")),
         pick(lambda r: r == f"report/bao-cao-{year}.qmd" or r.startswith("report/figures/")),
         [e for e in report if e is not None]),
    ]
