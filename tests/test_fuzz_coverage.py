"""Coverage-guided fuzzing: libFuzzer (atheris) mutates inputs towards the branches of
syndicate's code that no input has reached yet, from each kind's checked-in fixtures.

Each kind runs in a process of its own (``tests/helpers/coverage_fuzz.py``); the checks are
those of the hypothesis tests (:mod:`helpers.fuzz_checks`): an input is refused with a
``ParseError`` naming it, or it gives articles whose RSS and Atom are valid. Any other
outcome ends the run with the traceback and the input saved, which this test shows.

Default run: ``CI_RUNS`` mutated inputs a kind after the seeds, the same ones every time
(fixed seed). Under ``-m soak``: ``SOAK_SECONDS`` of fuzzing a kind with a random seed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
TARGET = HERE / "helpers" / "coverage_fuzz.py"
DATA = HERE / "data"
SEEDS = {
    "text": [DATA / "sources" / "text"],
    "markdown": [DATA / "sources" / "markdown"],
    "html": [DATA / "sources" / "html"],
    "json": [DATA / "sources" / "json"],
    "feed": [DATA / "sources" / "feed", DATA / "upstream"],
}
CI_RUNS = 300
SOAK_SECONDS = 120
MAX_LEN = 20_000  # bytes per input: past the fixtures' size, so mutations can grow them


def _seed_folder(kind: str, folder: Path) -> Path:
    """The kind's fixtures, inputs only (the expected results are not inputs)."""
    seeds = folder / "seeds"
    seeds.mkdir()
    for source in SEEDS[kind]:
        for path in sorted(source.iterdir()):
            if path.is_file() and not path.name.endswith(".expected.json"):
                shutil.copy(path, seeds / path.name)
    return seeds


@pytest.mark.parametrize(
    "budget",
    [
        pytest.param([f"-runs={CI_RUNS}", "-seed=1"], id="bounded"),
        pytest.param([f"-max_total_time={SOAK_SECONDS}"], id="soak", marks=pytest.mark.soak),
    ],
)
@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_coverage_guided_fuzzing_finds_no_crash(
    kind: str, budget: list[str], tmp_path: Path
) -> None:
    seeds = _seed_folder(kind, tmp_path)
    found = tmp_path / "found"
    found.mkdir()
    command = [
        sys.executable,
        str(TARGET),
        kind,
        *budget,
        f"-max_len={MAX_LEN}",
        f"-artifact_prefix={found}/",
        "-print_final_stats=1",
        str(seeds),
    ]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=SOAK_SECONDS * 2
    )
    log = done.stdout + done.stderr
    crashes = sorted(p.name for p in found.iterdir())
    assert done.returncode == 0 and not crashes, f"{crashes}\n{log[-4000:]}"
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    assert runs is not None and int(runs.group(1)) > 0, log[-2000:]
    print(f"\n{kind}: {runs.group(1)} inputs run, no crash")
