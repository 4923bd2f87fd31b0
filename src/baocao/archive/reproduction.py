"""``baocao reproduce``: rebuild an archived year from the bag's own sources and compare.

Nothing in the bag is trusted. It is verified first (a damaged bag is refused); its code is
compared with the installed project's (:mod:`.trust`) and a bag with other code is refused
unless ``--trust-bag-code``. The rebuild then runs the installed ``baocao`` in a separate
process with a clean environment: only :data:`ENV_ALLOW` is inherited, HOME and TMPDIR are
fresh temporary folders, so no secret in the caller's environment or home folder reaches the
bag's notebooks or filters. Every output is compared with the bag's copy
(``identical`` / ``DIFFERENT`` per file); tool versions that differ are named first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..config import BuildFiles, Project
from ..errors import BagCodeDiffersError, BagDamagedError, ConfigError, RebuildFailedError
from ..manifest import tool_versions
from ..render import get_renderer
from ..yamlfile import load_yaml
from .layout import Out, files, hidden, payload_path_for_output, sha256, writes_to
from .trust import CodeDifference, code_differences, installed_project
from .verification import read_build_manifest, verify_bag_dir
from .zipsafe import opened_bag

#: The only variables of the caller's environment the rebuild sees (locale, time zone, where
#: tools are, the reproducible-builds date). Everything else, secrets included, stays out.
ENV_ALLOW = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "LC_NUMERIC",
    "LC_TIME",
    "TZ",
    "SOURCE_DATE_EPOCH",
    "SYSTEMROOT",
)


@dataclass
class ReproduceResult:
    year: int
    identical: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    tool_differences: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    code_differences: list[CodeDifference] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.different or self.missing or self.new)


def tool_differences(recorded: dict, current: dict) -> list[tuple[str, str | None, str | None]]:
    return [
        (k, recorded.get(k), current.get(k))
        for k in sorted(set(recorded) | set(current))
        if recorded.get(k) != current.get(k)
    ]


# ---------------------------------------------------------------------------- before running
def check_code(
    bag_dir: Path, manifest: dict, *, trust: bool, project_dir: Path | str | None, out: Out
) -> list[CodeDifference]:
    """List the bag's code that differs from the installed project; refuse unless ``trust``."""
    reference = installed_project(project_dir, bag_dir)
    found = code_differences(bag_dir, manifest, reference)
    if not found:
        return found
    where = reference or "(không tìm thấy dự án nào / no installed project found)"
    out(f"Mã trong túi khác với dự án cài ở đây / the bag's code differs from the installed project ({where}):")
    for diff in found:
        out(diff.line())
    if not trust:
        raise BagCodeDiffersError(
            f"túi chứa mã (sổ tay, mẫu, bộ lọc hoặc mã gói) khác với bản cài ở đây: {len(found)} mục, "
            f"liệt kê ở trên; không chạy gì cả",
            f"the bag carries code (notebooks, templates, filters or package code) that differs from the "
            f"installed project: {len(found)} item(s), listed above; nothing was run",
            hint_vi="xem các tệp trên; chỉ khi tin nguồn gốc của túi mới chạy lại với --trust-bag-code "
            "(mã của túi sẽ chạy bằng quyền của bạn)",
            hint_en="review the files above; only if you trust where the bag comes from, run again with "
            "--trust-bag-code (the bag's code will run as you)",
        )
    out(
        "CẢNH BÁO / WARNING: --trust-bag-code: chạy mã của túi, trong môi trường sạch "
        "/ running the bag's code, in a clean environment"
    )
    return found


def check_bag_yaml(bag_dir: Path) -> None:
    """Every YAML file of the bag's sources read by the guarded reader before anything runs: an
    alias (a "YAML bomb"), deep nesting or a file over its size is refused here, naming the file
    in the bag, and the rebuild never starts (an intact unsigned bag can still be hostile)."""
    source = bag_dir / "data" / "source"
    for path in files(source) if source.is_dir() else []:
        if path.suffix.lower() in (".yml", ".yaml"):
            try:
                load_yaml(path)
            except ConfigError as exc:
                exc.hint_vi = (exc.hint_vi + "; " if exc.hint_vi else "") + "túi này không được dựng lại"
                exc.hint_en = (exc.hint_en + "; " if exc.hint_en else "") + "this bag is not rebuilt"
                raise


def _tool_warnings(manifest: dict, renderer) -> list[tuple[str, str | None, str | None]]:
    diffs = tool_differences(manifest.get("tools", {}), tool_versions(renderer))
    if manifest.get("baocao_version") != __version__:
        diffs.insert(0, ("baocao", manifest.get("baocao_version"), __version__))
        diffs = list(dict((d[0], d) for d in diffs).values())
    return diffs


def _print_tool_warnings(diffs, out: Out) -> None:
    if not diffs:
        return
    out(
        "CẢNH BÁO / WARNING: túi được tạo bằng phiên bản công cụ khác với bản cài ở đây; kết quả có thể khác "
        "/ the bag was made with other tool versions than installed here; outputs may differ:"
    )
    for tool, then, now in diffs:
        out(
            f"  {tool}: trong túi / in the bag {then or '(không có / none)'}, ở đây / here {now or '(không có / none)'}"
        )


