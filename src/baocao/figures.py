"""Charts of the report, drawn from metrics.json alone (so they follow from the numbers).

Byte-identical output (RELIABILITY.md §3): a fixed ``svg.hashsalt``, no date in the metadata,
text drawn as paths (no font needed by the viewer or by typst), and the DejaVu Sans that
ships inside the matplotlib wheel (full Vietnamese coverage). Labels are Vietnamese; numbers on
axes use Vietnamese separators.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_path
from .vnformat import fmt_number

PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6"]

# Charts are drawn at the size they are printed: the report shows them at 95% of the A4 text
# width (210 - 30 - 15 mm = 165 mm; 95% ≈ 6.2 in), so 10 pt here is 10 pt on paper. Heights
# stay at or under ~12 cm so that a chart and its caption fit on a page with some text.
WIDTH = 6.2


@dataclass(frozen=True)
class Figure:
    file: str  # relative to the build folder: figures/<name>.svg
    caption: str
    alt: str


class _Canvas:
    """What the chart functions draw with: figures made directly, as matplotlib's guide to
    embedding does, not through pyplot (no global registry of open figures to close, and less
    to import)."""

    @staticmethod
    def subplots(*args, figsize: tuple[float, float], **kwargs):
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        return fig, fig.subplots(*args, **kwargs)


def _setup() -> type[_Canvas]:
    """The charts' style, from matplotlib's defaults every time (a chart does not depend on
    what was drawn before it, in this process or another)."""
    import matplotlib

    matplotlib.rcdefaults()
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "baocao",
            "svg.fonttype": "path",
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "axes.titlesize": 11,
            "figure.dpi": 100,
            "figure.constrained_layout.use": True,
            "savefig.bbox": "tight",
            "savefig.pad_inches": 0.05,
            "axes.formatter.use_locale": False,
        }
    )
    return _Canvas


def _vn_axis(ax, decimals: int = 0, axis: str = "y"):
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: fmt_number(v, decimals, trim=True))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


# The Word document embeds each chart as PNG (pandoc would need rsvg-convert to turn an SVG
# into the PNG that Word before 2016 shows). The PNG is the SVG rasterised by typst, the engine
# that lays out the PDF: the Word copy shows the very chart of the PDF, and matplotlib does not
# draw every chart a second time (benchmarks/README.md has the figures).
PNG_DPI = 200
_PNG_PAGE = "#set page(width: auto, height: auto, margin: 0pt, fill: white)\n"


def _save(fig, path: Path) -> None:
    """``path`` (.svg, for the HTML, the PDF and, rasterised by :func:`_png_copies`, Word)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="svg", metadata={"Date": None, "Creator": None})


def _png_copies(svgs: list[Path]) -> None:
    """Each SVG as a PNG beside it, at :data:`PNG_DPI`: one typst document, a page per chart
    at the chart's own size (text is drawn as paths, so no font is involved)."""
    import typst

    if not svgs:
        return
    root = svgs[0].parent
    pages = "\n#pagebreak()\n".join(f'#image("{svg.name}")' for svg in svgs)
    # (typst's stub ties the type of root to that of the source, bytes here, and says the
    # result is bytes, where a document of several pages gives a list of them)
    out = typst.compile(  # type: ignore[call-overload]
        (_PNG_PAGE + pages).encode(), root=str(root), format="png", ppi=PNG_DPI, ignore_system_fonts=True
    )
    pngs: list[bytes] = [out] if isinstance(out, bytes) else list(out)
    for svg, png in zip(svgs, pngs, strict=True):
        with atomic_path(svg.with_suffix(".png")) as tmp:
            tmp.write_bytes(png_with_dpi(png, PNG_DPI))


