"""A co-signature row, for the moderation tests and the admin and page tests alike."""

from appeals.models import OrganizationSignature


def make_cosignature(appeal, **overrides) -> OrganizationSignature:
    fields = {
        "organization_name": "Rights Watch",
        "website": "https://rights.example.org/",
        "contact_name": "Ann Lee",
        "email": f"contact{OrganizationSignature.objects.count()}@rights.example.org",
        "country": "GE",
        "status": OrganizationSignature.Status.CONFIRMED,
    }
    fields.update(overrides)
    return OrganizationSignature.objects.create(appeal=appeal, **fields)
