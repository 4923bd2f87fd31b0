"""A synthetic province for the aggregate benchmark: N member bags made from one real ward bag.

    python benchmarks/make_province.py WARD-BAG.zip OUT [--members 100] [--year 2023]

Makes the project ``OUT/`` of a province alone (``kind: aggregate`` with N members) and drops
``OUT/data/raw/tinh/<year>/xa-NNN-<year>.zip`` into it: each a copy of the given ward's bag in
which the build's manifest and metrics.json name member ``xa-NNN`` and every summed figure is
scaled by a factor of its own (so that the province's totals are not N times one ward); the
build manifest, the BagIt manifests and the zip are made again, so every bag verifies (it is
unsigned). Then time ``baocao build --unit tinh --year <year>`` in ``OUT`` with
``benchmarks/province.py OUT`` (bench.py's floor is the comparison). Deterministic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _scaled(metrics: dict, member: str, factor: float, declared: dict) -> dict:
    metrics = json.loads(json.dumps(metrics))
    metrics["unit"]["id"] = member
    metrics["unit"]["name"] = f"Ủy ban MTTQ Việt Nam xã {member}"
    for code, entry in metrics["indicators"].items():
        ind = declared.get(code)
        if ind is None or ind.formula or not isinstance(entry.get("value"), (int, float)):
            continue
        entry["value"] = round(entry["value"] * factor) if ind.kind == "count" else round(entry["value"] * factor, 3)
    from baocao.aggregate.rollup import formula_value

    values = {c: e.get("value") for c, e in metrics["indicators"].items()}
    for code, ind in declared.items():  # rates recomputed from the member's own scaled parts
        if ind.formula and code in metrics["indicators"]:
            values[code] = formula_value(ind.formula, values)
            metrics["indicators"][code]["value"] = values[code]
    return metrics


def make_member(template: Path, out_zip: Path, member: str, factor: float, year: int, declared: dict) -> None:
    import bagit

    from baocao.archive import write_zip

    with tempfile.TemporaryDirectory() as tmp:
        bag_dir = Path(tmp) / out_zip.stem
        with zipfile.ZipFile(template) as zf:
            prefix = zf.namelist()[0].split("/")[0] + "/"
            for info in zf.infolist():
                if info.is_dir():
                    continue
                target = bag_dir / info.filename[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(info))
        (bag_dir / "baocao-signature.txt").unlink(missing_ok=True)
        report = bag_dir / "data" / "report"
        metrics = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
        (report / "metrics.json").write_text(
            json.dumps(_scaled(metrics, member, factor, declared), ensure_ascii=False, sort_keys=True, indent=1),
            encoding="utf-8",
        )
        manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
        manifest["unit"] = member
        manifest["outputs"]["metrics.json"] = _sha256(report / "metrics.json")
        (report / "manifest.json").write_text(json.dumps(manifest, sort_keys=True, indent=1), encoding="utf-8")
        bag = bagit.Bag(str(bag_dir))
        bag.info["Bag-Group-Identifier"] = out_zip.stem
        bag.save(processes=1, manifests=True)
        write_zip(bag_dir, out_zip, dt.date(year, 12, 31))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("template", type=Path, help="a ward's bag (baocao archive …)")
    parser.add_argument("out", type=Path, help="the province's project folder (made)")
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--year", type=int, default=2023)
    args = parser.parse_args(argv)
    from baocao.config import Project

    sys.path.insert(0, str(ROOT / "scripts"))
    from make_example_mong_cai import CITY_META, CITY_NARRATIVE, install_project_files

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    install_project_files(out)
    members = [f"xa-{i:03d}" for i in range(1, args.members + 1)]
    (out / "baocao.yml").write_text(
        'body_parent: "ỦY BAN MTTQ VIỆT NAM"\nsigner: {on_behalf: "TM. BAN THƯỜNG TRỰC", title: "CHỦ TỊCH", '
        'name: "Nguyễn Văn Mẫu"}\nrecipients: ["Lưu: VT."]\nunits:\n'
        '  - {id: tinh, kind: aggregate, name: "Ủy ban MTTQ Việt Nam tỉnh Mẫu", body_name: "TỈNH MẪU", '
        f'place: "Mẫu", members: [{", ".join(members)}]}}\n',
        encoding="utf-8",
    )
    folder = out / "data" / "raw" / "tinh" / str(args.year)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "thong-tin-bao-cao.yml").write_text(CITY_META.format(year=args.year, number="1", day="20"), "utf-8")
    (folder / "nhan-dinh.md").write_text(CITY_NARRATIVE.format(year=args.year), encoding="utf-8")
    declared = Project(out, out / "build").reference.declared
    for i, member in enumerate(members):
        factor = 0.5 + (i * 37 % 100) / 50  # 0.5 … 2.5, deterministic
        make_member(args.template, folder / f"{member}-{args.year}.zip", member, factor, args.year, declared)
    shutil.rmtree(out / "build", ignore_errors=True)
    print(f"{len(members)} bags in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