def png_with_dpi(png: bytes, dpi: int) -> bytes:
    """``png`` saying ``dpi`` (its pHYs chunk, written by Pillow): Word and pandoc take a
    picture's size in inches from it (typst writes none, which reads as 96 dpi)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        out = io.BytesIO()
        image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _bar_labels(ax, bars, decimals: int = 0):
    for bar in bars:
        height = bar.get_height()
        ax.annotate(
            fmt_number(height, decimals, trim=True),
            (bar.get_x() + bar.get_width() / 2, height),
            ha="center",
            va="bottom",
            fontsize=9,
            xytext=(0, 2),
            textcoords="offset points",
        )


def _clear_of_the_line(v: float, left: float | None, right: float | None) -> dict:
    """Where a point's label goes so that the line through the point does not cross it: above
    a peak, below a valley, up and to the left on a rising line, up and to the right on a
    falling one."""
    rises_in = left is None or v > left
    rises_out = right is None or right > v
    falls_in = left is None or v < left
    falls_out = right is None or right < v
    if left is None and right is None:
        return {"ha": "center", "va": "bottom", "xytext": (0, 5)}
    if rises_in and rises_out:
        return {"ha": "right", "va": "bottom", "xytext": (-5, 4)}
    if falls_in and falls_out:
        return {"ha": "left", "va": "bottom", "xytext": (5, 4)}
    if (left is None or v < left) and (right is None or right > v):  # a valley
        return {"ha": "center", "va": "top", "xytext": (0, -6)}
    return {"ha": "center", "va": "bottom", "xytext": (0, 5)}  # a peak, or flat


#: The charts in report order, each the name of its function below.
CHARTS = (
    "_fund_by_year",
    "_activities_by_area",
    "_rates_by_year",
    "_petitions_by_month",
    "_fund_by_purpose",
    "_against_targets",
)


def make_figures(metrics: dict, out_dir: Path) -> list[Figure]:
    """Draw every chart into ``out_dir`` (build/<year>/figures); return them in report order."""
    years = [int(y) for y in metrics["compared_years"]] + [metrics["year"]]
    drawn = draw_charts(CHARTS, metrics, years, Path(out_dir))
    return [f for f in (drawn[name] for name in CHARTS) if f is not None]


def draw_chart(name: str, metrics: dict, years: list[int], out_dir: Path) -> Figure | None:
    """One chart of :data:`CHARTS`, as its SVG in ``out_dir``; None when there is nothing to draw."""
    if name not in CHARTS:
        raise ValueError(f"unknown chart {name!r}")
    return globals()[name](_setup(), metrics, years, Path(out_dir))


def draw_charts(names: Sequence[str], metrics: dict, years: list[int], out_dir: Path) -> dict[str, Figure | None]:
    """:func:`draw_chart` for each name, then their PNG copies."""
    drawn = {name: draw_chart(name, metrics, years, out_dir) for name in names}
    _png_copies([out_dir / Path(f.file).name for f in drawn.values() if f is not None])
    return drawn


def _series(indicator: dict, years: list[int], year: int) -> list:
    """An indicator's value in each of ``years``: its history, and this year's value."""
    return [indicator["history"].get(str(y)) if y != year else indicator["value"] for y in years]


def _fund_by_year(canvas, metrics: dict, years: list[int], out_dir: Path) -> Figure:
    """Quỹ "Vì người nghèo" over the years: collected and paid, side by side."""
    year, ind = metrics["year"], metrics["indicators"]
    fig, ax = canvas.subplots(figsize=(WIDTH, 2.9))
    width = 0.38
    thu = _series(ind["quy_vnn_thu"], years, year)
    chi = _series(ind["quy_vnn_chi"], years, year)
    xs = range(len(years))
    b1 = ax.bar([x - width / 2 for x in xs], [v or 0 for v in thu], width, label="Vận động (thu)", color=PALETTE[0])
    b2 = ax.bar([x + width / 2 for x in xs], [v or 0 for v in chi], width, label="Chi hỗ trợ", color=PALETTE[1])
    _bar_labels(ax, b1, 1)
    _bar_labels(ax, b2, 1)
    ax.set_xticks(list(xs), [f"Năm {y}" for y in years])
    ax.set_ylabel("triệu đồng")
    _vn_axis(ax)
    ax.margins(y=0.12)  # room for the value labels above the tallest bar
    # The legend sits above the plot, where no bar or label can be under it.
    ax.legend(frameon=False, ncols=2, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    _save(fig, out_dir / "quy-vnn.svg")
    return Figure(
        "figures/quy-vnn.svg",
        f'Quỹ "Vì người nghèo" qua các năm {years[0]}–{year} (triệu đồng)',
        "Biểu đồ cột: số tiền vận động và chi của Quỹ Vì người nghèo theo từng năm, đơn vị triệu đồng",
    )


def _activities_by_area(canvas, metrics: dict, years: list[int], out_dir: Path) -> Figure:
    """Sessions and participants per khu."""
    areas = metrics["by_area"]
    fig, (ax1, ax2) = canvas.subplots(1, 2, figsize=(WIDTH, 2.9))
    names = [a["name"] for a in areas]
    bars = ax1.bar(names, [a["sessions"] or 0 for a in areas], color=PALETTE[0])
    _bar_labels(ax1, bars)
    ax1.set_title("Số cuộc hoạt động", pad=10)
    _vn_axis(ax1)
    ax1.margins(y=0.12)
    bars = ax2.bar(names, [a["participants"] or 0 for a in areas], color=PALETTE[2])
    _bar_labels(ax2, bars)
    ax2.set_title("Số lượt người tham gia", pad=10)
    _vn_axis(ax2)
    ax2.margins(y=0.12)
    _save(fig, out_dir / "hoat-dong-khu.svg")
    title = (
        metrics.get("breakdowns", {})
        .get("ban_ctmt_theo_khu", {})
        .get("title", "Hoạt động của các Ban Công tác Mặt trận khu dân cư")
    )
    return Figure(
        "figures/hoat-dong-khu.svg",
        f"{title} năm {metrics['year']}",
        "Hai biểu đồ cột: số cuộc hoạt động và số lượt người tham gia ở từng khu dân cư",
    )


def _rates_by_year(canvas, metrics: dict, years: list[int], out_dir: Path) -> Figure:
    """The share of cultured families (GĐVH) and of poor households over the years."""
    year, ind = metrics["year"], metrics["indicators"]
    fig, (ax1, ax2) = canvas.subplots(1, 2, figsize=(WIDTH, 2.7))
    for ax, code, color, title in (
        (ax1, "ty_le_gdvh", PALETTE[2], "Tỷ lệ hộ gia đình văn hóa (%)"),
        (ax2, "ty_le_ho_ngheo", PALETTE[1], "Tỷ lệ hộ nghèo (%)"),  # each year at its own data cut-off
    ):
        vals = _series(ind[code], years, year)
        pts = [(str(y), v) for y, v in zip(years, vals, strict=True) if v is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=color)
        decimals = ind[code].get("declared_decimals", 1)
        for k, (x, v) in enumerate(pts):
            left = pts[k - 1][1] if k else None
            right = pts[k + 1][1] if k + 1 < len(pts) else None
            ax.annotate(
                fmt_number(v, decimals),
                (x, v),
                fontsize=9,
                textcoords="offset points",
                **_clear_of_the_line(v, left, right),
            )
        ax.set_title(title, pad=10)
        _vn_axis(ax, 1)
        ax.margins(x=0.2, y=0.3)  # labels stay inside the plot, away from the axes
    _save(fig, out_dir / "gdvh-ho-ngheo.svg")
    return Figure(
        "figures/gdvh-ho-ngheo.svg",
        f"Tỷ lệ hộ gia đình văn hóa và hộ nghèo, {years[0]}–{year}",
        "Hai biểu đồ đường: tỷ lệ hộ đạt gia đình văn hóa và tỷ lệ hộ nghèo theo từng năm",
    )


def _petitions_by_month(canvas, metrics: dict, years: list[int], out_dir: Path) -> Figure:
    """Petitions per month: answered and pending stacked, received as a line."""
    months = metrics["petitions_by_month"]
    fig, ax = canvas.subplots(figsize=(WIDTH, 2.9))
    labels = [f"T{m['month']}" for m in months]
    answered = [m["answered"] for m in months]
    pending = [m["pending"] for m in months]
    ax.bar(labels, answered, color=PALETTE[2], label="Đã trả lời")
    ax.bar(labels, pending, bottom=answered, color=PALETTE[1], label="Đang giải quyết")
    ax.plot(labels, [m["received"] for m in months], color=PALETTE[0], marker="o", linewidth=1, label="Tiếp nhận")
    ax.set_ylabel("ý kiến, kiến nghị")
    _vn_axis(ax)
    ax.legend(frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    _save(fig, out_dir / "kien-nghi-thang.svg")
    return Figure(
        "figures/kien-nghi-thang.svg",
        f"Ý kiến, kiến nghị của cử tri và nhân dân theo tháng năm {metrics['year']}",
        "Biểu đồ cột chồng theo 12 tháng: số kiến nghị đã trả lời và đang giải quyết, đường số tiếp nhận",
    )


def _fund_by_purpose(canvas, metrics: dict, years: list[int], out_dir: Path) -> Figure | None:
    """The fund's payments by purpose (none drawn when nothing was paid)."""
    purposes = metrics["fund"]["by_purpose"]
    if not purposes:
        return None
    fig, ax = canvas.subplots(figsize=(WIDTH, 0.6 + 0.3 * len(purposes)))
    rows = sorted(purposes, key=lambda p: (p["amount"], p["name"]))
    bars = ax.barh([p["name"] for p in rows], [p["amount"] / 1e6 for p in rows], color=PALETTE[0])
    for bar in bars:
        ax.annotate(
            fmt_number(bar.get_width(), 1, trim=True),
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            va="center",
            fontsize=9,
            xytext=(3, 0),
            textcoords="offset points",
        )
    ax.set_xlabel("triệu đồng")
    _vn_axis(ax, 0, "x")
    ax.margins(x=0.12)
    _save(fig, out_dir / "chi-quy-muc-dich.svg")
    return Figure(
        "figures/chi-quy-muc-dich.svg",
        f'Chi Quỹ "Vì người nghèo" năm {metrics["year"]} theo mục đích (triệu đồng)',
        "Biểu đồ thanh ngang: số tiền chi của Quỹ theo từng mục đích",
    )


