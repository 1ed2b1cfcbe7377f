"""An email's links open the pages in the email's language, in any process."""

import re

import pytest
from django.utils import translation

from appeals.mail.render import Drafts, render_queued, signature_context
from appeals.models import Signature, Update
from appeals.models.mail import OutgoingEmail
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db
Kind = OutgoingEmail.Kind


@pytest.fixture
def ukrainian_signer():
    appeal = make_appeal(slug="free-them")
    version = make_appeal(translation_of=appeal, language="uk", slug="zvilnit")
    return make_signature(
        appeal, language="uk", appeal_version=version, status=Signature.Status.PENDING
    )


@pytest.mark.parametrize("active", [None, "en"])
def test_a_ukrainian_signer_s_links_open_ukrainian_pages(ukrainian_signer, active):
    """The mailer (its own process) has no request, so no language of its own."""
    translation.activate(active) if active else translation.deactivate()

    email = render_queued(
        OutgoingEmail(kind=Kind.CONFIRM, signature=ukrainian_signer), drafts=Drafts()
    )

    links = re.findall(r"http://\S+", email.body)
    assert "Підтвердити мій підпис" in email.body
    assert {"/uk/signatures/confirm/", "/uk/signatures/withdraw/"} <= {
        re.search(r"/uk/signatures/\w+/", url)[0]
        for url in links
        if "signatures" in url
    }
    assert "http://127.0.0.1:8000/uk/appeals/zvilnit/" in links
    assert all("/en/" not in url for url in links), links
    assert translation.get_language() == "en"  # The process's own, as it was.


def test_an_update_s_links_and_unsubscribe_header_name_the_signer_s_language(
    ukrainian_signer,
):
    ukrainian_signer.status = Signature.Status.CONFIRMED
    ukrainian_signer.wants_updates = True
    ukrainian_signer.save()
    update = Update.objects.create(
        appeal=ukrainian_signer.appeal, title="Delivered", body="Today."
    )
    translation.deactivate()

    email = render_queued(
        OutgoingEmail(kind=Kind.UPDATE, signature=ukrainian_signer, update=update),
        drafts=Drafts(),
    )

    assert "/uk/unsubscribe/" in email.extra_headers["List-Unsubscribe"]
    assert "/en/" not in email.body
    context = signature_context(ukrainian_signer)
    assert "/uk/signatures/confirm/" in context["confirm_url"]


def test_a_signer_in_a_language_the_site_no_longer_offers_gets_working_links(
    settings, client
):
    # Signed in Kazakh; the operator has since left Kazakh out of
    # INTERFACE_LANGUAGES: /kk/ addresses no longer exist.
    appeal = make_appeal(slug="free-them")
    version = make_appeal(translation_of=appeal, language="kk", slug="bosat")
    signer = make_signature(
        appeal, language="kk", appeal_version=version, status=Signature.Status.PENDING
    )
    settings.LANGUAGES = [("en", "English"), ("uk", "Ukrainian")]
    translation.deactivate()

    email = render_queued(
        OutgoingEmail(kind=Kind.CONFIRM, signature=signer), drafts=Drafts()
    )

    paths = re.findall(r"http://127\.0\.0\.1:8000(/\S+)", email.body)
    assert len(paths) >= 3
    for path in paths:
        assert client.get(path).status_code != 404, path
