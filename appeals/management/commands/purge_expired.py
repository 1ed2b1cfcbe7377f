"""Delete and anonymize signer data that is past its retention: run it daily."""

from django.conf import settings
from django.core.management.base import BaseCommand

from appeals.services.retention import purge_expired


class Command(BaseCommand):
    help = (
        "Delete signatures left unconfirmed UNCONFIRMED_RETENTION_DAYS after their "
        "last email (their link is dead by then), erase the personal data on "
        "appeals closed SIGNER_DATA_RETENTION_DAYS ago (keeping "
        "counts, countries and dates), and drop IP fingerprints and their keys after "
        "IP_HASH_RETENTION_DAYS; forget sent emails after MAIL_KEEP_DAYS and failed "
        "ones after MAIL_KEEP_FAILED_DAYS. On high-risk appeals: delete "
        "signatures whose link expired, erase addresses no longer needed, and "
        "HIGH_RISK_KEY_GRACE_DAYS after signing stopped destroy the key with every "
        "address and code made with it."
    )

    def handle(self, *args, **options):
        report = purge_expired(progress=self.stdout.write)
        self.stdout.write(
            f"Deleted {report.deleted_unconfirmed} unconfirmed signatures "
            f"(older than {settings.UNCONFIRMED_RETENTION_DAYS} days); anonymized "
            f"{report.anonymized}; cleared {report.fingerprints_cleared} IP "
            f"fingerprints and deleted {report.keys_deleted} hashing keys and "
            f"{report.emails_deleted} old outgoing emails; high-risk appeals: "
            f"erased {report.addresses_forgotten} addresses no longer needed and "
            f"destroyed {report.keys_destroyed} keys."
        )
