"""Readers in Russian and Kazakh: the switcher, signing, and pages on a phone."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from appeals.models import Signature

pytestmark = pytest.mark.django_db(transaction=True)

RUSSIAN_DEMO = "/ru/appeals/pustite-zhurnalistov-v-stavrin/"
PHONE = {"width": 390, "height": 844}

# What a reader sees in each language: labels, buttons, headings.
WORDS = {
    "ru": {
        "full_name": "Имя и фамилия",
        "email": "Электронная почта",
        "country": "Страна",
        "show_name": "Показывать моё имя и город в списке подписавших",
        "sign": "Подписать",
        "check_email": "Проверьте почту",
        "confirm": "Подтвердить мою подпись",
        "thanks": "Спасибо за подпись",
    },
    "kk": {
        "full_name": "Аты-жөні",
        "email": "Email",
        "country": "Ел",
        "show_name": "Атым мен қаламды қол қойғандар тізімінде көрсету",
        "sign": "Қол қою",
        "check_email": "Поштаңызды тексеріңіз",
        "confirm": "Қолтаңбамды растау",
        "thanks": "Қол қойғаныңыз үшін рақмет",
    },
}


@pytest.fixture
def demo():
    call_command("load_demo", stdout=None)


def field(page, label):
    """A form field by its label; required fields' labels end with an asterisk."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def fill_sign_form(page, words, *, email):
    field(page, words["full_name"]).fill("Айгерим Садыкова")
    field(page, words["email"]).fill(email)
    field(page, words["country"]).select_option("KZ")
    page.get_by_label(words["show_name"]).check()
    page.wait_for_timeout(3100)  # People take longer than the form's minimum time.


def confirmation_link(live_server):
    return re.search(
        rf"{re.escape(live_server.url)}/[a-z]{{2}}/signatures/confirm/\S+/",
        mail.outbox[-1].body,
    )[0]


def overflow(page) -> int:
    """How far the page is wider than the screen: a phone would scroll sideways."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def switcher_names(page) -> list[str]:
    switcher = page.get_by_role("navigation", name=re.compile("Language|Язык|Тіл"))
    return [name.strip() for name in switcher.locator("li").all_inner_texts()]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_switcher_offers_four_languages_each_named_in_itself(
    browser, live_server, demo, javascript
):
    context = browser.new_context(java_script_enabled=javascript, locale="en-GB")
    page = context.new_page()
    page.goto(live_server.url)
    assert page.url == f"{live_server.url}/en/"
    assert switcher_names(page) == ["English", "Українська", "Русский", "Қазақша"]
    expect(page.locator(".language-switcher [lang=kk]")).to_have_text("Қазақша")

    page.locator(".language-switcher").get_by_role("link", name="Қазақша").click()

    assert page.url == f"{live_server.url}/kk/"
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ашық үндеулер")
    page.locator(".language-switcher").get_by_role("link", name="Русский").click()
    assert page.url == f"{live_server.url}/ru/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Открытые обращения")
    expect(page.locator(".language-switcher [aria-current=page]")).to_have_text(
        "Русский"
    )
    # An address without a language (an old link): with JavaScript the choice was
    # remembered; without it the browser's language decides.
    page.goto(f"{live_server.url}/appeals/let-journalists-into-stavrin/")
    remembered = "ru" if javascript else "en"
    assert page.url.startswith(f"{live_server.url}/{remembered}/appeals/")
    context.close()


def test_in_the_russian_interface_the_russian_version_is_offered_first(
    page, live_server, demo
):
    page.goto(f"{live_server.url}/ru/appeals/let-journalists-into-stavrin/")

    versions = page.get_by_role("navigation", name="Языковые версии")
    expect(versions.locator("a, strong")).to_have_text(
        ["Русский", "English", "Українська"]
    )
    expect(versions.get_by_role("link", name="Русский")).to_have_attribute("lang", "ru")
    page.get_by_role(
        "link", name=re.compile("^Читать это обращение на вашем языке")
    ).click()
    assert page.url == f"{live_server.url}{RUSSIAN_DEMO}"
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Пустите журналистов в Ставрин и расследуйте стрельбу"
    )


def test_a_reader_signs_the_russian_letter_in_russian_through_to_confirmation(
    page, live_server, demo, screenshot
):
    words = WORDS["ru"]
    page.goto(f"{live_server.url}{RUSSIAN_DEMO}")
    fill_sign_form(page, words, email="aigerim.s@example.org")

    page.get_by_role("button", name=words["sign"], exact=True).click()

    expect(page.get_by_role("heading", name=words["check_email"])).to_be_visible()
    email = mail.outbox[-1]
    assert email.subject == (
        "Подтвердите свою подпись: Пустите журналистов в Ставрин и расследуйте стрельбу"
    )
    page.goto(confirmation_link(live_server))
    assert page.url.startswith(f"{live_server.url}/ru/signatures/confirm/")
    expect(page.locator("main .lead")).to_have_text(
        "Пустите журналистов в Ставрин и расследуйте стрельбу"
    )
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.get_by_role("heading", name=words["thanks"])).to_be_visible()
    # The Russian version's thank-you page, with the signer's receipt (#23).
    assert page.url.startswith(f"{live_server.url}{RUSSIAN_DEMO}thank-you/?receipt=")
    signature = Signature.objects.get(email="aigerim.s@example.org")
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.appeal_version.language == signature.language == "ru"


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_on_a_phone_russian_and_kazakh_pages_fit_the_screen(
    browser, live_server, demo, language, screenshot
):
    """The appeal, the sign form with errors, check-email and confirm, at 390 px.

    Russian and Kazakh words are longer than English ones: no button may be cut
    and no page may scroll sideways.
    """
    words = WORDS[language]
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{live_server.url}/{language}{RUSSIAN_DEMO.removeprefix('/ru')}")
    screenshot(f"phone-{language}-appeal", page)
    assert overflow(page) <= 0, "appeal"

    fill_sign_form(page, words, email="not an address")
    page.get_by_role("button", name=words["sign"], exact=True).click()
    expect(page.locator("#error-summary")).to_be_visible()
    screenshot(f"phone-{language}-sign-errors", page)
    assert overflow(page) <= 0, "sign form with errors"

    field(page, words["email"]).fill(f"phone-{language}@example.org")
    page.wait_for_timeout(3100)
    page.get_by_role("button", name=words["sign"], exact=True).click()
    expect(page.get_by_role("heading", name=words["check_email"])).to_be_visible()
    screenshot(f"phone-{language}-check-email", page)
    assert overflow(page) <= 0, "check your email"

    # The email is in Russian (the letter read); its link opens in any language.
    page.goto(confirmation_link(live_server).replace("/ru/", f"/{language}/"))
    expect(page.get_by_role("button", name=words["confirm"])).to_be_visible()
    screenshot(f"phone-{language}-confirm", page)
    assert overflow(page) <= 0, "confirm"
    page.context.close()
