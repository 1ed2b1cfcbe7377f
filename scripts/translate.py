"""Fill each interface catalogue (locale/<language>/LC_MESSAGES/django.po) from its
table of translations (locale/<language>_translations.py).

Run by `make messages` after makemessages; exits non-zero and lists what is
missing when an English text has no translation yet in one of the languages.
Plural entries in the tables give the forms the language has: one, few and many
for Ukrainian and Russian (the catalogues' fourth form, for fractions, takes
"many"), one and other for Kazakh.
"""

import importlib
import sys
from pathlib import Path

import polib

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "locale"))


def tables() -> dict[str, dict]:
    """Each language's table: locale/<language>_translations.py, dict UK, RU..."""
    found = {}
    for path in sorted((BASE_DIR / "locale").glob("*_translations.py")):
        language = path.name.removesuffix("_translations.py")
        found[language] = getattr(importlib.import_module(path.stem), language.upper())
    return found


def plural_forms(forms: tuple[str, ...], count: int) -> dict[int, str]:
    """The catalogue's plural forms from a table's: the last one fills the rest."""
    return {index: forms[min(index, len(forms) - 1)] for index in range(count)}


def fill(language: str, table: dict) -> list[str]:
    """Fill one catalogue from its table; return the keys it lacks."""
    catalog = polib.pofile(BASE_DIR / f"locale/{language}/LC_MESSAGES/django.po")
    plurals = int(catalog.metadata["Plural-Forms"].split("nplurals=")[1].split(";")[0])
    missing = []
    for entry in catalog:
        key = f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid
        translation = table.get(key)
        if translation is None:
            missing.append(key)
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = plural_forms(translation, plurals)
        else:
            entry.msgstr = translation
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalog.save()
    return missing


def main() -> int:
    failed = False
    for language, table in tables().items():
        for key in fill(language, table):
            sys.stderr.write(f"missing {language} translation: {key!r}\n")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
