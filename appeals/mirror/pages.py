"""Render the public pages into files, every link made relative.

From the addresses it is given (each appeal in each interface language, the home
pages), the export follows every link to a page it copies: the signatories'
pages, the updates, the JSON, the other home pages. What it copies is chosen by
view name (COPIED_VIEWS); a link to any other page of the site (a form, the
feed, Join us) leads to the live site.

An address becomes a file under the copy's folder: /en/appeals/x/ is
en/appeals/x/index.html (named in full in links, so the copy works from a folder
on disk or a bucket that serves no index), and a query becomes a folder of its
own (signatures/?before=5 is signatures/before-5/index.html). A part of an
address that could leave the folder (`..`, a slash once decoded) is not copied.
"""

import hashlib
import html
import posixpath
import re
import shutil
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from unittest import mock
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import translation

from appeals.mirror import MIRROR_KEY

COPIED_VIEWS = {
    "appeals:list",
    "appeals:detail",
    "appeals:signatures",
    "appeals:update",
    "appeals:privacy",
    "appeals:card",
    "data:json",
    "data:count_json",
    "data:list_json",
}
# Pages whose query names another page of them (?page=2, ?before=5).
PAGED_VIEWS = {"appeals:list", "appeals:signatures"}

LINK = re.compile(r'(\s(?:href|src)=")([^"]*)(")')
PLAIN_QUERY = re.compile(r"[A-Za-z0-9_=&-]+")
REDIRECTS = {301, 302, 307, 308}
MAX_REDIRECTS = 5  # Followed for a link; a loop ends at the live site.


class PageFailed(Exception):
    """A page of the copy could not be rendered: the copy is not written."""


@dataclass(frozen=True)
class Page:
    body: bytes
    is_html: bool


@contextmanager
def clock_stopped_at(moment: datetime):
    """Render as of `moment`: days left, days waiting for a reply and "as of"
    dates then depend on the data alone, not on the day of the export.

    The clock stops for the whole process: export from a command, never from a
    process that serves readers.
    """
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


