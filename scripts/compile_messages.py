"""Compile locale/*/LC_MESSAGES/django.po into the .mo files committed beside them, in pure Python.

Django's ``compilemessages`` needs GNU gettext (msgfmt), which a fresh machine may lack; the compiled
catalogues are committed instead, so ``./bin/demo`` and ``./bin/test`` need no gettext tools, and this
script (polib, a test dependency) rebuilds them after the .po changes. tests/i18n/test_catalogue.py
fails while a .mo differs from its .po, naming this command.

    .venv/bin/python scripts/compile_messages.py          # rewrite the .mo files
    .venv/bin/python scripts/compile_messages.py --check  # exit 1 if one is out of date
    .venv/bin/python scripts/compile_messages.py --merge vi_new.txt  # add translations, then compile

A ``--merge`` file has one ``English source<TAB>Vietnamese`` line per string (``#`` lines are skipped;
a plural entry takes the line of its plural source, or of its singular);
it fills the Vietnamese catalogue's entries with those msgids (run makemessages first so they exist).

Extracting new strings still needs xgettext, on a translator's machine only:
``DEBUG=true .venv/bin/python manage.py makemessages -l vi --add-location=file --ignore "tests/*"
--ignore "staticfiles/*" --ignore "docs/*" --ignore "scripts/*"``.
"""

from __future__ import annotations

import argparse
import gettext
import io
import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Every django.po under ``locale_dir``."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/django.po"))


def compiled_bytes(po_path: Path) -> bytes:
    """The .mo a .po compiles to: translated entries only (fuzzy, obsolete and empty ones are left out,
    as msgfmt does)."""
    return polib.pofile(str(po_path)).to_binary()


def messages_of(mo_bytes: bytes) -> dict[object, str]:
    """A compiled catalogue's messages as Python's gettext reads them (what Django will serve)."""
    return dict(gettext.GNUTranslations(io.BytesIO(mo_bytes))._catalog)


def out_of_date(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """The .po files whose committed .mo is missing or serves different messages."""
    stale = []
    for po_path in catalogues(locale_dir):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or messages_of(mo_path.read_bytes()) != messages_of(compiled_bytes(po_path)):
            stale.append(po_path)
    return stale


def merge(paths: list[Path], po_path: Path = LOCALE_DIR / "vi" / "LC_MESSAGES" / "django.po") -> list[str]:
    """Set the translations given as ``English<TAB>Vietnamese`` lines; returns the sources not in the .po."""
    given: dict[str, str] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "\t" in line and not line.startswith("#"):
                source, text = line.split("\t", 1)
                given[source] = text.strip()
    catalogue = polib.pofile(str(po_path), wrapwidth=110)
    for entry in catalogue:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            # Vietnamese has one plural form: the translation of the plural source (or, failing that, of
            # the singular) serves every count.
            text = given.pop(entry.msgid_plural, None)
            singular = given.pop(entry.msgid, None)
            if text is None and singular is None:
                continue
            entry.msgstr_plural = {0: text if text is not None else singular}
        elif entry.msgid in given:
            entry.msgstr = given.pop(entry.msgid)
        else:
            continue
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalogue.save()
    return sorted(given)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report out-of-date .mo files")
    parser.add_argument("--merge", nargs="+", type=Path, default=[], help="English<TAB>Vietnamese files")
    args = parser.parse_args(argv)
    for source in merge(args.merge) if args.merge else []:
        print(f"not in the catalogue (run makemessages first?): {source!r}")
    stale = out_of_date()
    if args.check:
        for path in stale:
            print(f"{path.with_suffix('.mo')} is out of date")
        return 1 if stale else 0
    for po_path in catalogues():
        po_path.with_suffix(".mo").write_bytes(compiled_bytes(po_path))
        print(f"compiled {po_path.relative_to(LOCALE_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
