"""Benchmarks of baocao: they print figures; they assert nothing.

    .venv/bin/python benchmarks/bench.py year      # (a) one year end to end, by step, beside the tool floor
    .venv/bin/python benchmarks/bench.py noop      # (b) the no-op rebuild
    .venv/bin/python benchmarks/bench.py clean     # (c) cleaning throughput and peak memory, 10k/100k/1M rows
    .venv/bin/python benchmarks/bench.py batch     # (d) N synthetic unit-years with --jobs 1 and --jobs 2
    .venv/bin/python benchmarks/bench.py preview   # (f) baocao preview and quarto preview: a narrative saved → the page shows it
    .venv/bin/python benchmarks/bench.py all

Every run works in a temporary copy of the project, so build/ and data/ are never touched.
Results and the machine are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
#: --baseline DIR: another version of baocao, run in the same benchmark, interleaved, so that
#: both see the same machine load: a src/ folder (e.g. `git archive <commit> src`), or a whole
#: tree of another commit (`git archive <commit> | tar -x -C DIR`), whose src/ is imported and
#: whose notebooks/ its builds run.
BASELINE: str | None = None


def baseline_src() -> Path:
    base = Path(str(BASELINE)).resolve()
    return base / "src" if (base / "src" / "baocao").is_dir() else base


def baseline_env() -> dict:
    return {"PYTHONPATH": str(baseline_src())} if BASELINE else {}


def baseline_project(dest: Path) -> Path:
    """A copy of the project for the baseline's builds: its own notebooks when BASELINE is a tree."""
    return baseline_files(copy_project(dest))


def baseline_files(root: Path) -> Path:
    """``root`` with the baseline tree's own notebooks, report templates, _quarto.yml and
    reference files (what its code reads beside the data), when BASELINE is a whole tree."""
    tree = baseline_src().parent
    if baseline_src().name != "src" or not (tree / "notebooks").is_dir():
        return root
    for name in ("notebooks", "report", "data/reference"):
        if (tree / name).is_dir():
            shutil.rmtree(root / name)
            shutil.copytree(tree / name, root / name)
    if (tree / "_quarto.yml").is_file():
        shutil.copy2(tree / "_quarto.yml", root / "_quarto.yml")
    return root


