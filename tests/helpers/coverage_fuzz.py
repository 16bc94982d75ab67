"""Coverage-guided fuzzing of one input kind with atheris (libFuzzer), as a process of its own.

Usage: ``python tests/helpers/coverage_fuzz.py KIND [libFuzzer flags] [SEED_DIR ...]`` with
KIND one of text, markdown, html, json (a file of that kind) or feed (upstream feed bytes).

Hypothesis (``tests/test_fuzz.py``) draws inputs from each kind's vocabulary; libFuzzer mutates
inputs towards the branches of syndicate's own code they have not reached yet, starting from
the seed folders (the kind's checked-in fixtures, written there by the test). Only
``syndicate`` is instrumented. An input that breaks a check of :mod:`.fuzz_checks` ends the
run with its traceback and the input saved under ``-artifact_prefix``; the process then exits
non-zero. libFuzzer calls exit itself, so it runs apart from the test process
(``tests/test_fuzz_coverage.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports(include=["syndicate"]):
    from helpers.fuzz_checks import NAMES, check_feed, check_file

KINDS = (*NAMES, "feed")


def main() -> None:
    kind = sys.argv.pop(1) if len(sys.argv) > 1 else ""
    if kind not in KINDS:
        raise SystemExit(f"usage: coverage_fuzz.py {{{'|'.join(KINDS)}}} [libFuzzer flags]")

    def one(data: bytes) -> None:
        if kind == "feed":
            check_feed(data)
        else:
            check_file(kind, data)

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
