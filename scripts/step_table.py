"""Write the step table of ARCHITECTURE.md from ``baocao.steps.STEPS``.

Run after changing the table: ``.venv/bin/python scripts/step_table.py``.
tests/test_architecture.py fails while the document and the table differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

from baocao import steps

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "ARCHITECTURE.md"
BEGIN = "<!-- step table: written by scripts/step_table.py from baocao.steps.STEPS; do not edit -->"
END = "<!-- end of step table -->"


def _code(items: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"`{i}`" for i in items)


def runs(step: steps.Step) -> str:
    if step.notebook:
        return f"`notebooks/{step.notebook}` (Papermill)"
    if step.render:
        return f"the renderer: `{step.render}`"
    if step.run is not None:
        return f"`{step.run.__module__}.{step.run.__qualname__}`"
    return "-"


def markdown_table(table: list[steps.Step] | None = None) -> str:
    """The step table as a Markdown table, one row per step, in build order."""
    rows = [
        "| step | label (progress line) | runs | reads | writes (in `build/<year>/`) |",
        "|---|---|---|---|---|",
    ]
    for s in table if table is not None else steps.steps():
        writes = _code(s.outputs("{year}"))  # type: ignore[arg-type]  # the placeholder, as declared
        rows.append(f"| `{s.name}` | {s.label} | {runs(s)} | {_code(s.reads)} | {writes} |")
    return "\n".join(rows)


def section(text: str) -> str:
    """The part of ``text`` between the markers."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n")


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = text[:start] + "\n" + markdown_table() + "\n" + text[end:]
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        print(f"{DOC.name}: step table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
