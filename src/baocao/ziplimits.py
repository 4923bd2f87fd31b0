"""What a zip may declare before any of it is decompressed: one set of limits against zip
bombs, for the offices' workbooks (:mod:`baocao.readers.workbook`) and the bags that ``verify``
and ``reproduce`` are given (:mod:`baocao.archive.zipsafe`).

Everything is judged from the zip's central directory alone. Real files stay far below the
limits: a year's bag is a few MB, a sheet's XML compresses 5-30 times (Apache POI's
ZipSecureFile refuses 100:1 as this does); a "zip bomb" compresses thousands of times.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The largest zip accepted. The sizes leave room for a province's largest years."""

    max_entries: int = 100_000
    max_entry_bytes: int = 1 << 30  # 1 GiB, one entry once decompressed
    max_total_bytes: int = 4 << 30  # 4 GiB, every entry once decompressed
    max_ratio: int = 100  # decompressed : compressed, for entries above ratio_floor
    ratio_floor: int = 1 << 20  # 1 MiB: small entries may compress as well as they like


LIMITS = Limits()


@dataclass(frozen=True)
class Excess:
    """One limit a zip goes beyond: ``what`` is ``"entries"``, ``"entry"`` (one entry's size),
    ``"ratio"`` (one entry's compression) or ``"total"``; ``name`` is the entry's, or ``"(zip)"``
    for the whole; ``value`` is what the zip declares, ``limit`` what is accepted."""

    what: str
    name: str
    value: int
    limit: int


def excesses(zf: zipfile.ZipFile, limits: Limits = LIMITS) -> list[Excess]:
    """Every limit the zip's directory goes beyond: the number of entries alone if that is
    too large; else each entry too large or too compressed; else the total."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > limits.max_entries:
        return [Excess("entries", "(zip)", len(infos), limits.max_entries)]
    found = []
    for info in infos:
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > limits.max_entry_bytes:
            found.append(Excess("entry", info.filename, size, limits.max_entry_bytes))
        elif size > limits.ratio_floor and size / packed > limits.max_ratio:
            found.append(Excess("ratio", info.filename, size // packed, limits.max_ratio))
    total = sum(i.file_size for i in infos)
    if not found and total > limits.max_total_bytes:
        found.append(Excess("total", "(zip)", total, limits.max_total_bytes))
    return found