# ---------------------------------------------------------------------------- the rebuild
def clean_environment(tmp: Path) -> dict[str, str]:
    """The rebuild's environment: :data:`ENV_ALLOW` only, a fresh HOME and TMPDIR, and the
    installed baocao first on the path (the very package this process runs)."""
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    home, temp = tmp / "home", tmp / "tmp"
    home.mkdir(exist_ok=True)
    temp.mkdir(exist_ok=True)
    package_parent = Path(__file__).resolve().parents[2]
    env.update(
        HOME=str(home),
        TMPDIR=str(temp),
        PYTHONPATH=str(package_parent),
        PYTHONNOUSERSITE="1",
        PYTHONUNBUFFERED="1",
        JUPYTER_PLATFORM_DIRS="1",
        MPLBACKEND="Agg",
    )
    env.setdefault("PATH", os.defpath)
    return env


def rebuild(
    root: Path, build_root: Path, year: int, unit: str | None, renderer_name: str, env: dict[str, str], out: Out
) -> None:
    """``baocao build`` of the bag's project in its own process; its progress lines are shown."""
    cmd = [
        sys.executable,
        "-m",
        "baocao",
        "--project",
        str(root),
        "--build-dir",
        str(build_root),
        "build",
        "--year",
        str(year),
        "--renderer",
        renderer_name,
    ] + (["--unit", unit] if unit else [])
    with tempfile.TemporaryFile("w+", encoding="utf-8", dir=env["TMPDIR"]) as err:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("["):
                out(line.rstrip("\n"))
        code = proc.wait()
        if code:
            err.seek(0)
            sys.stderr.write(err.read())
            raise RebuildFailedError(year, code)


def _compare_outputs(manifest: dict, bag_dir: Path, rebuilt: Path, result: ReproduceResult, out: Out) -> None:
    records = set(manifest.get("records", []))
    expected = {rel for rel in manifest.get("outputs", {}) if rel not in records}
    for rel in sorted(expected):
        new, old = rebuilt / rel, bag_dir / "data" / payload_path_for_output(rel)
        if not new.is_file():
            result.missing.append(rel)
            out(f"THIẾU / MISSING    {rel}")
        elif sha256(new) == sha256(old):
            result.identical.append(rel)
            out(f"giống / identical  {rel}")
        else:
            result.different.append(rel)
            out(f"KHÁC / DIFFERENT   {rel}")
    for p in files(rebuilt) if rebuilt.is_dir() else []:
        rel = p.relative_to(rebuilt).as_posix()
        if rel != BuildFiles.MANIFEST and rel not in expected and rel not in records and not hidden(rel):
            result.new.append(rel)
            out(f"MỚI / NEW          {rel}")


def _verified_manifest(path: Path, bag_dir: Path | None, problems: list, out: Out) -> dict:
    if bag_dir is not None:
        problems = problems + verify_bag_dir(bag_dir, skip=[p.path for p in problems])
    manifest = None
    if bag_dir is not None and not problems:
        manifest, problems = read_build_manifest(bag_dir)
    if problems or manifest is None:
        for p in problems:
            out(p.line())
        raise BagDamagedError(path, problems)
    return manifest


def _rebuild_in(tmp: Path, bag_dir: Path, manifest: dict, renderer_name: str, out: Out) -> Path:
    """Copy the bag's sources to ``tmp``, rebuild there; returns the rebuilt year's folder."""
    year = int(manifest["year"])
    root = tmp / "project"
    with writes_to(tmp):
        env = clean_environment(tmp)
        shutil.copytree(bag_dir / "data" / "source", root)
    project = Project(root, tmp / "build")
    unit = manifest.get("unit") if project.multi_unit else None  # a province's baocao.yml lists several wards
    if unit:
        project = project.for_unit(unit)
    out(f"Dựng lại năm {year} trong {tmp} / rebuilding {year} in {tmp} (renderer {renderer_name})")
    rebuild(root, tmp / "build", year, unit, renderer_name, env, out)
    return project.build_dir(year)


def reproduce(
    path: Path,
    *,
    keep: bool = False,
    trust_bag_code: bool = False,
    project_dir: Path | str | None = None,
    out: Out = print,
) -> ReproduceResult:
    """Verify the bag, check its code, rebuild its year in a temporary folder, compare."""
    t0 = time.perf_counter()
    path = Path(path)
    with opened_bag(path) as (bag_dir, problems):
        manifest = _verified_manifest(path, bag_dir, problems, out)
        assert bag_dir is not None  # _verified_manifest refused a zip that could not be opened
        result = ReproduceResult(int(manifest["year"]))
        check_bag_yaml(bag_dir)
        result.code_differences = check_code(bag_dir, manifest, trust=trust_bag_code, project_dir=project_dir, out=out)
        renderer_name = manifest.get("parameters", {}).get("renderer") or manifest.get("tools", {}).get(
            "renderer", "auto"
        )
        renderer = get_renderer(renderer_name)  # exit 3 when that tool is not installed here
        result.tool_differences = _tool_warnings(manifest, renderer)
        _print_tool_warnings(result.tool_differences, out)
        with writes_to(tempfile.gettempdir()):
            tmp = Path(tempfile.mkdtemp(prefix="baocao-reproduce-"))
        try:
            rebuilt = _rebuild_in(tmp, bag_dir, manifest, renderer_name, out)
            _compare_outputs(manifest, bag_dir, rebuilt, result, out)
        finally:
            if keep:
                out(f"Giữ thư mục dựng lại / kept the rebuild in: {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = time.perf_counter() - t0
    return result
