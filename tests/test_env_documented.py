"""The README's configuration table must list exactly the variables the code declares."""

import re
from pathlib import Path

from casetracker.env import VARIABLES

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_declared_variable_is_in_the_readme_table():
    rows = re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert sorted(rows) == sorted(VARIABLES)
