"""docs/architecture.md, the page a newcomer reads first, names only modules that exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
PATH = re.compile(r"`((?:sim|benchmarks|tools|tests|scenarios)/[\w/.-]*)`")


def test_every_path_the_architecture_page_names_exists():
    paths = set(PATH.findall(DOC.read_text(encoding="utf-8")))
    assert len(paths) > 20  # the page is a map of the code, not a summary
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []
