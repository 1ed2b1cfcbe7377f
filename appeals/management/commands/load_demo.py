"""Create the demo appeal; running it again changes nothing.

It shows the whole product to someone who has just run `make run`: a deadline,
Ukrainian and Russian translations, a co-signing organization, approved comments,
signatures from several countries over several days (for the charts), the delivery
and the addressee's reply, an update, and the Join us blocks.
"""

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from appeals.models import (
    Appeal,
    Authorship,
    DeliveryEvent,
    Organization,
    OrganizationSignature,
    Signature,
    Update,
)
from appeals.services.counting import recount_signatures
from community.models import JoinBlock

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

UKRAINIAN = {
    "slug": "pustit-zhurnalistiv-do-stavryna",
    "language": "uk",
    "title": "Пустіть журналістів до Ставрина й розслідуйте стрілянину",
    "addressee": "Уряду та Генеральному прокурору",
    "summary": (
        "Поліція стріляла в робітників, які страйкували в Ставрині, а місто "
        "відрізали від світу. Ми вимагаємо незалежного розслідування й вільного "
        "доступу для журналістів."
    ),
    "body": """\
Ми, організації, що підписали цей лист, звертаємося до вас щодо подій минулого
тижня в місті Ставрин.

У вівторок уранці поліція відкрила вогонь по робітниках, які мирно зібралися
біля воріт фабрики й вимагали виплатити заборговану зарплату. Мобільний зв'язок
та інтернет у місті відключили, а журналістів не пустили на блокпостах.

Тому ми закликаємо вас:

1. **відновити** мобільний зв'язок та інтернет у Ставрині;
2. **пустити журналістів** до міста й дати їм вільно та безпечно працювати;
3. **відкрити незалежне розслідування** застосування зброї проти страйкарів;
4. **звільнити** всіх затриманих за участь у страйку.
""",
}

RUSSIAN = {
    "slug": "pustite-zhurnalistov-v-stavrin",
    "language": "ru",
    "title": "Пустите журналистов в Ставрин и расследуйте стрельбу",
    "addressee": "Правительству и Генеральному прокурору",
    "summary": (
        "Полиция стреляла в бастующих рабочих в Ставрине, а город отрезали от "
        "мира. Мы требуем независимого расследования и свободного доступа для "
        "журналистов."
    ),
    "body": """\
Мы, нижеподписавшиеся организации, обращаемся к вам в связи с событиями прошлой
недели в городе Ставрин.

Во вторник утром полиция открыла огонь по рабочим Ставринской обогатительной
фабрики, которые мирно собрались у её ворот, чтобы потребовать невыплаченную
зарплату. По данным городской больницы, ранены по меньшей мере одиннадцать
человек, трое из них тяжело. В течение нескольких часов мобильную связь и интернет
в Ставрине и окрестных сёлах отключили. Журналистов, которые пытались добраться до
города, разворачивали на блокпостах на областной трассе.

Жители Ставрина имеют право быть услышанными, а общество имеет право знать, что
произошло. Поэтому мы призываем вас:

1. **без промедления восстановить** мобильную связь и интернет в Ставрине;
2. **пустить журналистов**, в том числе иностранных корреспондентов, в город и
   дать им работать там свободно и безопасно;
3. **открыть независимое расследование** применения огнестрельного оружия против
   бастующих, которое проведут люди, не связанные с областной полицией, и
   опубликовать его выводы;
4. **освободить** всех, кого задержали за участие в забастовке, и гарантировать,
   что ни один рабочий не будет за это наказан.

Молчание и перекрытые дороги не прекращают кризис, а углубляют его. Мы готовы
помочь любому независимому расследованию собранными нами свидетельствами.
""",
}
TRANSLATIONS = [UKRAINIAN, RUSSIAN]

SIGNERS = [
    ("Olena Marchuk", "olena@example.org", "UA", "Kharkiv", "Teacher", "public"),
    ("Tomasz Wiśniewski", "tomasz@example.org", "PL", "Kraków", "Journalist", "public"),
    ("Aigerim Sadykova", "aigerim@example.org", "KZ", "Almaty", "", "public"),
    ("Daniel Brooks", "daniel@example.org", "GB", "Leeds", "Trade unionist", "public"),
    ("Marta Kovács", "marta@example.org", "HU", "", "", "counted"),
    ("Ivan Petrenko", "ivan@example.org", "UA", "Lviv", "Lawyer", "public"),
    ("Sofia Lindqvist", "sofia@example.org", "SE", "Uppsala", "", "counted"),
]
# Comments moderators approved (email -> comment).
COMMENTS = {
    "olena@example.org": "My cousin works at the plant; we have heard nothing since.",
    "tomasz@example.org": "Closing roads to the press never ends well.",
}
# Signers for the charts: how many, from where (weights), over how many days.
CROWD = 240
CROWD_COUNTRIES = {"UA": 40, "KZ": 25, "PL": 10, "GE": 6, "DE": 6, "GB": 5, "LT": 3}
CROWD_DAYS = 5

