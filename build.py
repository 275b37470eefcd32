#!/usr/bin/env python3
"""Build the site: `python build.py --help` lists the options."""

import sys

try:
    from broadsheet.cli import run
except ModuleNotFoundError as missing:
    # Run by a Python without the libraries (not the set-up environment): one line, not a trace.
    if (missing.name or "").partition(".")[0] == "broadsheet":
        raise
    sys.exit(f"build.py: the library {missing.name!r} is not installed in {sys.executable}; set up first with "
             "'python3 -m venv .venv && .venv/bin/pip install -e .', then run '.venv/bin/python build.py'")

if __name__ == "__main__":
    run(prog="build.py")
