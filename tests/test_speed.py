"""The speed-ups of issue 14 change no output: the kernel a build (or a batch worker) keeps for
notebook after notebook writes the record Papermill writes and keeps each notebook in its own
namespace; the cache of tidy tables gives
the same tables cold or warm and survives damage; the fast paths of the cleaner agree with the
plain rules they stand for. (No timings here: benchmarks/bench.py prints those.)"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing as mp
import random
import shutil
import unicodedata
from pathlib import Path

import nbformat
import pytest

from baocao import errors, notebooks, tidycache
from baocao.config import Project

from .conftest import copy_project


# ---------------------------------------------------------------------------- notebooks
def _notebook(path: Path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    params = nbformat.v4.new_code_cell('year = 2023\nproject_dir = "."\nbuild_dir = "build"\nunit = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# thử"), params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


@pytest.fixture
def tiny(tmp_path) -> Project:
    root = copy_project(tmp_path / "p", years=[2023])
    return Project(root, root / "build")


def _outputs(path: Path) -> list[list[dict]]:
    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)  # multi-line text as one string
    return [json.loads(json.dumps(c.get("outputs", []))) for c in nb.cells if c.cell_type == "code"]


def test_each_notebook_has_a_namespace_of_its_own(tiny):
    _notebook(
        tiny.notebooks_dir / "a.ipynb",
        "import pandas as pd\nleaked = 41\npd.set_option('display.max_rows', 7)\nleaked + 1",
    )
    _notebook(
        tiny.notebooks_dir / "b.ipynb",
        "import pandas as pd\nprint('leaked' in globals(), pd.get_option('display.max_rows'))",
        "print(len(Out))",
    )
    build = tiny.build_dir(2023)
    with notebooks.NotebookKernel() as kernel:  # as a build runs them: one kernel, in turn
        a = kernel.run(tiny, "a.ipynb", 2023, build)
        b = kernel.run(tiny, "b.ipynb", 2023, build)
    out_a = _outputs(a)
    assert out_a[-1] == [
        {"data": {"text/plain": "42"}, "execution_count": 3, "metadata": {}, "output_type": "execute_result"}
    ]
    out_b = _outputs(b)
    assert out_b[-2] == [{"name": "stdout", "output_type": "stream", "text": "False 60\n"}]  # a's name and option gone
    assert out_b[-1][0]["text"] == "0\n"  # no Out of notebook a
    counts = [
        c.get("execution_count") for c in json.loads(b.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"
    ]
    assert counts == [1, 2, 3, 4]  # counted from 1 again, the injected parameters included
    import pandas as pd

    assert pd.get_option("display.max_rows") == 60  # and the builder's own pandas is as it was


def test_a_failing_cell_fails_the_step_with_its_error(tiny):
    _notebook(tiny.notebooks_dir / "bad.ipynb", "print('trước')", "raise ValueError('hỏng')", "print('sau')")
    with pytest.raises(errors.NotebookFailed) as info:
        notebooks.run_notebook(tiny, "bad.ipynb", 2023, tiny.build_dir(2023))
    assert "ValueError: hỏng" in info.value.message_en
    outs = _outputs(tiny.build_dir(2023) / "notebooks" / "bad.ipynb")
    assert outs[-2][0]["output_type"] == "error" and outs[-2][0]["ename"] == "ValueError"
    assert outs[-1] == []  # the cells after the error do not run


def test_an_interrupt_during_a_notebook_stops_the_build_and_its_kernels(tiny):
    """Ctrl-C (or the CLI's SIGTERM) while a cell runs: the build stops there, and no kernel it
    started is left running."""
    import os
    import signal
    import threading

    import psutil

    _notebook(tiny.notebooks_dir / "stop.ipynb", "import time\ntime.sleep(600)")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    timer = threading.Timer(3.0, os.kill, (os.getpid(), signal.SIGINT))  # as Ctrl-C
    with pytest.raises(KeyboardInterrupt), notebooks.NotebookKernel() as kernel:
        kernel.start(tiny)
        timer.start()
        kernel.run(tiny, "stop.ipynb", 2023, tiny.build_dir(2023))
    timer.cancel()
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before and p.is_running()]
    assert [p for p in left if p.status() != psutil.STATUS_ZOMBIE] == []


def _kernel_pid(path: Path) -> int:
    return int(_outputs(path)[-1][0]["text"])


def test_the_kernel_is_kept_across_builds_and_replaced_after_a_failure(tiny):
    """A batch worker's kernel runs notebook after notebook (the libraries imported once); a
    notebook that fails takes its kernel with it, and the next notebook gets a fresh one."""
    _notebook(tiny.notebooks_dir / "pid.ipynb", "import os\nprint(os.getpid())")
    _notebook(tiny.notebooks_dir / "bad.ipynb", "raise ValueError('hỏng')")
    build = tiny.build_dir(2023)
    with notebooks.NotebookKernel() as kernel:
        first = _kernel_pid(kernel.run(tiny, "pid.ipynb", 2023, build))
        again = _kernel_pid(kernel.run(tiny, "pid.ipynb", 2024, tiny.build_dir(2024)))
        with pytest.raises(errors.NotebookFailed):
            kernel.run(tiny, "bad.ipynb", 2023, build)
        after = _kernel_pid(kernel.run(tiny, "pid.ipynb", 2023, build))
    assert first == again and after != first


@pytest.mark.e2e
def test_the_builds_record_is_papermills(tmp_path):
    """Both real notebooks of two years, run as a batch worker runs them (one kernel, its
    session reset between notebooks) and as Papermill runs them on its own (a fresh kernel each):
    the same bytes, and the record names the engine."""
    root = copy_project(tmp_path / "p", years=[2021, 2022, 2023])
    project = Project(root, root / "build")
    names = ["01_clean.ipynb", "02_analyze.ipynb"]
    records = {}
    for how in ("kept", "papermill"):
        shutil.rmtree(root / "build", ignore_errors=True)
        with notebooks.NotebookKernel() as kernel:
            for year in (2023, 2022):
                build = root / "build" / f".{year}.staging"  # the folder name a build records
                for name in names:
                    if how == "kept":
                        kernel.run(project, name, year, build)
                    else:
                        notebooks.run_notebook(project, name, year, build)
                records[how, year] = {p.name: p.read_bytes() for p in (build / "notebooks").iterdir()}
    for year in (2023, 2022):
        assert records["kept", year] == records["papermill", year]
        for data in records["kept", year].values():
            assert json.loads(data)["metadata"]["baocao"]["engine"] == notebooks.ENGINE


# ---------------------------------------------------------------------------- tidy cache
def _frames_equal(a: dict, b: dict) -> None:
    import pandas.testing as pdt

    assert sorted(a) == sorted(b)
    for name in a:
        pdt.assert_frame_equal(a[name], b[name], check_exact=True)


@pytest.fixture
def history(tmp_path) -> Project:
    root = copy_project(tmp_path / "h", years=[2022])
    return Project(root, root / "build")


def test_cold_and_warm_cache_give_the_same_tables(history):
    cold = tidycache.cleaned_tables(history, 2022)
    entries = list(tidycache.cache_dir(history).glob("2022-*"))
    assert len(entries) == 1 and (entries[0] / tidycache.ENTRY).is_file()
    warm = tidycache.cleaned_tables(history, 2022)
    _frames_equal(cold, warm)
    from baocao.clean import clean_year, read_clean, write_clean

    # …and they are exactly what the clean step's CSV round trip gives
    result = clean_year(history, 2022)
    write_clean(result, history.root / "rt")
    _frames_equal(cold, read_clean(history.root / "rt", history))


@pytest.mark.parametrize("damage", ["flip-byte", "delete-file", "garbage-entry", "other-key"])
def test_a_damaged_entry_is_ignored_and_made_again(history, damage):
    good = tidycache.cleaned_tables(history, 2022)
    entry = next(tidycache.cache_dir(history).glob("2022-*"))
    table = entry / "activity.csv"
    if damage == "flip-byte":
        data = bytearray(table.read_bytes())
        data[len(data) // 2] ^= 0x01
        table.write_bytes(bytes(data))
    elif damage == "delete-file":
        table.unlink()
    elif damage == "garbage-entry":
        (entry / tidycache.ENTRY).write_text("{not json", encoding="utf-8")
    else:
        meta = json.loads((entry / tidycache.ENTRY).read_text(encoding="utf-8"))
        meta["key"] = "0" * 64
        (entry / tidycache.ENTRY).write_text(json.dumps(meta), encoding="utf-8")
    again = tidycache.cleaned_tables(history, 2022)
    _frames_equal(good, again)
    entries = list(tidycache.cache_dir(history).glob("2022-*"))
    assert len(entries) == 1 and tidycache._verified(history, entries[0], tidycache.cache_key(history, 2022))


def test_an_edited_raw_file_is_a_new_key(history):
    before = tidycache.cache_key(history, 2022)
    path = next(history.raw_dir(2022).glob("*.xlsx"))
    path.write_bytes(path.read_bytes() + b"\0")
    assert tidycache.cache_key(history, 2022) != before
    narrative = history.raw_dir(2022) / "nhan-dinh.md"
    key = tidycache.cache_key(history, 2022)
    narrative.write_text("Khác.\n", encoding="utf-8")
    assert tidycache.cache_key(history, 2022) == key  # the narrative is not cleaned


def _clean_in_child(root: str, queue) -> None:
    project = Project(Path(root), Path(root) / "build")
    tables = tidycache.cleaned_tables(project, 2022)
    queue.put(sorted((name, len(frame)) for name, frame in tables.items()))


def test_two_builds_filling_the_same_entry_at_once(history):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_clean_in_child, args=(str(history.root), queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    assert results[0] == results[1]
    assert len(list(tidycache.cache_dir(history).glob("2022-*"))) == 1
    assert not [p for p in tidycache.cache_dir(history).iterdir() if p.name.startswith(".tmp-")]


# ---------------------------------------------------------------------------- fast paths
def test_installed_packages_as_importlib_reads_them():
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from baocao.manifest import dependency_closure

    seen: dict[str, str] = {}
    todo = ["baocao"]
    while todo:
        try:
            dist = metadata.distribution(todo.pop())
        except metadata.PackageNotFoundError:
            continue
        key = canonicalize_name(dist.metadata["Name"])
        if key in seen:
            continue
        seen[key] = dist.version
        todo += [
            r.name
            for r in map(Requirement, dist.requires or ())
            if r.marker is None or r.marker.evaluate({"extra": ""})
        ]
    seen.pop("baocao", None)
    assert dependency_closure() == seen


def test_folded_keys_and_yaml_are_memoised_safely(tmp_path):
    from baocao.config import load_yaml
    from baocao.textenc import fold_key

    assert (fold_key("Số lượt người"), fold_key(1), fold_key(1.0), fold_key(True)) == ("soluotnguoi", "1", "10", "true")
    path = tmp_path / "x.yml"
    path.write_text("a: [1, 2]\n", encoding="utf-8")
    first = load_yaml(path)
    first["a"].append(3)  # a caller's change does not reach the next reader
    assert load_yaml(path) == {"a": [1, 2]}
    path.write_text("a: [5]\n", encoding="utf-8")
    assert load_yaml(path) == {"a": [5]}


def _csv_text(rows: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["STT", "Ngày", "Khu", "Nội dung", "Ghi chú"])
    for i in range(rows):
        row = [
            str(i + 1),
            f"{rng.randint(1, 28)}/3/2023",
            rng.choice(["Khu 1", "khu 2", ""]),
            f"Hoạt động\nsố {i}" if i % 997 == 0 else f"Hoạt động số {i}",
            rng.choice(["", "x", "ghi chú"]),
        ]
        if i % 101 == 0:
            row = row[: rng.randint(0, 4)]  # a short row
        if i % 211 == 0:
            row.append("thừa")  # a long one
        w.writerow(row)
    return out.getvalue()


def test_csv_columns_hold_every_cell_as_read():
    from baocao.readers.csvfile import _csv_columns

    text = _csv_text(120_005)
    head, cols = _csv_columns(text, csv.excel)
    rows = list(csv.reader(io.StringIO(text), csv.excel))
    assert cols.nrows == len(rows)
    for j in range(cols.width):
        codes, uniques = cols.codes[j], cols.uniques[j]
        got = [uniques[c] for c in codes.tolist()]
        want = [(r[j] if j < len(r) and r[j] != "" else None) for r in rows]
        assert got == want, j
        present = [u for u in uniques if u is not None]
        assert len(present) == len(set(present))  # each distinct value once


def test_plain_texts_follow_their_rule():
    import numpy as np

    from baocao.clean import convert

    def rule(u) -> bool:
        return (
            u.__class__ is str
            and 0 < len(u) <= convert.LONG_TEXT
            and (u.isascii() or not convert._LEGACY_RE.search(u) or convert._VN_SPECIFIC_RE.search(u) is not None)
            and "\n" not in u
            and unicodedata.is_normalized("NFC", u)
            and convert._PLAIN_TEXT_BAD.search(u) is None
        )

    from baocao.textenc import LEGACY_CHARS, VN_SPECIFIC

    alphabet = (
        list("abcxyz AĐđ#\n\t\r  ")
        + sorted(LEGACY_CHARS)[:40]
        + sorted(VN_SPECIFIC)[:40]
        + ["\u200b", "\u0301", "e\u0301", "\x01", "\xad", "\u2028"]
    )
    rng = random.Random(5)
    for _ in range(400):
        uniques = []
        for _ in range(rng.choice([65, 150, 400])):
            r = rng.random()
            uniques.append(
                None
                if r < 0.04
                else rng.randint(0, 9)
                if r < 0.07
                else ""
                if r < 0.09
                else "x" * rng.choice([999, 1000, 1001])
                if r < 0.1
                else "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
            )
        uniques = list(dict.fromkeys(uniques))
        if len(uniques) <= 64:
            continue
        assert convert._plain_texts(uniques).tolist() == [rule(u) for u in uniques]
        assert isinstance(convert._plain_texts(uniques), np.ndarray)


def test_row_tests_over_a_column_follow_each_test():
    from baocao.parse import is_blank
    from baocao.readers import sheet

    rng = random.Random(8)
    words = [
        "Tổng cộng",
        "Cộng tháng 1",
        "Người lập biểu",
        "Bình Ngọc, ngày 5 tháng 12 năm 2023",
        " ",
        "\u00a0",
        "",
        "Khu 1",
        "12",
        "(Ký, ghi rõ họ tên)",
        "TRƯỞNG BAN",
        "Hoạt động",
        "cộng đồng",
        "Kế toán",
        "-",
    ]
    for trial in range(60):
        uniques = list(
            dict.fromkeys(
                rng.choice(words) + (str(rng.randint(0, 50)) if rng.random() < 0.3 else "") for _ in range(300)
            )
        )
        uniques += [None, 3, 2.5] + (["a\nb"] if trial % 3 == 0 else [])
        tests = [
            (is_blank, sheet._MAYBE_BLANK),
            (sheet.is_signature_label, sheet._MAYBE_SIGNATURE),
            (sheet._is_total_cell, sheet._MAYBE_TOTAL),
        ]
        found = sheet._per_values(uniques, tests)
        for (test, _needs), got in zip(tests, found, strict=True):
            assert got.tolist() == [bool(test(u)) for u in uniques]
