#!/usr/bin/env python3
"""Cut the npm package snowball-stemmers (one UMD file of every language) into
classic scripts that a page opened from disk can load: a base and one file per
language, so that a site loads only its own language's stemmer.

    npm pack snowball-stemmers@0.6.0 && tar xzf snowball-stemmers-0.6.0.tgz
    python tools/vendor_snowball.py package/snowball-stemmers.js site_templates/assets/snowball

base.js defines window.__snowball (the shared classes and helpers); LANG.js adds
window.__snowball.algorithms.LANG.  The code is the package's, unchanged but
for the lines that join the pieces.  Only the languages whose stems were found
equal to those of the Python package snowballstemmer 2.2 are cut (LANGUAGES).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

LANGUAGES = [
    "armenian", "basque", "catalan", "danish", "dutch", "english", "finnish", "french", "german", "hungarian",
    "irish", "italian", "norwegian", "portuguese", "romanian", "russian", "spanish", "swedish", "turkish",
]
SHARED = ["_typeof", "_possibleConstructorReturn", "_inherits", "_classCallCheck", "_createClass", "_get",
          "StringBuffer", "StringBuilder", "Among", "SnowballProgram", "SnowballStemmer"]
HEADER = ("// Snowball stemmers, from the npm package snowball-stemmers 0.6.0 (a JavaScript build of\n"
          "// the Snowball algorithms, https://github.com/mazko/jssnowball); see LICENSE beside this file.\n"
          "// Cut into one script per language by tools/vendor_snowball.py.\n")
CLASS = re.compile(r"^    var (\w+)Stemmer = function \(_SnowballStemmer\d*\) \{$", re.MULTILINE)


def main(source: Path, out: Path) -> None:
    text = source.read_text(encoding="utf-8")
    typeof, _, rest = text.partition("\n")
    starts = [(m.group(1), m.start()) for m in CLASS.finditer(rest)]
    end = rest.index("\n    function newStemmer(")
    body_start = rest.index("    function _possibleConstructorReturn(")
    base = rest[body_start:starts[0][1]]
    out.mkdir(parents=True, exist_ok=True)
    exported = ", ".join(f"{name}: {name}" for name in SHARED)
    (out / "base.js").write_text(
        f"{HEADER}(function (global) {{\n    'use strict';\n    {typeof}\n\n{base}"
        f"    global.__snowball = {{ {exported}, algorithms: {{}} }};\n}})(this);\n", encoding="utf-8")
    imported = "".join(f"    var {name} = shared.{name};\n" for name in SHARED)
    bounds = [*starts, ("", end)]
    for (name, start), (_, stop) in zip(bounds, bounds[1:], strict=False):
        if name not in LANGUAGES:
            continue
        (out / f"{name}.js").write_text(
            f"{HEADER}(function (shared) {{\n    'use strict';\n{imported}\n{rest[start:stop]}"
            f"    shared.algorithms.{name} = {name}Stemmer;\n}})(this.__snowball);\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