def copy_project(dest: Path, years: list[int] | None = None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("baocao.yml", "_quarto.yml", "requirements.lock"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("data", "notebooks", "report"):
        shutil.copytree(ROOT / name, dest / name)
    if years is not None:
        for path in (dest / "data" / "raw").iterdir():
            if path.name.isdigit() and int(path.name) not in years:
                shutil.rmtree(path)
    return dest


def timed(cmd: list[str], cwd: Path | None = None, repeat: int = 1, env: dict | None = None) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, env={**os.environ, **(env or {})})
        times.append(time.perf_counter() - t0)
    return times


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f", {int(fh.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()}"


# ---------------------------------------------------------------------------- (a) one year
def tool_floor(workdir: Path, repeat: int = 3) -> dict[str, float]:
    """What any run of this pipeline pays at least, as issue 14 defines it: python with pandas and
    matplotlib imported, one Jupyter kernel start that imports pandas, pandoc to HTML, pandoc to
    typst and a typst compile, each on a tiny document. Each is the best of ``repeat``."""
    import pypandoc

    floor = {}
    floor["python + pandas and matplotlib import"] = min(timed([PY, "-c", "import pandas, matplotlib"], repeat=repeat))
    kernel = (
        "from jupyter_client.manager import start_new_kernel\n"
        "km, kc = start_new_kernel(kernel_name='python3')\n"
        "kc.execute_interactive('import pandas')\n"
        "kc.stop_channels(); km.shutdown_kernel(now=True)\n"
    )
    floor["one Jupyter kernel start, importing pandas"] = min(timed([PY, "-c", kernel], repeat=repeat))
    doc = workdir / "small.md"
    doc.write_text(
        "# Báo cáo\n\nMột đoạn văn ngắn có dấu tiếng Việt.\n\n| a | b |\n|---|--:|\n| x | 1 |\n", encoding="utf-8"
    )
    pandoc = pypandoc.get_pandoc_path()
    floor["pandoc (small document → html)"] = min(
        timed([pandoc, str(doc), "-s", "-o", str(workdir / "small.html"), "--metadata", "title=t"], repeat=repeat)
    )
    floor["pandoc (small document → typst)"] = min(
        timed(
            [pandoc, str(doc), "-s", "-t", "typst", "-o", str(workdir / "small.typ"), "--metadata", "title=t"],
            repeat=repeat,
        )
    )
    typ = workdir / "tiny.typ"
    typ.write_text('#set text(lang: "vi")\n= Báo cáo\nMột đoạn văn ngắn có dấu tiếng Việt.\n', encoding="utf-8")
    floor["typst (small document → pdf)"] = min(
        timed(
            [PY, "-c", f"import typst; typst.compile({str(typ)!r}, output={str(workdir / 'small.pdf')!r})"],
            repeat=repeat,
        )
    )
    return floor


def bench_year(year: int = 2023, repeat: int = 3) -> dict[str, float]:
    """A forced build of one year through the CLI beside the tool floor, interleaved (one floor
    measurement, then one build, ``repeat`` times) so that both see the same machine load; best
    of ``repeat`` for each. The first build runs with an empty cache of tidy tables and is
    shown apart; the steps come from ``build_year()`` in this process."""
    from baocao.config import Project
    from baocao.pipeline import build_year

    cli = [PY, "-m", "baocao", "build", "--year", str(year), "--renderer", "pandoc", "--force"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = copy_project(tmp / "p")
        base_root = baseline_project(tmp / "base") if BASELINE else root
        cold = timed(cli, cwd=root)[0]  # empty build/.cache: the earlier years are cleaned from raw
        if BASELINE:
            timed(cli, cwd=base_root, env=baseline_env())  # its cache filled too
        floors: list[dict[str, float]] = []
        builds: list[float] = []
        base_builds: list[float] = []
        for _ in range(repeat):
            floors.append(tool_floor(tmp, repeat=1))
            builds += timed(cli, cwd=root)
            if BASELINE:
                base_builds += timed(cli, cwd=base_root, env=baseline_env())
        floor = {k: min(f[k] for f in floors) for k in floors[0]}
        project = Project(root, root / "build")
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = build_year(project, year, renderer_name="pandoc", force=True)
            runs.append((time.perf_counter() - t0, result.timings))
        best = min(runs, key=lambda r: r[0])
    total_floor = sum(floor.values())
    print(f"(a) One year end to end ({year}, pandoc + typst), best of {repeat}; machine: {machine()}")
    print(f"    {'step (build_year() in this process)':44s} {'seconds':>8s}")
    for step, secs in best[1].items():
        print(f"    {step:44s} {secs:8.2f}")
    print(
        f"    {'build_year() total (in process)':44s} {best[0]:8.2f}   (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})"
    )
    print(
        f"    {'`baocao build --force` (CLI, whole process)':44s} {min(builds):8.2f}   "
        f"(runs: {', '.join(f'{b:.2f}' for b in builds)})"
    )
    print(f"    {'  … the first, with an empty cache':44s} {cold:8.2f}")
    print("    tool floor, measured in the same run (interleaved with the builds):")
    for name, secs in floor.items():
        print(f"    {'  ' + name:44s} {secs:8.2f}")
    print(f"    {'  floor total':44s} {total_floor:8.2f}")
    ratio = min(builds) / total_floor
    print(f"    ratio CLI / floor: {ratio:.2f}× (target ≤ 2×); with an empty cache {cold / total_floor:.2f}×")
    print(f"    median of the CLI builds: {statistics.median(builds):.2f} s")
    if base_builds:
        print(
            f"    the baseline ({BASELINE}), same run, interleaved: best {min(base_builds):.2f} s, "
            f"median {statistics.median(base_builds):.2f} s (runs: {', '.join(f'{b:.2f}' for b in base_builds)}); "
            f"{min(base_builds) / total_floor:.2f}× the floor"
        )
    return {"year_ratio": ratio, "year_cli": min(builds), "floor": total_floor, "year_cold": cold}


# ---------------------------------------------------------------------------- (e) renderers
def bench_renderers(year: int = 2023, repeat: int = 3) -> None:
    """A forced year build through the CLI with each renderer, side by side (best of N,
    interleaved so that both see the same machine load)."""
    if shutil.which("quarto") is None:
        print("(e) renderers: Quarto is not on PATH (bash ../shared/quarto/install.sh PREFIX): skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "p")
        times: dict[str, list[float]] = {"pandoc": [], "quarto": []}
        render: dict[str, list[float]] = {"pandoc": [], "quarto": []}
        for _ in range(repeat):
            for name in times:
                cmd = [PY, "-m", "baocao", "build", "--year", str(year), "--renderer", name, "--force"]
                times[name] += timed(cmd, cwd=root)
                # the render steps alone: only HTML and PDF are stale after a _quarto.yml touch
                quarto_yml = root / "_quarto.yml"
                quarto_yml.write_text(quarto_yml.read_text(encoding="utf-8") + "\n", encoding="utf-8")
                render[name] += timed([PY, "-m", "baocao", "build", "--year", str(year), "--renderer", name], cwd=root)
    version = subprocess.run(["quarto", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"(e) Forced {year} build, pandoc + typst vs Quarto {version} (CLI, best of {repeat}); machine: {machine()}")
    for name in times:
        print(f"    {name:8s} build --force {min(times[name]):6.2f} s   render steps only {min(render[name]):6.2f} s")
    print(f"    ratio Quarto / pandoc: {min(times['quarto']) / min(times['pandoc']):.2f}× (target ≤ 1.5×)")


# ---------------------------------------------------------------------------- (b) no-op
def bench_noop(year: int = 2023, repeat: int = 10, edits_n: int = 5) -> dict[str, float]:
    """The up-to-date rebuild and a narrative-only edit, whole CLI processes; with --baseline,
    each run is followed by the baseline's on a copy of its own (same machine load)."""
    cmd = [PY, "-m", "baocao", "build", "--year", str(year), "--renderer", "pandoc"]
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"this": (copy_project(Path(tmp) / "p"), {})}
        if BASELINE:
            roots["baseline"] = (baseline_project(Path(tmp) / "base"), baseline_env())
        times: dict[str, list[float]] = {k: [] for k in roots}
        edits: dict[str, list[float]] = {k: [] for k in roots}
        for root, env in roots.values():
            subprocess.run(cmd, cwd=root, check=True, capture_output=True, env={**os.environ, **env})
        for _ in range(repeat):
            for name, (root, env) in roots.items():
                times[name] += timed(cmd, cwd=root, env=env)
        baseline = timed([PY, "-c", "pass"], repeat=repeat)
        for i in range(edits_n):
            for name, (root, env) in roots.items():
                narrative = root / "data" / "raw" / str(year) / "nhan-dinh.md"
                narrative.write_text(narrative.read_text(encoding="utf-8") + f"\nCâu thêm số {i}.\n", encoding="utf-8")
                edits[name] += timed(cmd, cwd=root, env=env)
    for name in roots:
        label = "this code" if name == "this" else f"the baseline ({BASELINE}), interleaved"
        print(f"(b) No-op rebuild of {year} (up to date), {repeat} runs of the whole CLI process: {label}")
        t, e = times[name], edits[name]
        print(f"    median {statistics.median(t):.3f} s, min {min(t):.3f} s, max {max(t):.3f} s (target ≤ 0,3 s)")
        print(
            f"    after editing only the narrative (compose + render): median {statistics.median(e):.2f} s "
            f"(runs: {', '.join(f'{x:.2f}' for x in e)}; target ≤ 1,0 s)"
        )
    print(f"    a bare `python -c pass`: median {statistics.median(baseline):.3f} s")
    return {"noop": statistics.median(times["this"]), "narrative": statistics.median(edits["this"])}


# ---------------------------------------------------------------------------- (c) cleaning
AREAS = ["Khu 1", "khu 2", "K3", "Khu IV", "KDC số 1"]
FIELDS = ["Tuyên truyền, vận động", "Hội nghị nhân dân", "Vệ sinh môi trường", "An sinh xã hội", "Văn hóa, thể thao"]


def synthetic_activity_csv(path: Path, rows: int, year: int = 2023, seed: int = 7) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["STT", "Ngày", "Khu", "Lĩnh vực", "Nội dung", "Số cuộc", "Số lượt người", "Ghi chú"])
        for i in range(rows):
            day = rng.randint(1, 28)
            month = rng.randint(1, 12)
            date = f"{day:02d}/{month:02d}/{year}" if i % 3 else f"{day}/{month}/{year % 100}"
            people = rng.randint(10, 2500)
            w.writerow(
                [
                    i + 1,
                    date,
                    rng.choice(AREAS),
                    rng.choice(FIELDS),
                    f"Hoạt động số {i}",
                    rng.randint(1, 5),
                    f"{people:,}".replace(",", ".") if i % 2 else people,
                    "",
                ]
            )


_CLEAN_CHILD = """
import resource, sys, time
from pathlib import Path
from baocao.config import Project
from baocao.clean import clean_year
root = Path(sys.argv[1]); year = int(sys.argv[2])
t0 = time.perf_counter()
result = clean_year(Project(root, root / 'build'), year)
secs = time.perf_counter() - t0
kept = len(result.tables['activity'])
# peak resident memory of this process (VmHWM: ru_maxrss would carry the parent's peak over exec)
peak = next((int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')),
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
print(secs, kept, peak)
"""


def bench_clean(sizes: list[int]) -> dict[str, float]:
    print("(c) Cleaning throughput and peak memory: synthetic activity rows (CSV), one process each")
    print(f"    {'rows':>9s} {'seconds':>8s} {'rows/s':>10s} {'peak RSS':>10s}")
    results: list[tuple[int, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "p", years=[])
        year = 2023
        folder = root / "data" / "raw" / str(year)
        for n in sizes:
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            synthetic_activity_csv(folder / "ban-ctmt-khu-1.csv", n)
            # only this file is sent: the others are declared absent, as an office would
            (folder / "thong-tin-bao-cao.yml").write_text(
                'khu_khong_hoat_dong: ["Khu 2", "Khu 3", "Khu 4"]\n'
                'tep_khong_gui: ["mttq-phuong.xlsx", "to-chuc-thanh-vien.xlsx", "chi-tieu.xlsx"]\n',
                encoding="utf-8",
            )
            out = subprocess.run(
                [PY, "-c", _CLEAN_CHILD, str(root), str(year)], check=True, capture_output=True, text=True
            ).stdout.split()
            secs, kept, rss_kb = float(out[0]), int(out[1]), int(out[2])
            assert kept == n, (kept, n)
            results.append((n, secs, rss_kb / 1024))
            print(f"    {n:9,d} {secs:8.2f} {n / secs:10,.0f} {rss_kb / 1024:8.0f} MiB")
    print("    targets: ≥ 200.000 rows/s, peak ≤ 1 GiB at 1.000.000 rows; time linear in rows")
    if len(results) > 1:
        (n0, t0, _), (n1, t1, _) = results[-2], results[-1]
        print(f"    {n1:,d} rows take {t1 / t0:.1f}× the time of {n0:,d} ({n1 / n0:.0f}× the rows)")
    n, secs, rss = results[-1]
    return {"clean_rows": n, "clean_rate": n / secs, "clean_rss_mib": rss}


# ---------------------------------------------------------------------------- (e) reading workbooks
_READ_CHILD = """
import statistics, sys, time
from pathlib import Path
from baocao.config import Project
from baocao.readers import YearReader, open_grids
root = Path(sys.argv[1])
project = Project.find(root)
ref = project.reference
import openpyxl  # imported once, as in a build
def read_year(year):
    reader = YearReader(project.raw_dir(year), ref, project.unit.areas)
    for table in ref.tables.values():
        reader.read_table(table)
    assert not reader.problems, reader.problems
    return len(reader.plan.files_of('ban-ctmt-khu')) + 3
for year in project.years_available():
    times = []
    for _ in range(5):
        t0 = time.perf_counter(); n = read_year(year); times.append(time.perf_counter() - t0)
    print(f'sample {year}: {n} workbooks read in {min(times):.3f} s (best of 5), median {statistics.median(times):.3f} s')
bad = root / 'tests' / 'data' / 'bad'
for name, what in (('stray-cell-row-1048576.xlsx', 'a stray space in A1048576'),
                   ('inflated-sheet.xlsx', 'a sheet inflating 20 MB (refused)')):
    t0 = time.perf_counter()
    try:
        grids = open_grids(bad / name, name)
        rows = max(len(g.rows) for g in grids)
    except Exception as exc:
        rows = type(exc).__name__
    print(f'{what}: {time.perf_counter() - t0:.3f} s ({rows} rows held)')
"""


def bench_read() -> None:
    """(e) The readers alone: the sample years' workbooks, and two workbooks built to cost a lot."""
    print("(e) Reading the workbooks (readers only, one process, openpyxl imported beforehand)")
    out = subprocess.run([PY, "-c", _READ_CHILD, str(ROOT)], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        print(f"    {line}")


# ---------------------------------------------------------------------------- (d) batch
#: Recorded in benchmarks/README.md before issue 14 (20 unit-years, --jobs 2), to compare with.
BATCH_BEFORE_UNIT_YEARS_PER_MIN = 19.0


#: What README.md recommends for the Dask workers of a baocao batch: Dask's sampling profiler off.
#: It walks every thread's stack each 10 ms, and a build's stacks are deep (IPython, Papermill,
#: pandas): 4-6 % of a batch's time on 2 cores.
DASK_WORKER_ENV = {"DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}


@contextlib.contextmanager
def _workers_as_recommended():
    """The environment of the LocalCluster's workers (they inherit it when spawned)."""
    saved = {k: os.environ.get(k) for k in DASK_WORKER_ENV}
    os.environ.update(DASK_WORKER_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def bench_batch(
    n_units: int, years: list[int], jobs_list: tuple[int, ...] = (1, 2), dask: bool = True, rounds: int = 1
) -> dict:
    """N units × the sample years, ``baocao build --all --force``, with each ``--jobs`` and then
    through ``--scheduler`` on a Dask LocalCluster of 2 worker processes (1 thread each, profiler
    off as README.md recommends), each
    run into a build folder of its own (so every run starts with an empty cache). With
    ``rounds`` > 1, ``--jobs 2`` and Dask are run again, alternately, and the best of each kept
    (so that both see the same machine load)."""
    import yaml

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "p", years=[])
        config = yaml.safe_load((ROOT / "baocao.yml").read_text(encoding="utf-8"))
        base = config.pop("unit")
        config["unit"] = base
        units = []
        for i in range(n_units):
            uid = f"phuong-{i + 1:03d}"
            units.append(
                {"id": uid, "name": f"Ủy ban MTTQ Việt Nam phường số {i + 1}", "body_name": f"PHƯỜNG SỐ {i + 1}"}
            )
            for year in years:
                shutil.copytree(ROOT / "data" / "raw" / str(year), root / "data" / "raw" / uid / str(year))
        config["units"] = units
        (root / "baocao.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        total = n_units * len(years)
        print(
            f"(d) Batch of {total} synthetic unit-years ({n_units} units × {years}), `baocao build --all --force`; "
            f"machine: {machine()}"
        )

        base_root = baseline_files(shutil.copytree(root, Path(tmp) / "base")) if BASELINE else root

        def build(name: str, *extra: str, env: dict | None = None) -> float:
            cmd = [
                PY,
                "-m",
                "baocao",
                "--build-dir",
                str(Path(tmp) / f"b-{name}"),
                "build",
                "--all",
                "--force",
                "--renderer",
                "pandoc",
                *extra,
            ]
            return timed(cmd, cwd=base_root if env else root, env=env)[0]

        for jobs in jobs_list:
            t = build(f"jobs{jobs}", "--jobs", str(jobs))
            out[f"jobs{jobs}"] = t
            print(f"    --jobs {jobs}: {t:7.1f} s, {total / t * 60:6.1f} unit-years/min")
            if BASELINE and jobs == max(jobs_list):
                t = build(f"base-jobs{jobs}", "--jobs", str(jobs), env=baseline_env())
                out[f"base_jobs{jobs}"] = t
                print(
                    f"    --jobs {jobs}, the baseline ({BASELINE}), same run: {t:7.1f} s, "
                    f"{total / t * 60:6.1f} unit-years/min"
                )
        if dask:
            try:
                from dask.distributed import LocalCluster
            except ImportError:
                print("    --scheduler: dask.distributed is not installed: skipped")
                dask = False
        for r in range(rounds if dask else 0):
            if r:  # again, alternating with Dask
                t = build(f"jobs2-{r}", "--jobs", "2")
                print(f"    --jobs 2 (round {r + 1}): {t:7.1f} s, {total / t * 60:6.1f} unit-years/min")
                out["jobs2"] = min(out.get("jobs2", t), t)
            jobs2 = Path(tmp) / "b-jobs2"
            if r == 0 and jobs2.is_dir():  # Dask builds into the same folder name: the same bytes?
                jobs2.rename(jobs2.with_name("b-jobs2-kept"))
            with (
                _workers_as_recommended(),
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            ):
                t = build("jobs2" if r == 0 else f"dask-{r}", "--scheduler", cluster.scheduler_address)
            if r == 0 and jobs2.with_name("b-jobs2-kept").is_dir():
                same, differ = _same_trees(jobs2.with_name("b-jobs2-kept"), jobs2)
                print(
                    f"    --jobs 2 and Dask, every file of the build folder: {same} identical, {len(differ)} differ {differ[:5]}"
                )
                out["files_differ"] = len(differ)
            out["dask"] = min(out.get("dask", t), t)
            print(
                f"    --scheduler (Dask LocalCluster, 2 workers × 1 thread, profiler off){f' (round {r + 1})' if r else ''}: "
                f"{t:7.1f} s, {total / t * 60:6.1f} unit-years/min"
            )
    if "jobs1" in out and "jobs2" in out:
        print(f"    speed-up with 2 jobs: {out['jobs1'] / out['jobs2']:.2f}× on {os.cpu_count()} cores")
    if "jobs2" in out:
        rate = total / out["jobs2"] * 60
        out["rate_jobs2"] = rate
        print(
            f"    --jobs 2 vs the figure recorded before issue 14 ({BATCH_BEFORE_UNIT_YEARS_PER_MIN} unit-years/min): "
            f"{rate / BATCH_BEFORE_UNIT_YEARS_PER_MIN:.2f}× (target ≥ 2×)"
        )
        if "base_jobs2" in out:
            print(f"    --jobs 2 vs the baseline in the same run: {out['base_jobs2'] / out['jobs2']:.2f}×")
        if "dask" in out:
            print(f"    Dask vs --jobs 2: {out['dask'] / out['jobs2'] - 1:+.1%} in time (target within ±10%)")
    out["unit_years"] = total
    return out


def _same_trees(a: Path, b: Path) -> tuple[int, list[str]]:
    """(files with the same bytes in both, files that differ or exist in one only), lock files and
    the tidy cache's bookkeeping left out."""

    def files(root: Path) -> set[str]:
        return {
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and ".lock" not in p.name and ".cache" not in p.relative_to(root).parts
        }

    names_a, names_b = files(a), files(b)
    differ = sorted(names_a ^ names_b)
    same = 0
    for name in sorted(names_a & names_b):
        if (a / name).read_bytes() == (b / name).read_bytes():
            same += 1
        else:
            differ.append(name)
    return same, differ


def bench_preview(rounds: int = 3) -> dict[str, float]:
    """(f) `quarto preview` at the root of a copy of the project (2023 and 2024): a sentence saved
    in data/raw/2023/nhan-dinh.md, then the time until Chromium, on the year's page, shows it
    (the page reloads by itself: Quarto's preview client). Beside the tool floor."""
    import socket

    from playwright.sync_api import sync_playwright

    if shutil.which("quarto") is None:
        print("(f) preview: Quarto is not on PATH; skipped")
        return {}
    work = Path(tempfile.mkdtemp(prefix="baocao-bench-preview-"))
    project = copy_project(work / "binh-ngoc", years=[2023, 2024])
    for name in ("index.qmd", "scripts/quarto_hook.py"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, project / name)
    (project / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)  # as `make report` leaves it
    subprocess.run(["quarto", "render"], cwd=project, check=True, capture_output=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Quarto's output goes to a file: a pipe nobody reads fills up and stops Quarto mid-render
    log = work / "preview.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["quarto", "preview", "--no-browser", "--port", str(port)],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    times = []
    try:
        while "Browse at" not in log.read_text(encoding="utf-8"):
            if server.poll() is not None:
                raise SystemExit(f"(f) quarto preview stopped:\n{log.read_text(encoding='utf-8')[-3000:]}")
            time.sleep(0.5)
        print("(f) preview server ready", flush=True)
        narrative = project / "data" / "raw" / "2023" / "nhan-dinh.md"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://localhost:{port}/don-vi/binh-ngoc/2023.html", wait_until="load")
            for n in range(rounds):
                page.wait_for_timeout(2000)
                marker = f"BENCH-{n}-{random.randint(0, 10**6)}"
                text = narrative.read_text(encoding="utf-8")
                t0 = time.perf_counter()
                narrative.write_text(text.replace("\n\n", f"\n\nCâu mới {marker}.\n\n", 1), encoding="utf-8")
                while marker not in _frames_text(page):
                    if time.perf_counter() - t0 > 300:
                        raise SystemExit(f"(f) preview: the page did not show the edit within 300 s (round {n + 1})")
                    page.wait_for_timeout(100)
                times.append(time.perf_counter() - t0)
                print(f"(f) round {n + 1}: {times[-1]:.2f} s", flush=True)
            browser.close()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    median, floor = _preview_summary("quarto preview", times)
    return {"preview_s": median, "floor_s": floor}


def _preview_summary(label: str, times: list[float]) -> tuple[float, float]:
    """Print a preview's save-to-page times beside the tool floor measured now: (median, floor)."""
    floor = sum(tool_floor(Path(tempfile.gettempdir()), repeat=1).values())
    best, median = min(times), statistics.median(times)
    print(
        f"(f) {label}, narrative saved → page shows it: best {best:.2f} s, median {median:.2f} s "
        f"of {len(times)}; tool floor {floor:.2f} s (goal: under half the floor, {floor / 2:.2f} s)"
    )
    return median, floor


def bench_baocao_preview(rounds: int = 5) -> dict[str, float]:
    """(f) `baocao preview --year 2023` in a copy of the project: a sentence saved in
    data/raw/2023/nhan-dinh.md, then the time until Chromium, on the report's page, shows it (the
    page reloads by itself). The year is rebuilt through the pipeline in the preview's warm process
    (compose, HTML, PDF and Word); pandoc + typst. Beside the tool floor."""
    import socket

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="baocao-bench-bpreview-"))
    project = copy_project(work / "binh-ngoc")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [PY, "-m", "baocao", "preview", "--year", "2023", "--renderer", "pandoc", "--no-browser"]
    server = subprocess.Popen(
        [*cmd, "--port", str(port)], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    times = []
    try:
        for line in server.stdout:  # type: ignore[union-attr]
            if "rebuilt in" in line:
                break
        narrative = project / "data" / "raw" / "2023" / "nhan-dinh.md"
        original = narrative.read_text(encoding="utf-8")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
            for n in range(rounds):
                page.wait_for_timeout(1500)
                marker = f"BENCH-{n}-{random.randint(0, 10**6)}"
                t0 = time.perf_counter()
                narrative.write_text(original.replace("\n\n", f"\n\nCâu mới {marker}.\n\n", 1), encoding="utf-8")
                while marker not in page.inner_text("body"):
                    if time.perf_counter() - t0 > 300:
                        raise SystemExit(
                            f"(f) baocao preview: the page did not show the edit within 300 s (round {n + 1})"
                        )
                    page.wait_for_timeout(10)
                times.append(time.perf_counter() - t0)
                print(f"(f) baocao preview, round {n + 1}: {times[-1]:.2f} s", flush=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    median, floor = _preview_summary("baocao preview", times)
    return {"baocao_preview_s": median, "floor_s": floor}


def _frames_text(page) -> str:
    texts = []
    for frame in page.frames[1:]:
        with contextlib.suppress(Exception):  # a frame detached by the page's reload
            texts.append(frame.inner_text("body"))
    return "\n".join(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=("year", "noop", "clean", "read", "batch", "renderers", "preview", "all"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--units", type=int, default=50, help="(d) units; unit-years = units × years")
    parser.add_argument("--years", type=int, nargs="+", default=[2021, 2022, 2023, 2024])
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="also time another version of baocao in the same run, interleaved, for (a), (b) and (d): "
        "a src/ folder, or a whole tree of another commit (its src/ and notebooks/)",
    )
    parser.add_argument("--no-dask", action="store_true", help="(d) skip the Dask LocalCluster run")
    parser.add_argument("--rounds", type=int, default=1, help="(d) runs of --jobs 2 and Dask, alternating (best of)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="(d) the --jobs values to time")
    args = parser.parse_args()
    global BASELINE
    BASELINE = args.baseline
    figures: dict[str, float] = {}
    started = time.strftime("%Y-%m-%d %H:%M")
    load = os.getloadavg()
    if args.which in ("year", "all"):
        figures.update(bench_year())
    if args.which in ("noop", "all"):
        figures.update(bench_noop())
    if args.which in ("clean", "all"):
        figures.update(bench_clean(args.sizes))
    if args.which in ("read", "all"):
        bench_read()
    if args.which in ("batch", "all"):
        figures.update(bench_batch(args.units, args.years, tuple(args.jobs), dask=not args.no_dask, rounds=args.rounds))
    if args.which in ("renderers", "all"):
        bench_renderers()
    if args.which in ("preview", "all"):
        figures.update(bench_baocao_preview())
        figures.update(bench_preview())
    if args.which == "all":
        summary(figures, started, load)


def summary(f: dict[str, float], started: str, load: tuple[float, float, float]) -> None:
    """Issue 14's targets, each with the figure measured above."""

    def row(what: str, value: str, ok: bool | None) -> None:
        mark = "—" if ok is None else ("met" if ok else "NOT met")
        print(f"    {what:52s} {value:>16s}   {mark}")

    end = os.getloadavg()
    print(
        f"Summary (issue 14), started {started}; machine: {machine()}; "
        f"load average at the start {load[0]:.2f}, at the end {end[0]:.2f} (2 cores: above ~0.5, shared)"
    )
    if "year_ratio" in f:
        row("one year, CLI --force / tool floor (≤ 2.0)", f"{f['year_ratio']:.2f}×", f["year_ratio"] <= 2.0)
    if "noop" in f:
        row("no-op rebuild, median (≤ 0.3 s)", f"{f['noop']:.3f} s", f["noop"] <= 0.3)
        row("narrative-only edit, median (≤ 1.0 s)", f"{f['narrative']:.2f} s", f["narrative"] <= 1.0)
    if "clean_rate" in f:
        row(
            f"cleaning at {f['clean_rows']:,.0f} rows (≥ 200,000 rows/s)",
            f"{f['clean_rate']:,.0f}/s",
            f["clean_rate"] >= 200_000,
        )
        row("… peak memory (≤ 1 GiB)", f"{f['clean_rss_mib']:.0f} MiB", f["clean_rss_mib"] <= 1024)
    if "rate_jobs2" in f:
        ratio = f["rate_jobs2"] / BATCH_BEFORE_UNIT_YEARS_PER_MIN
        row(
            f"batch of {f['unit_years']:.0f}, --jobs 2 vs {BATCH_BEFORE_UNIT_YEARS_PER_MIN} u-y/min (≥ 2×)",
            f"{ratio:.2f}×",
            ratio >= 2,
        )
        if "dask" in f:
            diff = f["dask"] / f["jobs2"] - 1
            row("batch through Dask vs --jobs 2 (within 10%)", f"{diff:+.1%}", abs(diff) <= 0.10)


if __name__ == "__main__":
    main()
