"""The aggregate of a synthetic province, timed: its intake alone and its whole CLI build.

    python benchmarks/province.py PROVINCE [--jobs 1 2] [--rounds 3] [--baseline SRC] [--daily]

PROVINCE is a project made by ``make_province.py``. Prints, for each ``--jobs`` (and for the
code in ``--baseline SRC``, another version's ``src/``, interleaved round by round):

- intake: every member's bag read and checked (``read_members``), wall and CPU seconds, in a
  fresh process;
- the whole ``baocao build --unit tinh --year <year> --renderer pandoc --force`` process: wall
  seconds, its steps as the CLI prints them, and its peak resident memory (psutil, sampled
  every 50 ms: the build's own process, and with its child processes, pandoc and typst);
- with ``--daily``, the December pattern instead (the bags arrive one by one, the analyst builds
  each time; for each ``--jobs``): the aggregate's build folder removed and its last member's
  bag put aside, a first build of the other bags, the bag put back and a rebuild (the bags
  verified by the first build are not inflated again: aggregate/verified.py), then a rebuild
  with nothing changed; and the intake alone in a fresh process with the record of that
  build (every bag known); and, first, bench.py's tool floor measured in the same run. The
  build folder is left as the last build made it and the bag put back, whatever happens.

Prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

INTAKE = """
import sys, time
from pathlib import Path
from baocao.config import Project
from baocao.aggregate.intake import read_members
root = Path(sys.argv[1])
project = Project(root, root / "build").for_unit("tinh")
t, c = time.perf_counter(), time.process_time()
jobs = int(sys.argv[3])
records = {}
if sys.argv[4:] == ["records"]:
    from baocao.aggregate.verified import load_records
    records = load_records(project.build_dir(int(sys.argv[2])))
if records:  # only this code takes a record
    members = read_members(project, int(sys.argv[2]), jobs, records)
else:
    members = read_members(project, int(sys.argv[2]), *([jobs] if jobs > 1 else []))
print(time.perf_counter() - t, time.process_time() - c, sum(m.reported for m in members), len(members))
"""


def _env(src: str | None) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def intake(root: Path, year: int, jobs: int, src: str | None, records: bool = False) -> tuple[float, float, str]:
    out = subprocess.run(
        [sys.executable, "-c", INTAKE, str(root), str(year), str(jobs), *(["records"] if records else [])],
        capture_output=True,
        text=True,
        env=_env(src),
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), f"{out[2]}/{out[3]}"


def build(root: Path, year: int, jobs: int, src: str | None, force: bool = True) -> tuple[float, float, float, str]:
    import psutil

    cmd = [sys.executable, "-m", "baocao", "build", "--unit", "tinh", "--year", str(year)]
    cmd += ["--renderer", "pandoc", *(["--force"] if force else []), "--jobs", str(jobs)]
    t = time.perf_counter()
    proc = psutil.Popen(cmd, cwd=root, env=_env(src), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = own = 0
    while proc.poll() is None:
        try:
            own = max(own, proc.memory_info().rss)
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t
    output = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise SystemExit(f"build failed ({proc.returncode}):\n{output}")
    steps = " | ".join(
        line.strip() for line in output.splitlines() if "✓" in line or "xong" in line.lower() or "up to date" in line
    )
    return wall, own / 2**20, peak / 2**20, steps


def daily(root: Path, year: int, jobs: int) -> None:
    """The December pattern (see the module's docstring), printed step by step."""
    import shutil

    folder = root / "data" / "raw" / "tinh" / str(year)
    last = sorted(folder.glob(f"*-{year}.zip"))[-1]
    aside = root / last.name
    shutil.rmtree(root / "build" / "tinh" / str(year), ignore_errors=True)
    last.rename(aside)
    try:
        runs = [("first build, the bags but one", lambda: None), ("one more bag, rebuild", lambda: aside.rename(last))]
        runs.append(("nothing changed, rebuild", lambda: None))
        for name, before in runs:
            before()
            wall, own, peak, steps = build(root, year, jobs, None, force=False)
            print(f"--jobs {jobs} {name}: {wall:.2f} s wall, peak RSS {own:.0f} MiB ({peak:.0f} MiB); {steps}")
    finally:
        if aside.exists():
            aside.rename(last)
    wall, cpu, reported = intake(root, year, jobs, None, records=True)
    print(f"--jobs {jobs} intake alone, every bag recorded: {wall:.2f} s wall, {cpu:.2f} s CPU, {reported} reported")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("province", type=Path)
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", help="another version's src/ folder, timed in the same rounds")
    parser.add_argument("--no-build", action="store_true", help="the intake alone")
    parser.add_argument("--daily", action="store_true", help="first build, one more bag, nothing changed")
    args = parser.parse_args(argv)
    codes = [("this code", None)] + ([("baseline", args.baseline)] if args.baseline else [])
    print(f"load average at start: {os.getloadavg() if hasattr(os, 'getloadavg') else '?'}")
    if args.daily:
        import tempfile

        from bench import tool_floor  # benchmarks/bench.py: issue 14's floor, measured in the same run

        with tempfile.TemporaryDirectory() as tmp:
            floor = tool_floor(Path(tmp))
        print(
            f"tool floor (bench.py): {sum(floor.values()):.2f} s ({', '.join(f'{k} {v:.2f}' for k, v in floor.items())})"
        )
        for r in range(1, args.rounds + 1):
            for jobs in args.jobs:
                print(f"round {r}, load average {os.getloadavg()}")
                daily(args.province, args.year, jobs)
        return 0
    for r in range(1, args.rounds + 1):
        for name, src in codes:
            for jobs in args.jobs if src is None else [1]:
                wall, cpu, reported = intake(args.province, args.year, jobs, src)
                print(f"round {r} {name} --jobs {jobs}: intake {wall:.2f} s wall, {cpu:.2f} s CPU, {reported} reported")
                if not args.no_build:
                    wall, own, peak, steps = build(args.province, args.year, jobs, src)
                    print(
                        f"round {r} {name} --jobs {jobs}: build {wall:.2f} s wall, peak RSS {own:.0f} MiB "
                        f"(with its renderers' processes {peak:.0f} MiB); {steps}"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
