"""What the mail tests share: signing as a visitor, who got mail, each email's state."""

from django.urls import reverse

from appeals.models import OutgoingEmail
from tests.factories import form_shown


def sign(client, appeal, email):
    """Sign as a visitor would; each test client is one IP address."""
    return client.post(
        reverse("appeals:sign", kwargs={"slug": appeal.slug}),
        {
            "full_name": "Ann",
            "email": email,
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        },
    )


def recipients(mailoutbox) -> list[str]:
    return sorted(message.to[0] for message in mailoutbox)


def states() -> dict[str, str]:
    """Each signature email's state, by the signer's address."""
    return {
        message.signature.email_normalized: message.state
        for message in OutgoingEmail.objects.select_related("signature")
    }
