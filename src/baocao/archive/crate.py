"""RO-Crate metadata: which notebooks made which data from which sources, and which report
from those, by which organisation, on which date (RELIABILITY §1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .. import __version__, steps
from ..config import CONFIG_NAME, BuildFiles
from .layout import CRATE_NAME, files, payload_path_for_input, payload_path_for_output, pdf_kind

_FORMATS = {
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".qmd": "text/markdown",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ipynb": "application/x-ipynb+json",
    ".yml": "application/yaml",
    ".yaml": "application/yaml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".txt": "text/plain",
    ".lock": "text/plain",
    ".j2": "text/x-jinja2",
    ".typ": "text/x-typst",
    ".css": "text/css",
    ".lua": "text/x-lua",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def write_crate(payload: Path, manifest: dict, project, meta) -> Path:
    """ro-crate-metadata.json at the payload root: files, organisation, tools, and one
    CreateAction per step of the step table (:mod:`baocao.steps`), linking sources → data →
    report."""
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

    org = crate.add(
        ContextEntity(
            crate,
            f"#{unit.id}",
            properties={
                "@type": "Organization",
                "name": unit.name,
                "address": ", ".join(x for x in (unit.ward, unit.city, unit.province) if x),
            },
        )
    )
    crate.creator = org
    crate.publisher = org
    baocao_app, tools = _software(crate, manifest)
    entities = _file_entities(crate, payload)
    _describe_report(entities, year, date, org, manifest)
    _describe_signed(entities, year, org)
    for ident, name, instrument, obj, result in _actions(entities, manifest, project, baocao_app, tools):
        crate.add_action(
            instrument,
            identifier=ident,
            object=obj,
            result=result,
            properties={"@type": "CreateAction", "name": name, "agent": org, "endTime": date},
        )
    crate.add(
        ContextEntity(
            crate,
            "#build-parameters",
            properties={
                "@type": "PropertyValue",
                "name": "build parameters",
                "value": json.dumps(manifest.get("parameters", {}), sort_keys=True, ensure_ascii=False),
            },
        )
    )
    crate.metadata.write(payload)
    return payload / CRATE_NAME


def _software(crate, manifest: dict):
    """baocao itself and every tool the manifest names (but the renderer's name)."""
    from rocrate.model.contextentity import ContextEntity

    baocao_app = crate.add(
        ContextEntity(
            crate,
            "#baocao",
            properties={
                "@type": "SoftwareApplication",
                "name": "baocao",
                "version": manifest.get("baocao_version", __version__),
            },
        )
    )
    tools = {}
    for tool, version in sorted(manifest.get("tools", {}).items()):
        if tool in ("baocao", "renderer"):
            continue
        tools[tool] = crate.add(
            ContextEntity(
                crate,
                f"#tool-{re.sub(r'[^A-Za-z0-9_.-]', '-', tool)}",
                properties={
                    "@type": "SoftwareApplication",
                    "name": tool,
                    "version": str(version),
                },
            )
        )
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


def _describe_signed(entities: dict, year: int, org) -> None:
    """The signed report (``baocao sign``), if the bag holds it: based on the built PDF."""
    signed = entities.get(f"report/{BuildFiles.report(year, '-ky-so.pdf')}")
    if signed is not None:
        signed["author"] = org
        signed["description"] = (
            "Báo cáo PDF đã ký số (PAdES) bằng chứng thư số của đơn vị / the PDF report signed (PAdES) "
            "with the unit's certificate: the built PDF byte for byte, plus the signatures"
        )
        built = entities.get(f"report/{BuildFiles.report(year, '.pdf')}")
        if built is not None:
            signed["isBasedOn"] = built


def _describe_report(entities: dict, year: int, date: str, org, manifest: dict) -> None:
    for fmt, description in _REPORT_DESCRIPTIONS.items():
        description = description.format(pdf=pdf_kind(manifest)[0])
        entity = entities.get(f"report/{BuildFiles.report(year, '.' + fmt)}")
        if entity is not None:
            entity["datePublished"] = date
            entity["author"] = org
            entity["description"] = description


def _actions(entities: dict, manifest: dict, project, baocao_app, tools: dict) -> list[tuple]:
    """(id, name, instrument, object, result) of each step of the step table: the steps the
    renderer makes (HTML, PDF) are one action, "#render", as they are one render call."""
    year = manifest["year"]
    table = steps.steps()
    made = [[s] for s in table if not s.render]
    rendered = [s for s in table if s.render]
    renderer = manifest.get("parameters", {}).get("renderer", "")
    actions = []
    for group in made + ([rendered] if rendered else []):
        ident = "#render" if group[0].render else f"#{group[0].name}"
        name = "; ".join(s.label for s in group) + (f" ({renderer})" if group[0].render else "")
        instrument, obj, result = [baocao_app, entities.get(payload_path_for_input("requirements.lock"))], [], []
        obj.append(entities.get(payload_path_for_input(CONFIG_NAME)))  # every step's key holds the unit
        for s in group:
            if s.notebook:
                instrument.append(entities.get(payload_path_for_input(f"notebooks/{s.notebook}")))
            for source in s.reads:
                used, read = _source_entities(source, entities, project, year, tools)
                instrument += used
                obj += read
            for out in s.outputs(year):
                result += _payload_entities(entities, payload_path_for_output(out), payload_path_for_output(out + "/"))
        actions.append((ident, name, _unique(instrument), _unique(obj), _unique(result)))
    return actions


def _source_entities(source: str, entities: dict, project, year: int, tools: dict) -> tuple[list, list]:
    """What one declared source of a step is in the crate: (instrument, object). The project's
    own files (templates, styles, catalogues) and the tools are what a step runs with; the data
    (the year's, the compared years', its metadata, earlier steps' outputs) is what it reads."""
    kind, _, arg = source.partition(":")
    if kind == "build":
        rel = arg.format(year=year)
        return [], _payload_entities(entities, payload_path_for_output(rel), payload_path_for_output(rel + "/"))
    if kind == "libs":
        wanted = {"python", *(_canonical(n) for n in arg.split(","))}  # as steps.lib_versions
        return [e for t, e in sorted(tools.items()) if _canonical(t) in wanted], []
    if kind == "renderer":
        return [tools[t] for t in sorted(tools) if t.startswith("renderer:")], []
    found = [
        entities.get(payload_path_for_input(p.relative_to(project.root).as_posix()))
        for p in steps.source_files(source, project, year)
        if p.is_relative_to(project.root)
    ]
    return (found, []) if kind == "project" else ([], found)


def _payload_entities(entities: dict, path: str, folder: str) -> list:
    """The entity at payload ``path``, or those below ``folder`` (an output that is a folder)."""
    return [e for rel, e in entities.items() if rel == path or rel.startswith(folder)]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _unique(found: list) -> list:
    """Entities in first-seen order, each once, without the files the bag does not hold."""
    out: list = []
    for e in found:
        if e is not None and all(e is not o for o in out):
            out.append(e)
    return out
