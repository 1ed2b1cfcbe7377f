"""Fill locale/uk/LC_MESSAGES/django.po from locale/uk_translations.py.

Run by `make messages` after makemessages; exits non-zero and lists what is
missing when an English text has no Ukrainian translation yet.
"""

import sys
from pathlib import Path

import polib

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "locale"))

from uk_translations import UK  # noqa: E402


def main() -> int:
    catalog = polib.pofile(BASE_DIR / "locale/uk/LC_MESSAGES/django.po")
    missing = []
    for entry in catalog:
        key = f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid
        translation = UK.get(key)
        if translation is None:
            missing.append(key)
            continue
        if entry.msgid_plural:
            one, few, many = translation
            entry.msgstr_plural = {0: one, 1: few, 2: many, 3: many}
        else:
            entry.msgstr = translation
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalog.save()
    for key in missing:
        sys.stderr.write(f"missing Ukrainian translation: {key!r}\n")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
