"""The static copy of the site (appeals.mirror): rendered, packed, recorded."""

import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appeals import opendata
from appeals.mirror import ARCHIVE, archive
from appeals.mirror.pages import PageFailed, SiteCopy
from appeals.models import Appeal, MirrorExport

# The folder the archive unpacks to.
ARCHIVE_FOLDER = "mirror"
# What marks a folder as a copy the export may replace.
MARK = ".appealsite-mirror"


def export_mirror(*, directory: Path) -> tuple[MirrorExport, bool]:
    """Write the copy to `directory` (replacing an earlier one whole, once the new
    one is complete) with its archive; record the archive if it is new.

    Return the record and whether it is new.
    """
    directory = directory.absolute()
    if (
        directory.exists()
        and any(directory.iterdir())
        and not (directory / MARK).exists()
    ):
        raise ValidationError(
            _(
                "%(folder)s holds files that are not a copy of the site: choose "
                "an empty folder."
            )
            % {"folder": directory}
        )
    directory.parent.mkdir(parents=True, exist_ok=True)
    with _one_export_at_a_time(directory):
        _clear_leftovers(directory)
        return _export(directory)


@contextmanager
def _one_export_at_a_time(directory: Path):
    """Lock the folder's parent, where the copy is written first: another export
    (the daily job's, one run by hand) waits for this one. The system lets go of
    the lock when the process ends, killed or not."""
    parent = os.open(directory.parent, os.O_RDONLY)
    try:
        fcntl.flock(parent, fcntl.LOCK_EX)
        yield
    finally:
        os.close(parent)


def _clear_leftovers(directory: Path) -> None:
    """Remove what a run killed part-way left beside the folder (only a running
    export writes there, and none runs but this one): its half-written copy, and
    the last copy it had moved aside."""
    for leftover in directory.parent.glob(f".{directory.name}-*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)


def _export(directory: Path) -> tuple[MirrorExport, bool]:
    as_of = data_as_of()
    partial = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        copy = SiteCopy(as_of=as_of)
        try:
            copy.render(seeds())
        except PageFailed as error:
            raise ValidationError(
                _("A page of the copy failed, so none was written: %(error)s")
                % {"error": error}
            ) from error
        with translation.override(settings.LANGUAGE_CODE):
            home = reverse("appeals:list")
        files = copy.write(partial, home=home)
        sha256, size = archive.pack(
            partial, files, into=partial / ARCHIVE, top=ARCHIVE_FOLDER, at=as_of
        )
        (partial / MARK).touch()
        partial.chmod(0o755)  # mkdtemp's folder is its owner's alone.
        _replace(directory, partial)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    latest = MirrorExport.objects.newest_first().first()
    if latest is not None and latest.sha256 == sha256:
        return latest, False
    return MirrorExport.objects.create(as_of=as_of, sha256=sha256, size=size), True


def data_as_of() -> datetime:
    """The moment the published data last changed: the copy is as of then, so the
    same data gives the same copy. An appeal's data changes when its JSON's
    Last-Modified says (opendata.changed_at), or when it was published or closed."""
    now = timezone.now()
    appeals = list(Appeal.objects.published().select_related("translation_of"))
    times = [opendata.changed_at(appeal) for appeal in appeals]
    times += [appeal.published_at for appeal in appeals]
    # Closing is a change too: the copy of a closed appeal says it is closed.
    times += [a.closes_at for a in appeals if a.closes_at and a.closes_at <= now]
    return min(now, max(times, default=now))


def seeds() -> list[str]:
    """The addresses the copy starts from; it follows their links from there."""
    appeals = Appeal.objects.published().order_by("pk")
    urls = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            urls += [reverse("appeals:list"), reverse("appeals:privacy")]
            for appeal in appeals:
                try:
                    urls += [
                        reverse("appeals:detail", args=[appeal.slug]),
                        reverse("appeals:card", args=[appeal.slug]),
                    ]
                except NoReverseMatch:  # Not an address: no page to copy.
                    continue
    urls.append(reverse("data:list_json"))
    for appeal in appeals:
        try:
            urls.append(reverse("data:count_json", args=[appeal.slug]))
        except NoReverseMatch:
            continue
    return urls


def _replace(directory: Path, partial: Path) -> None:
    if not directory.exists():
        partial.rename(directory)
        return
    old = partial.with_name(f"{partial.name}-old")
    directory.rename(old)
    partial.rename(directory)
    shutil.rmtree(old)
