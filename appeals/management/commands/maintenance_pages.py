"""Write the page nginx shows while the app is down, once per interface language,
and once more in the default language for an address in any other."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


class Command(BaseCommand):
    help = (
        "Write DIRECTORY/<language>.html for every interface language, and "
        "DIRECTORY/default.html in the default one: the page nginx answers (503) "
        "to a form sent or a page not in its cache while the app is down "
        "(deploy/nginx/appealsite.conf). Run it after collectstatic and after "
        "changing INTERFACE_LANGUAGES: the pages name the current static files."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options):
        directory.mkdir(parents=True, exist_ok=True)
        pages = [(code, code) for code, _name in settings.LANGUAGES]
        pages.append(("default", settings.LANGUAGE_CODE))
        for name, code in pages:
            with translation.override(code):
                page = render_to_string(
                    "maintenance.html",
                    {
                        "site_name": settings.SITE_NAME,
                        "home_url": reverse("appeals:list"),
                    },
                )
            path = directory / f"{name}.html"
            # Written whole, then renamed: nginx never serves half a page.
            partial = path.with_suffix(".partial")
            partial.write_text(page, encoding="utf-8")
            partial.replace(path)
        self.stdout.write(f"Wrote {len(pages)} pages to {directory}")
