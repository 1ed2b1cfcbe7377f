"""The static copy of the site (appeals.mirror), as a reader of it gets it."""

import gzip
import hashlib
import html
import re
import tarfile
import threading
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import urlopen

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse

from appeals.mirror.pages import file_for
from appeals.models import Appeal, MirrorExport, Signature
from appeals.tokens import Purpose, make_token
from tests.factories import make_appeal, make_organization, make_signature

ONION_URL = f"http://{'a' * 56}.onion"
LINK = re.compile(r'<(?:a|link|script|img)\b[^>]*?\s(?:href|src)="([^"]*)"')


def export(directory: Path) -> Path:
    call_command("export_mirror", str(directory), stdout=None)
    return directory


def pages_of(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.html"))


def links_of(page: Path) -> list[str]:
    return [html.unescape(link) for link in LINK.findall(page.read_text())]


@contextmanager
def served(directory: Path):
    """Serve the copy as a static host would, on a port of its own."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def appeal(db):
    appeal = make_appeal(
        slug="free-the-press",
        title="Free the press",
        authors=[make_organization(name="Rights Watch")],
    )
    make_appeal(
        slug="zvilnit-presu",
        title="Звільніть пресу",
        language="uk",
        translation_of=appeal,
    )
    for number in range(3):
        make_signature(appeal, full_name=f"Public Signer {number}")
    make_signature(
        appeal, full_name="Hidden Signer", visibility=Signature.Visibility.COUNTED
    )
    Appeal.objects.filter(pk=appeal.pk).update(signature_count=4)
    return appeal


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=None)


def test_the_copy_holds_each_appeal_in_every_version_and_interface_language(
    appeal, tmp_path
):
    copy = export(tmp_path / "mirror")

    for language in ("en", "uk"):
        for slug in ("free-the-press", "zvilnit-presu"):
            assert (copy / language / "appeals" / slug / "index.html").is_file()
        assert (copy / language / "index.html").is_file()
    page = (copy / "uk/appeals/zvilnit-presu/index.html").read_text()
    assert "Звільніть пресу" in page
    signatories = (copy / "en/appeals/free-the-press/signatures/index.html").read_text()
    assert "Public Signer 2" in signatories
    assert "Hidden Signer" not in signatories
    assert (copy / "appeals/free-the-press.json").is_file()
    assert (
        b'"signature_count": 4'
        in (copy / "appeals/free-the-press/count.json").read_bytes()
    )
    assert (copy / "en/appeals/free-the-press/card.png").read_bytes()[:4] == b"\x89PNG"
    assert (copy / "static/appeals/css/site.css").is_file()
    assert "Free the press" in (copy / "index.html").read_text()


def test_the_copy_takes_no_form_and_leads_to_the_live_site_and_the_onion(
    appeal, tmp_path, settings
):
    settings.SITE_URL = "https://appeals.example.org"
    settings.ONION_URL = ONION_URL
    settings.ALLOWED_HOSTS = ["appeals.example.org"]
    copy = export(tmp_path / "mirror")

    for page in pages_of(copy):
        assert "<form" not in page.read_text(), page
    page = copy / "en/appeals/free-the-press/index.html"
    links = links_of(page)
    live = "https://appeals.example.org/en/appeals/free-the-press/"
    assert f"{live}#sign" in links
    assert f"{ONION_URL}/en/appeals/free-the-press/#sign" in links
    text = page.read_text()
    assert "If both are blocked where you are" in text
    assert "typo-dialog" not in text
    # The other forms: on the live site.
    assert (
        "https://appeals.example.org/en/appeals/free-the-press/organizations/sign/"
        in links
    )
    assert "https://appeals.example.org/en/join/" in links
    assert "https://appeals.example.org/en/my-data/" in links


def test_every_link_is_relative_and_leads_to_a_file_of_the_copy(demo, tmp_path):
    copy = export(tmp_path / "mirror")

    pages = pages_of(copy)
    assert len(pages) > 10  # Both languages, the versions, updates, signatories.
    for page in pages:
        for link in links_of(page):
            parts = urlsplit(link)
            if parts.scheme or link.startswith("#"):
                continue  # The live site, the onion, other sites; this page.
            assert not link.startswith("/"), (page, link)
            assert (page.parent / parts.path).resolve().is_file(), (page, link)


def test_the_copy_served_from_another_host_answers_every_link(demo, tmp_path):
    copy = export(tmp_path / "mirror")

    with served(copy) as base:
        for page in pages_of(copy):
            address = urljoin(base, page.relative_to(copy).as_posix())
            body = urlopen(address).read().decode()
            for link in LINK.findall(body):
                target = urljoin(address, html.unescape(link)).partition("#")[0]
                if target.startswith(base):
                    assert urlopen(target).status == 200, (address, link)


def test_every_signatory_page_is_in_the_copy_from_the_newest_on(appeal, tmp_path):
    Signature.objects.bulk_create(
        Signature(
            appeal=appeal,
            full_name=f"Crowd {number}",
            email=f"crowd{number}@example.org",
            status=Signature.Status.CONFIRMED,
            visibility=Signature.Visibility.PUBLIC,
        )
        for number in range(120)
    )
    copy = export(tmp_path / "mirror")

    folder = copy / "en/appeals/free-the-press/signatures"
    shown = "".join(page.read_text() for page in folder.rglob("index.html"))
    for number in range(120):
        assert f"Crowd {number}<" in shown or f"Crowd {number} " in shown
    assert len(list(folder.rglob("index.html"))) == 3  # 123 at 50 a page.


def test_each_page_says_it_is_a_copy_as_of_the_data(appeal, tmp_path):
    moment = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
    Appeal.objects.update(
        published_at=datetime(2025, 3, 1, tzinfo=UTC),
        updated_at=moment,
        count_updated_at=moment,
    )

    copy = export(tmp_path / "mirror")

    for page in pages_of(copy / "en"):
        assert "This copy shows the page as it was on March 4, 2025" in (
            page.read_text()
        ), page
    text = (copy / "en/appeals/free-the-press/index.html").read_text()
    assert "4 signatures as of March 4, 2025" in text
    assert MirrorExport.objects.get().as_of == moment


def test_the_same_data_gives_the_same_bytes(appeal, tmp_path):
    first = export(tmp_path / "first")
    second = export(tmp_path / "second")

    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(second) for p in second.rglob("*") if p.is_file()
    )
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    archive = (first / "mirror.tar.gz").read_bytes()
    export_ = MirrorExport.objects.get()  # The same archive: recorded once.
    assert export_.sha256 == hashlib.sha256(archive).hexdigest()
    assert export_.size == len(archive)

    make_signature(appeal, full_name="One More")
    export(tmp_path / "first")
    assert MirrorExport.objects.count() == 2


def test_the_archive_holds_the_copy_with_fixed_dates_owners_and_order(appeal, tmp_path):
    copy = export(tmp_path / "mirror")
    as_of = int(MirrorExport.objects.get().as_of.timestamp())

    data = (copy / "mirror.tar.gz").read_bytes()
    assert int.from_bytes(data[4:8], "little") == as_of  # gzip's own date.
    with tarfile.open(copy / "mirror.tar.gz") as archive:
        entries = archive.getmembers()
    names = [entry.name for entry in entries]
    assert "mirror/en/appeals/free-the-press/index.html" in names
    assert "mirror/mirror.tar.gz" not in names
    assert {(e.mtime, e.uid, e.gid, e.uname, e.gname) for e in entries} == {
        (as_of, 0, 0, "", "")
    }
    files = [entry.name for entry in entries if entry.isfile()]
    assert files == sorted(files)
    with tarfile.open(copy / "mirror.tar.gz") as archive:
        page = archive.extractfile("mirror/en/index.html").read()
    assert page == (copy / "en/index.html").read_bytes()
    assert gzip.decompress(data)  # A whole, valid gzip stream.


def test_hostile_text_is_escaped_in_the_copy(db, tmp_path):
    make_appeal(
        slug="hostile",
        title='</script><script>alert("x")</script> O\'Brien\'s "quoted" ../../x',
        summary="<img src=x onerror=alert(1)>",
    )
    copy = export(tmp_path / "mirror")

    for page in pages_of(copy):
        text = page.read_text()
        assert '<script>alert("x")' not in text, page
        assert "<img src=x" not in text, page
    text = (copy / "en/appeals/hostile/index.html").read_text()
    assert "&lt;/script&gt;&lt;script&gt;alert(" in text
    assert [p.name for p in tmp_path.iterdir()] == ["mirror"]


def test_a_slug_that_would_leave_the_folder_writes_nothing_outside_it(appeal, tmp_path):
    copy = export(tmp_path / "out" / "mirror")
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    Appeal.objects.filter(pk=appeal.pk).update(slug="../../../escaped")

    with pytest.raises(CommandError, match="A page of the copy failed"):
        export(copy)

    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mirror"]
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    "url",
    [
        "/en/appeals/%2e%2e/",
        "/en/appeals/..%2f..%2fetc/",
        "/en/appeals/a%5c..%5cb/",
        "/en/appeals/x/card.png?v=../../y",
        "//elsewhere.example.org/x/",
        "/en/appeals/%00/",
    ],
)
def test_an_address_that_could_leave_the_folder_has_no_file(url):
    assert file_for(url) is None


def test_addresses_become_files_of_the_copy():
    assert file_for("/en/appeals/x/") == "en/appeals/x/index.html"
    assert file_for("/appeals/x.json") == "appeals/x.json"
    assert (
        file_for("/en/appeals/x/signatures/?before=51")
        == "en/appeals/x/signatures/before-51/index.html"
    )
    assert file_for("/en/?page=2&x=%22").startswith("en/q-")


def test_a_folder_of_other_files_is_not_replaced(db, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")

    with pytest.raises(CommandError, match="not a copy of the site"):
        export(tmp_path)

    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("moved_aside", [False, True])
def test_a_run_killed_part_way_leaves_nothing_beside_the_next_copy(
    appeal, tmp_path, moved_aside
):
    target = export(tmp_path / "mirror")
    # Beside the folder, a run killed while rendering leaves its half-written
    # copy; one killed between its two renames, the last copy moved aside too.
    half = tmp_path / ".mirror-k1ll3d"
    (half / "en").mkdir(parents=True)
    (half / "en" / "index.html").write_text("half")
    if moved_aside:
        target.rename(tmp_path / ".mirror-k1ll3d-old")

    export(target)

    assert (target / "mirror.tar.gz").is_file()
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_dir()) == [
        "mirror"
    ]


def test_the_live_site_publishes_the_archive_fingerprint(
    appeal, tmp_path, client, settings
):
    copy = export(tmp_path / "mirror")
    sha256 = hashlib.sha256((copy / "mirror.tar.gz").read_bytes()).hexdigest()

    data = client.get("/mirror.json").json()
    assert data["exports"][0]["sha256"] == sha256
    assert data["archive"] == "mirror.tar.gz"
    page = client.get(reverse("appeals:mirror")).content.decode()
    assert sha256 in page
    assert "sha256sum mirror.tar.gz" in page
    feed = client.get(reverse("feed")).content.decode()
    entry = f"{settings.SITE_URL}/en/mirror/#sha256-{sha256[:16]}"
    assert f'<link href="{entry}"' in feed
    assert f'id="sha256-{sha256[:16]}"' in page
    assert '<category term="mirror"' in feed
    assert reverse("appeals:mirror") in client.get("/en/").content.decode()


def test_the_daily_jobs_renew_the_copy_when_mirror_dir_is_set(
    appeal, tmp_path, settings, database_queue
):
    settings.MIRROR_DIR = str(tmp_path / "mirror")

    call_command("daily", stdout=None)

    assert (tmp_path / "mirror/en/appeals/free-the-press/index.html").is_file()
    assert MirrorExport.objects.count() == 1


def test_the_daily_jobs_write_no_copy_without_mirror_dir(
    appeal, settings, database_queue
):
    settings.MIRROR_DIR = ""

    call_command("daily", stdout=None)

    assert not MirrorExport.objects.exists()


def test_the_live_pages_are_not_the_copys(appeal, client):
    page = client.get(reverse("appeals:detail", args=["free-the-press"]))

    assert b"This copy shows the page" not in page.content
    assert b'<form method="post"' in page.content


def test_the_copy_holds_nothing_the_live_site_does_not_show(appeal, tmp_path):
    make_appeal(slug="draft-one", title="A draft", status=Appeal.Status.DRAFT)
    make_signature(appeal, full_name="Pending Person", status="pending")
    make_signature(appeal, full_name="Gone Person", status="withdrawn")
    make_signature(appeal, full_name="Shown Person", email="shown@example.org")

    copy = export(tmp_path / "mirror")

    everything = b"".join(p.read_bytes() for p in copy.rglob("*") if p.is_file())
    assert b"Shown Person" in everything
    for secret in [b"A draft", b"draft-one", b"Pending Person", b"Gone Person"]:
        assert secret not in everything
    assert b"@example.org" not in everything
    assert b"shown%40example.org" not in everything


@pytest.mark.django_db
def test_a_signer_about_to_withdraw_is_told_the_copies_keep_their_name_a_day(client):
    appeal = make_appeal()
    signature = make_signature(appeal, status=Signature.Status.CONFIRMED)
    withdraw = reverse(
        "appeals:withdraw", args=[make_token(signature, Purpose.WITHDRAW)]
    )
    privacy = reverse("appeals:privacy")
    said = "until the next one, the latest copy still lists your name"

    without_copies = [client.get(withdraw), client.get(privacy)]
    MirrorExport.objects.create(
        as_of=datetime(2026, 12, 1, tzinfo=UTC), sha256="0" * 64, size=1
    )
    cache.clear()  # The privacy page is kept a few seconds, as for every reader.
    with_copies = [client.get(withdraw), client.get(privacy)]

    assert [page.status_code for page in without_copies + with_copies] == [200] * 4
    assert not [page for page in without_copies if said in page.content.decode()]
    assert all(said in page.content.decode() for page in with_copies)
