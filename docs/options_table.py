"""Rewrites the table of settings in docs/options.md from the settings'
declarations in broadsheet/config.py: run `python docs/options_table.py`."""

from __future__ import annotations

import sys
from pathlib import Path

from broadsheet.config import options_table

DOC = Path(__file__).resolve().with_name("options.md")
START = "<!-- settings table: made by `python docs/options_table.py` from broadsheet/config.py -->\n"
END = "<!-- end of the settings table -->\n"


def updated(text: str) -> str:
    """`text` with the table between its markers made anew."""
    before, start, rest = text.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"{DOC.name} has no settings table between {START.strip()} and {END.strip()}")
    return before + START + options_table() + END + after


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    new = updated(text)
    if new == text:
        print(f"{DOC} is up to date")
        return 0
    DOC.write_text(new, encoding="utf-8")
    print(f"rewrote the settings table of {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