JOIN_BLOCKS = [
    ("support", "en", "Support us", "Our work is funded by people like you."),
    ("volunteer", "en", "Become a volunteer", "Translators and researchers welcome."),
    ("training", "en", "Complete training", "Learn to document abuses safely."),
    ("support", "uk", "Підтримайте нас", "Нашу роботу фінансують такі люди, як ви."),
    ("volunteer", "uk", "Станьте волонтером", "Запрошуємо перекладачів і дослідників."),
    (
        "training",
        "uk",
        "Пройдіть навчання",
        "Навчіться безпечно документувати порушення.",
    ),
    ("support", "ru", "Поддержите нас", "Нашу работу финансируют такие люди, как вы."),
    (
        "volunteer",
        "ru",
        "Станьте волонтёром",
        "Приглашаем переводчиков и исследователей.",
    ),
    (
        "training",
        "ru",
        "Пройдите обучение",
        "Научитесь безопасно документировать нарушения.",
    ),
    (
        "support",
        "kk",
        "Бізге қолдау көрсетіңіз",
        "Біздің жұмысымызды сіз сияқты адамдар қаржыландырады.",
    ),
    ("volunteer", "kk", "Ерікті болыңыз", "Аудармашылар мен зерттеушілерді шақырамыз."),
    (
        "training",
        "kk",
        "Оқудан өтіңіз",
        "Құқық бұзушылықтарды қауіпсіз құжаттауды үйреніңіз.",
    ),
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
                "published_at": timezone.now() - timedelta(days=CROWD_DAYS + 1),
                "closes_at": timezone.now() + timedelta(days=30),
                "signature_goal": 1000,
            },
        )
        for position, organization in enumerate(organizations):
            Authorship.objects.get_or_create(
                appeal=appeal,
                organization=organization,
                defaults={"position": position},
            )
        self._translate(appeal)
        for name, email, country, city, affiliation, visibility in SIGNERS:
            if not appeal.signatures.filter(email_normalized=email).exists():
                comment = COMMENTS.get(email, "")
                Signature.objects.create(
                    appeal=appeal,
                    full_name=name,
                    email=email,
                    country=country,
                    city=city,
                    affiliation=affiliation,
                    visibility=visibility,
                    comment=comment,
                    comment_status=Signature.CommentStatus.APPROVED,
                    status=Signature.Status.CONFIRMED,
                    confirmed_at=timezone.now(),
                )
        self._crowd(appeal)
        self._cosign(appeal)
        self._deliver(appeal)
        self._join_blocks()
        recount_signatures(appeals=[appeal])

        self.stdout.write(
            f"Demo appeal: {appeal.canonical_url}"
            + (" (created)" if created else " (already there)")
        )
        if settings.DEBUG:
            self._ensure_demo_staff()
            backend = settings.MAILERS["default"]["BACKEND"]
            if backend.endswith("filebased.EmailBackend"):
                self.stdout.write(
                    "Emails are not sent in development: read them at "
                    f"{settings.SITE_URL}/dev/emails/"
                )

    def _translate(self, appeal):
        for translation in TRANSLATIONS:
            Appeal.objects.get_or_create(
                slug=translation["slug"],
                defaults={
                    **translation,
                    "translation_of": appeal,
                    "status": Appeal.Status.PUBLISHED,
                    "published_at": appeal.published_at,
                },
            )

    def _crowd(self, appeal):
        """Signatures from several countries over several days, for the charts."""
        if appeal.signatures.filter(email__endswith="@demo.example.org").exists():
            return
        rng = random.Random(1)
        now = timezone.now()
        countries = rng.choices(
            list(CROWD_COUNTRIES), weights=CROWD_COUNTRIES.values(), k=CROWD
        )
        signed = [
            now - timedelta(hours=rng.uniform(1, 24 * CROWD_DAYS)) for _ in countries
        ]
        Signature.objects.bulk_create(
            Signature(
                appeal=appeal,
                full_name=f"Demo Signer {number}",
                email=f"signer-{number}@demo.example.org",
                country=country,
                visibility=Signature.Visibility.COUNTED,
                status=Signature.Status.CONFIRMED,
                created_at=signed_at,
                confirmed_at=signed_at + timedelta(minutes=5),
            )
            for number, (country, signed_at) in enumerate(
                zip(countries, signed, strict=True)
            )
        )

    def _cosign(self, appeal):
        OrganizationSignature.objects.get_or_create(
            appeal=appeal,
            organization_name="Coastal Rights Network",
            defaults={
                "website": "https://crn.example.org/",
                "country": "GE",
                "contact_name": "Nino Beridze",
                "email": "nino@crn.example.org",
                "statement": "We stand with the workers of Stavrin.",
                "status": OrganizationSignature.Status.CONFIRMED,
                "confirmed_at": timezone.now(),
                "is_approved": True,
            },
        )

    def _deliver(self, appeal):
        """Delivered two days ago, answered yesterday, with an update to signers."""
        today = timezone.localdate()
        delivered, _created = DeliveryEvent.objects.get_or_create(
            appeal=appeal,
            kind=DeliveryEvent.Kind.DELIVERED,
            defaults={
                "occurred_on": today - timedelta(days=2),
                "channel": "in person at the Prosecutor General's office",
            },
        )
        DeliveryEvent.objects.get_or_create(
            appeal=appeal,
            kind=DeliveryEvent.Kind.REPLY,
            defaults={
                "occurred_on": today - timedelta(days=1),
                "channel": "by letter",
                "text": (
                    "The Prosecutor General's office writes that the events in "
                    "Stavrin are under review and that journalists may apply for "
                    "accreditation."
                ),
            },
        )
        Update.objects.get_or_create(
            appeal=appeal,
            title="We handed the letter over",
            defaults={
                "body": (
                    "On behalf of every signer, we handed the letter to the "
                    "Prosecutor General's office. Thank you for signing."
                ),
                "delivery_event": delivered,
                "state": Update.State.SENT,
                "published_at": timezone.now() - timedelta(days=2),
                "finished_at": timezone.now() - timedelta(days=2),
            },
        )

    def _join_blocks(self):
        for kind, language, title, text in JOIN_BLOCKS:
            JoinBlock.objects.get_or_create(
                kind=kind, language=language, defaults={"title": title, "text": text}
            )

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
