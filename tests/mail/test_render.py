"""Writing emails: each one written from a draft is the one written directly;
which queued emails are still owed."""

import pytest

from appeals.mail.render import (
    Drafts,
    render_email,
    render_queued,
    signature_context,
    still_needed,
)
from appeals.models import (
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    Update,
    UpdateText,
)
from tests.factories import make_appeal, make_signature

Kind = OutgoingEmail.Kind

pytestmark = pytest.mark.django_db


def written_directly(kind: str, signature, update=None) -> tuple:
    email = render_email(
        f"appeals/email/{kind}",
        signature_context(signature, update),
        language=signature.language,
        to=signature.email,
    )
    return email.subject, email.body, email.from_email, email.to


def written(email) -> tuple:
    return email.subject, email.body, email.from_email, email.to


@pytest.mark.parametrize("onion_url", ["", "http://example2345.onion"])
def test_each_email_written_from_a_draft_is_the_one_written_directly(
    settings, onion_url
):
    settings.ONION_URL = onion_url  # Its links too, where the site has one.
    appeal = make_appeal(title="Free them «now» & {{ soon }} <b>")
    version = make_appeal(title="Звільніть їх", translation_of=appeal, slug="uk-v")
    signatures = [
        make_signature(appeal, status=Signature.Status.PENDING, language=language)
        for language in ["en", "uk", "en", "uk"]
    ] + [
        make_signature(appeal, status=Signature.Status.PENDING, appeal_version=version),
        OrganizationSignature.objects.create(
            appeal=appeal,
            organization_name="Org",
            contact_name="Ann",
            email="contact@example.org",
        ),
    ]
    drafts = Drafts()  # Shared: the later emails come from the first ones' drafts.

    for kind in [Kind.CONFIRM, Kind.ALREADY_SIGNED]:
        for signature in signatures:
            field = (
                "signature"
                if isinstance(signature, Signature)
                else "organization_signature"
            )
            message = OutgoingEmail(kind=kind, **{field: signature})

            email = render_queued(message, drafts=drafts)

            assert written(email) == written_directly(kind, signature)
            assert signature.email in email.to
    bodies = {
        render_queued(OutgoingEmail(kind=Kind.CONFIRM, signature=s), drafts=drafts).body
        for s in signatures[:4]
    }
    assert len(bodies) == 4  # Each with its own links.


def test_each_update_written_from_a_draft_is_the_one_written_directly():
    appeal = make_appeal(title="Free them")
    version = make_appeal(title="Звільніть їх", translation_of=appeal, slug="uk-v")
    update = Update.objects.create(
        appeal=appeal, title="Delivered {{ x }}", body="We handed it *over*."
    )
    UpdateText.objects.create(
        update=update, appeal_version=version, title="Передано", body="Сьогодні."
    )
    signatures = [
        make_signature(appeal, language="en"),
        make_signature(appeal, language="uk", appeal_version=version),
        make_signature(appeal, language="en", appeal_version=version),
        make_signature(appeal, language="uk"),
    ]
    drafts = Drafts()

    for signature in signatures * 2:
        message = OutgoingEmail(kind=Kind.UPDATE, signature=signature, update=update)

        email = render_queued(message, drafts=drafts)

        assert written(email) == written_directly(Kind.UPDATE, signature, update)
        assert email.extra_headers["List-Unsubscribe-Post"] == (
            "List-Unsubscribe=One-Click"
        )


def test_a_test_of_an_update_is_owed_though_it_is_about_no_signature():
    update = Update.objects.create(appeal=make_appeal(), title="T", body="B")
    test = OutgoingEmail(kind=Kind.UPDATE, to="editor@example.org")
    # An update's email to a signer is about a signature; one without is no email.
    orphan = OutgoingEmail(kind=Kind.UPDATE, update=update, to="x@example.org")

    assert still_needed(test)
    assert not still_needed(orphan)
    assert not still_needed(OutgoingEmail(kind=Kind.CONFIRM, to="x@example.org"))
