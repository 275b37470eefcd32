"""The search index: Pagefind, run over the rendered pages (no network)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pagefind_bin

from . import search_stable

INDEX_FOLDER = "pagefind"


class SearchError(Exception):
    """Pagefind failed; the message is one line for the user."""


def run_pagefind(site: Path, *, language: str, output: Path | None = None) -> int:
    """Index the pages of `site` that mark a body to index into `output` (by
    default `site`); returns the page count.

    One language for the whole index: a search from any page then finds
    articles in every language (Pagefind otherwise splits indexes by `lang`)."""
    command = [
        str(pagefind_bin.get_executable()),
        "--site", str(site),
        "--output-path", str((output or site) / INDEX_FOLDER),
        "--force-language", language.split("-")[0].lower(),
        "--keep-index-url",
        "--silent",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise SearchError(f"pagefind failed: {detail[-1] if detail else f'exit {result.returncode}'}")
    search_stable.stabilise((output or site) / INDEX_FOLDER)
    return indexed_pages((output or site) / INDEX_FOLDER)


def indexed_pages(index: Path) -> int:
    entry = json.loads((index / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())
