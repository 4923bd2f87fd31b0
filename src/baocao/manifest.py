"""What a build records about itself: ``manifest.json`` (every input and output hashed, the
tool versions, the parameters) and the versions it was made with."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from . import __version__
from .atomic import write_json
from .config import BuildFiles, Project
from .steps import code_digest, file_digest, files_under, input_digests


@functools.cache
def _dependency_closure_cached(root: str) -> tuple[tuple[str, str], ...]:
    return tuple(dependency_closure(root).items())


def _dependency_closure(root: str = "baocao") -> dict[str, str]:
    """:func:`dependency_closure`, read once per process (a batch builds many years with the
    same installed packages)."""
    return dict(_dependency_closure_cached(root))


def dependency_closure(root: str = "baocao") -> dict[str, str]:
    """Every installed package ``root`` depends on, directly or not (extras left out), with
    its version, as :mod:`importlib.metadata` finds them."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: dict[str, str] = {}
    todo = [root]
    while todo:
        try:
            dist = metadata.distribution(todo.pop())
        except metadata.PackageNotFoundError:
            continue
        key = canonicalize_name(dist.metadata["Name"])
        if key in seen:
            continue
        seen[key] = dist.version
        for spec in dist.requires or ():
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    seen.pop("baocao", None)
    return seen


def tool_versions(renderer, renderer_versions: dict[str, str] | None = None) -> dict[str, str]:
    versions = {"python": sys.version.split()[0], "baocao": __version__}
    versions.update(_dependency_closure())
    if renderer_versions is None:
        renderer_versions = renderer.versions()
    versions.update({f"renderer:{k}": v for k, v in renderer_versions.items()})
    versions["renderer"] = renderer.name
    return dict(sorted(versions.items()))


def _git_commit(root: Path) -> str | None:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def renderer_tools(renderer) -> tuple[dict[str, str], dict[str, str]]:
    """(the renderer's tool versions, every tool version) for the manifest: asked once per
    build (for Quarto each call starts Quarto)."""
    renderer_versions = renderer.versions()
    return renderer_versions, tool_versions(renderer, renderer_versions)


def write_manifest(
    project: Project,
    year: int,
    build_dir: Path,
    renderer,
    options=None,
    tools: tuple[dict[str, str], dict[str, str]] | None = None,
    inputs: dict[str, str] | None = None,
) -> Path:
    """SHA-256 of every input and output, tool versions, parameters. Outputs are relative to
    build/<year>/; executed notebooks are listed but are records (not byte-stable).

    ``renderer`` names what made the HTML and PDF: the backend, the versions of the tools it
    ran (for Quarto: the pandoc and typst that Quarto itself runs, not the project's pinned
    wheels, which only the pandoc backend uses), and the PDF profile the PDF conforms to
    (``pdf_standard``: e.g. "a-2b", or null for a plain PDF)."""
    from .render.options import RenderOptions

    options = options or RenderOptions.from_project(project.root)
    renderer_versions, all_tools = tools or renderer_tools(renderer)
    # file_digest: the same SHA-256, not read again when the step keys already hashed the file
    if inputs is None:
        inputs = input_digests(project, year)
    outputs = {}
    for p in files_under(build_dir):
        rel = p.relative_to(build_dir).as_posix()
        if rel == BuildFiles.MANIFEST or Path(rel).name.startswith(".") or rel == BuildFiles.report(year, "-ky-so.pdf"):
            # the signed report (baocao sign) stays beside the build but is not one of its outputs
            continue
        outputs[rel] = file_digest(p)
    manifest = {
        "baocao_version": __version__,
        "baocao_code": code_digest(),
        "year": year,
        "unit": project.unit.id,
        "parameters": {"year": year, "renderer": renderer.name, "compare_years": project.unit.compare_years},
        "git_commit": _git_commit(project.root),
        "tools": all_tools,
        "renderer": {
            "name": renderer.name,
            "tools": dict(sorted(renderer_versions.items())),
            "pdf_standard": renderer.pdf_standard(options),
        },
        "inputs": inputs,
        "outputs": outputs,
        "records": sorted(k for k in outputs if k.startswith("notebooks/")),
    }
    return write_json(build_dir / BuildFiles.MANIFEST, manifest)
