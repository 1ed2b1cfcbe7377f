"""A static copy of the site, for readers who cannot reach it.

Governments that an appeal is addressed to block sites; a copy on a host too big
to block (object storage, GitHub Pages, IPFS) stays readable. `manage.py
export_mirror DIR` (appeals.services.mirror) writes one: every published appeal in
every language version and interface language, its timeline and updates, its
public signatories, its counts, the JSON and the share cards, and the CSS.

The pages are the site's own, rendered by its own views and templates through
Django's test client (appeals.mirror.pages): a request for the mirror carries
MIRROR_KEY in its WSGI environ, which no visitor can set (a header arrives as
HTTP_*). Templates see `mirror` and, in its place, lead to the live site and the
onion instead of showing a form: a static host takes no posts. The export then
makes every link relative, so a copy works under any address, and sends those
to pages it does not hold to the live site.

The same data gives the same bytes: the pages are rendered with the clock
stopped at the moment the data last changed (their "as of"), and the archive
(appeals.mirror.archive) fixes every file's date, owner and order. Its SHA-256,
published on the live site (/mirror.json, the mirror page, the feed), lets a
reader check a copy found anywhere.
"""

from datetime import datetime

# The archive of the copy, in its top folder.
ARCHIVE = "mirror.tar.gz"

# Where a request for the mirror says so, and as of when: not a header, so only
# the export sets it.
MIRROR_KEY = "appealsite.mirror_as_of"


def is_mirror(request) -> bool:
    """Whether the page is rendered for the static copy."""
    return MIRROR_KEY in request.META


def mirror_as_of(request) -> datetime | None:
    """The moment the copy's data is from, or None on the live site."""
    return request.META.get(MIRROR_KEY)