def _against_targets(canvas, metrics: dict, years: list[int], out_dir: Path) -> Figure | None:
    """Each indicator's result as a share of its target (none drawn when none has a target)."""
    rows = [i for i in metrics["indicators"].values() if i["achievement_pct"] is not None]
    if not rows:
        return None
    rows.sort(key=lambda i: (i["achievement_pct"], i["code"]))
    fig, ax = canvas.subplots(figsize=(WIDTH, 0.7 + 0.3 * len(rows)))
    colors = [PALETTE[2] if i["status"] != "chưa đạt" else PALETTE[1] for i in rows]
    # Long names on two lines, so that the bars keep half of the width.
    labels = [textwrap.fill(i["name"], 34) for i in rows]
    bars = ax.barh(labels, [i["achievement_pct"] for i in rows], color=colors)
    ax.axvline(100, color="#444444", linewidth=1, linestyle="--")
    # The values in a column to the right of the plot: the 100% line never crosses them.
    for bar, i in zip(bars, rows, strict=True):
        ax.annotate(
            fmt_number(i["achievement_pct"], i.get("achievement_decimals", 1)) + "%",
            (1.0, bar.get_y() + bar.get_height() / 2),
            xycoords=("axes fraction", "data"),
            ha="left",
            va="center",
            fontsize=9,
            xytext=(6, 0),
            textcoords="offset points",
        )
    ax.set_xlabel("% kế hoạch")
    _vn_axis(ax, 0, "x")
    ax.tick_params(axis="y", labelsize=9)
    ax.set_xlim(0, max(110.0, max(i["achievement_pct"] for i in rows) * 1.03))
    _save(fig, out_dir / "chi-tieu.svg")
    return Figure(
        "figures/chi-tieu.svg",
        f"Mức độ thực hiện chỉ tiêu năm {metrics['year']} (% kế hoạch)",
        "Biểu đồ thanh ngang: phần trăm kế hoạch đạt được của từng chỉ tiêu, vạch đứt là 100%",
    )


def years_chart(series: dict[str, dict[int, float | None]], path: Path) -> Path:
    """The site's chart of a unit: one small panel per indicator (its value in each year).

    ``series`` maps an indicator's short name to its value per year. Deterministic like the
    report's charts (:func:`_save`)."""
    import math
    import textwrap

    canvas = _setup()
    names = list(series)
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = canvas.subplots(rows, cols, figsize=(3.4 * cols, 2.7 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        years = [y for y in sorted(series[name]) if series[name][y] is not None]  # no bar for a year without it
        values = [float(series[name][y]) for y in years]  # type: ignore[arg-type]  # None filtered out
        bars = ax.bar([str(y) for y in years], values, color="#4a6fa5")
        ax.set_title("\n".join(textwrap.wrap(name, 40)[:3]), fontsize=9)
        decimals = 0 if all(v.is_integer() for v in values) else 1
        _vn_axis(ax, decimals)
        _bar_labels(ax, bars, decimals)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(fig, path)
    return path
