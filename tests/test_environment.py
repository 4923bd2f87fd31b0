"""The pinned environment: requirements.lock and environment.yml carry the same pins."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: '{line}' is not an exact pin"
            pins[name.lower()] = version
    return pins


def test_lock_pins_are_exact_and_cover_the_dependencies():
    pins = lock_pins()
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    for dep in project["dependencies"] + extras["test"] + extras["dev"] + extras["notebook"]:  # dev: make lint's tools
        name = dep.split(">")[0].split("=")[0].split("[")[0].strip().lower().replace("_", "-")
        assert name in {k.replace("_", "-") for k in pins}, f"{name} is not pinned in requirements.lock"


def test_environment_yml_has_the_same_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)["pip"]
    conda_pins = {}
    for line in pip_section:
        name, _, version = line.partition("==")
        conda_pins[name.lower()] = version
    assert conda_pins == lock_pins()
    assert any(str(d).startswith("quarto") for d in env["dependencies"]), "conda users get Quarto from conda-forge"


def test_installed_versions_match_the_lock():
    from importlib import metadata

    pins = lock_pins()
    for name in ("pandas", "typst", "pypandoc_binary", "papermill", "matplotlib", "jinja2"):
        assert metadata.version(name) == pins[name.lower()], f"{name} differs from requirements.lock"


def test_every_package_the_code_imports_is_a_declared_dependency():
    """`pip install baocao` gives every module src/baocao imports (at the top or inside a
    function): its distribution is among baocao's declared requirements, as the installed
    metadata says them (importlib.metadata). Only an import guarded by ``except ImportError``
    may come from an extra (dask for --scheduler: `baocao[cluster]`)."""
    import ast
    import sys
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    requires = [Requirement(r) for r in metadata.requires("baocao") or ()]
    runtime = {canonicalize_name(r.name) for r in requires if r.marker is None}
    extras = {canonicalize_name(r.name) for r in requires if r.marker is not None}
    owners = metadata.packages_distributions()
    missing = []
    for path in sorted((ROOT / "src" / "baocao").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.Try)
            and any("ImportError" in ast.unparse(h.type or ast.Name("")) for h in node.handlers)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {n.split(".")[0] for n in names} - set(sys.stdlib_module_names) - {"baocao"}:
                dists = {canonicalize_name(d) for d in owners.get(top, ())}
                allowed = runtime | extras if id(node) in guarded else runtime
                if not dists & allowed:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {top} ({', '.join(sorted(dists)) or '?'})")
    assert not missing, "imported but not declared in pyproject.toml [project] dependencies: " + "; ".join(missing)
