"""Create the demo appeal; running it again changes nothing."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from appeals.models import Appeal, Authorship, Organization, Signature
from appeals.services.counting import recount_signatures

DEMO_SLUG = "let-journalists-into-stavrin"
DEMO_STAFF_USERNAME = "demo-admin"
DEMO_STAFF_PASSWORD = "demo-admin-password"  # Development only; see handle().

ORGANIZATIONS = [
    {
        "slug": "stavrin-human-rights-centre",
        "name": "Stavrin Human Rights Centre",
        "short_name": "SHRC",
        "website": "https://shrc.example.org/",
        "country": "UA",
        "description": "Documents abuses in the mining towns of the northern region.",
    },
    {
        "slug": "free-voice-foundation",
        "name": "Free Voice Foundation",
        "short_name": "FVF",
        "website": "https://freevoice.example.org/",
        "country": "PL",
        "description": "Defends journalists and the right to information.",
    },
]

BODY = """\
We, the undersigned organizations, write to you about the events of the past week
in the town of Stavrin.

On Tuesday morning, police opened fire on workers of the Stavrin ore-processing
plant who had gathered peacefully outside the plant gates to demand unpaid wages.
According to the town hospital, at least eleven people were wounded, three of them
seriously. Within hours, mobile and internet connections in Stavrin and the
surrounding villages were cut. Journalists who tried to reach the town were turned
back at checkpoints on the regional road.

The people of Stavrin have a right to be heard, and the public has a right to know
what happened. We therefore call on you to:

1. **restore** mobile and internet connections in Stavrin without delay;
2. **let journalists**, including foreign correspondents, enter the town and work
   there freely and safely;
3. **open an independent investigation** into the use of firearms against the
   strikers, led by people with no ties to the regional police, and publish its
   findings;
4. **release** everyone detained for taking part in the strike, and guarantee that
   no worker will be punished for it.

Silence and closed roads do not end a crisis; they deepen it. We stand ready to
assist any independent inquiry with the testimonies we have collected.
"""

SIGNERS = [
    ("Olena Marchuk", "olena@example.org", "UA", "Kharkiv", "Teacher", "public"),
    ("Tomasz Wiśniewski", "tomasz@example.org", "PL", "Kraków", "Journalist", "public"),
    ("Aigerim Sadykova", "aigerim@example.org", "KZ", "Almaty", "", "public"),
    ("Daniel Brooks", "daniel@example.org", "GB", "Leeds", "Trade unionist", "public"),
    ("Marta Kovács", "marta@example.org", "HU", "", "", "counted"),
    ("Ivan Petrenko", "ivan@example.org", "UA", "Lviv", "Lawyer", "public"),
    ("Sofia Lindqvist", "sofia@example.org", "SE", "Uppsala", "", "counted"),
]


class Command(BaseCommand):
    help = "Load the demo appeal, its organizations and a few signatures (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        organizations = [
            Organization.objects.update_or_create(slug=data["slug"], defaults=data)[0]
            for data in ORGANIZATIONS
        ]
        appeal, created = Appeal.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={
                "title": "Let journalists into Stavrin and investigate the shooting",
                "addressee": "the Government and the Prosecutor General",
                "summary": (
                    "Police fired on striking workers in Stavrin and the town was cut "
                    "off from the world. We demand an independent investigation and "
                    "free access for journalists."
                ),
                "body": BODY,
                "language": "en",
                "status": Appeal.Status.PUBLISHED,
                "published_at": timezone.now() - timedelta(days=3),
                "signature_goal": 1000,
            },
        )
        for position, organization in enumerate(organizations):
            Authorship.objects.get_or_create(
                appeal=appeal,
                organization=organization,
                defaults={"position": position},
            )
        for name, email, country, city, affiliation, visibility in SIGNERS:
            if not appeal.signatures.filter(email_normalized=email).exists():
                Signature.objects.create(
                    appeal=appeal,
                    full_name=name,
                    email=email,
                    country=country,
                    city=city,
                    affiliation=affiliation,
                    visibility=visibility,
                    status=Signature.Status.CONFIRMED,
                    confirmed_at=timezone.now(),
                )
        recount_signatures(appeals=[appeal])

        self.stdout.write(
            f"Demo appeal: {appeal.canonical_url}"
            + (" (created)" if created else " (already there)")
        )
        if settings.DEBUG:
            self._ensure_demo_staff()

    def _ensure_demo_staff(self):
        """Create a known staff login, only ever in development (DEBUG on)."""
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_STAFF_USERNAME,
            defaults={"is_staff": True, "is_superuser": True},
        )
        if created:
            user.set_password(DEMO_STAFF_PASSWORD)
            user.save(update_fields=["password"])
        self.stdout.write(
            f"Demo staff login (development only): {settings.SITE_URL}/"
            f"{settings.ADMIN_URL}  user {DEMO_STAFF_USERNAME}, "
            f"password {DEMO_STAFF_PASSWORD}"
        )
