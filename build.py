#!/usr/bin/env python3
"""Build the site: `python build.py --help` lists the options."""

from broadsheet.cli import run

if __name__ == "__main__":
    run(prog="build.py")