class SiteCopy:
    """The pages of one export, rendered, then written with their links made
    relative."""

    def __init__(self, *, as_of: datetime):
        live = urlsplit(settings.SITE_URL)
        self.as_of = as_of
        self.host = live.netloc
        self.secure = live.scheme == "https"
        self.client = Client(HTTP_HOST=live.netloc, **{MIRROR_KEY: as_of})
        self.pages: dict[str, Page] = {}  # Address -> page.
        self.moved: dict[str, str] = {}  # Address -> where it redirects.
        self.assets: dict[str, Path] = {}  # Address -> static or media file.

    def render(self, seeds: list[str]) -> None:
        """Render the seeds and every copied page they lead to."""
        queue = deque(seeds)
        seen = set(seeds)
        with clock_stopped_at(self.as_of):
            while queue:
                url = queue.popleft()
                for link in self._render(url):
                    if link not in seen and self._copies(link):
                        seen.add(link)
                        queue.append(link)

    def _render(self, url: str) -> list[str]:
        self.client.cookies.clear()  # Every page as a first-time reader gets it.
        try:
            response = self.client.get(url, secure=self.secure)
        except Exception as error:  # The view's own error, named with its page.
            raise PageFailed(f"{url}: {error!r}") from error
        if response.status_code in REDIRECTS:
            target = urlsplit(urljoin(url, response["Location"]))
            if target.netloc not in ("", self.host):
                return []  # Elsewhere: the live site is the link.
            self.moved[url] = target._replace(scheme="", netloc="").geturl()
            return [self.moved[url]]
        if response.status_code != 200:
            return []  # Not a page of the copy: its links lead to the live site.
        is_html = response["Content-Type"].startswith("text/html")
        self.pages[url] = Page(body=response.content, is_html=is_html)
        if not is_html:
            return []
        links = []
        for match in LINK.finditer(response.content.decode()):
            link = joined(url, html.unescape(match[2])).partition("#")[0]
            if asset := asset_file(link):
                self.assets[link] = asset
            elif link.startswith("/") and not link.startswith("//"):
                links.append(link)
        return links

    def _copies(self, url: str) -> bool:
        parts = urlsplit(url)
        language = translation.get_language_from_path(parts.path)
        try:
            with translation.override(language or settings.LANGUAGE_CODE):
                view = resolve(parts.path).view_name
        except Resolver404:
            return False
        if view not in COPIED_VIEWS or parts.query and view not in PAGED_VIEWS:
            return False
        return file_for(url) is not None

    def write(self, directory: Path, *, home: str) -> list[str]:
        """Write the pages and their assets under `directory` (the home page also
        as its index.html); return the files written, relative to it."""
        files = {url: file_for(url) for url in [*self.pages, *self.assets]}
        written = []

        def put(name: str, content: bytes | Path) -> None:
            path = (directory / name).resolve()
            if not path.is_relative_to(directory.resolve()):
                raise ValueError(f"{name} is outside {directory}")
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, path)
            else:
                path.write_bytes(content)
            written.append(name)

        for url, page in self.pages.items():
            name = files[url]
            if page.is_html:
                put(name, self._relative(page.body, url=url, name=name, files=files))
            else:
                put(name, page.body)
        for url, asset in self.assets.items():
            put(files[url], asset)
        if home in self.pages:
            put(
                "index.html",
                self._relative(
                    self.pages[home].body, url=home, name="index.html", files=files
                ),
            )
        return sorted(written)

    def _relative(self, body: bytes, *, url: str, name: str, files: dict) -> bytes:
        """The page with each link to the copy made relative to `name`, and each
        link to another page of the site made absolute, to the live site."""
        here = posixpath.dirname(name) or "."

        def rewrite(match: re.Match) -> str:
            value = html.unescape(match[2])
            if (
                value.startswith("#")
                or urlsplit(value).scheme
                or value.startswith("//")
            ):
                return match[0]  # On this page, or elsewhere already.
            address, hash_, fragment = joined(url, value).partition("#")
            for _hop in range(MAX_REDIRECTS):
                address = self.moved.get(address, address)
            if files.get(address):
                link = posixpath.relpath(files[address], here)
            else:
                link = f"{settings.SITE_URL}{address}"
            return f"{match[1]}{html.escape(link + hash_ + fragment)}{match[3]}"

        return LINK.sub(rewrite, body.decode()).encode()


def joined(url: str, link: str) -> str:
    """The address a link on the page at `url` leads to.

    Unlike urljoin, "?" alone leads to the page without its query (a "first
    page" link), as in a browser.
    """
    if link.startswith("?"):
        return urlsplit(url).path + (link if link != "?" else "")
    return urljoin(url, link)


def asset_file(url: str) -> Path | None:
    """The file behind a static or media address, if there is one."""
    path = unquote(urlsplit(url).path)
    if path.startswith(settings.STATIC_URL):
        name = path.removeprefix(settings.STATIC_URL)
        collected = Path(settings.STATIC_ROOT) / name
        found = collected if collected.is_file() else finders.find(name)
        return Path(found) if found and file_for(url) else None
    if path.startswith(settings.MEDIA_URL):
        name = path.removeprefix(settings.MEDIA_URL)
        try:
            found = Path(default_storage.path(name))
        except (NotImplementedError, ValueError):  # Remote storage, a bad name.
            return None
        return found if found.is_file() and file_for(url) else None
    return None


def file_for(url: str) -> str | None:
    """The file of the copy an address is written to, or None if it has none."""
    parts = urlsplit(url)
    if not parts.path.startswith("/") or parts.netloc:
        return None
    segments = [unquote(segment) for segment in parts.path.split("/")[1:]]
    if parts.path.endswith("/"):
        segments.pop()
        if parts.query:
            segments.append(query_folder(parts.query))
        segments.append("index.html")
    elif parts.query:
        return None
    for segment in segments:
        if segment in ("", ".", "..") or set(segment) & {"/", "\\", "\0"}:
            return None
    return "/".join(segments)


def query_folder(query: str) -> str:
    """The folder a page's query becomes: readable when it is plain."""
    if PLAIN_QUERY.fullmatch(query):
        return query.replace("=", "-").replace("&", "_")
    return "q-" + hashlib.sha256(query.encode()).hexdigest()[:16]
