"""Write the Kazakh names of countries (locale/countries/kk/LC_MESSAGES/django.po
and .mo) from the translations Debian's iso-codes package ships.

django-countries, which names the countries on the sign form and the list of
signatories, has no Kazakh catalogue: a Kazakh reader would find "Kazakhstan" in
English. Run it again when django-countries is upgraded; it needs the iso-codes
package (apt-get install iso-codes) and exits non-zero naming any country left
without a name.
"""

import gettext
import json
import os
import sys
from pathlib import Path

import django
import polib

BASE_DIR = Path(__file__).resolve().parent.parent
ISO_CODES = Path("/usr/share/iso-codes/json/iso_3166-1.json")
LANGUAGE = "kk"


def main() -> int:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "appealsite.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    django.setup()
    from django.utils import translation
    from django_countries import Countries
    from django_countries.data import COUNTRIES

    names = gettext.translation("iso_3166-1", "/usr/share/locale", [LANGUAGE])
    iso = {row["alpha_2"]: row for row in json.loads(ISO_CODES.read_text())["3166-1"]}
    catalogue = polib.POFile()
    catalogue.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": LANGUAGE,
        "Plural-Forms": "nplurals=2; plural=(n!=1);",
    }
    missing = []
    with translation.override("en"):
        english = [*COUNTRIES.items(), *Countries.COMMON_NAMES.items()]
        for code, name in sorted((code, str(name)) for code, name in english):
            row = iso.get(code, {})
            candidates = [name, row.get("common_name"), row.get("name")]
            local = next(
                (names.gettext(c) for c in candidates if c and names.gettext(c) != c),
                None,
            )
            if local is None:
                missing.append(f"{code} {name}")
                continue
            if catalogue.find(name) is None:
                catalogue.append(polib.POEntry(msgid=name, msgstr=local))
    target = BASE_DIR / "locale" / "countries" / LANGUAGE / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    catalogue.save(target / "django.po")
    catalogue.save_as_mofile(target / "django.mo")
    for name in missing:
        sys.stderr.write(f"no {LANGUAGE} name for {name}\n")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
