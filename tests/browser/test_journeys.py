"""People using the site in a real browser, found by what they see: labels, roles."""

import re
from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core import mail
from playwright.sync_api import expect

from appeals.models import Appeal, Signature
from appeals.services.counting import fold_signature_counts
from community.models import TypoReport
from tests.browser.conftest import AXE, assert_local_only
from tests.factories import make_appeal, make_organization, make_signature

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-staff-password"

# Select "Journalists must be allowed" in the paragraph, as a reader's mouse would.
SELECT_PHRASE = """element => {
    const text = [...element.childNodes].find(
        (node) => node.nodeType === 3 && node.textContent.includes("Journalists"));
    const start = text.textContent.indexOf("Journalists");
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, start + "Journalists must be allowed".length);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
}"""


@pytest.fixture
def appeal():
    appeal = make_appeal(
        title="Let journalists into Stavrin",
        slug="let-journalists-in",
        summary="Police fired on striking workers; the town was cut off.",
        body="We call for an **independent investigation**. "
        "Journalists must be allowed into the town without delay.",
        authors=[make_organization(name="Stavrin Human Rights Centre")],
        signature_goal=100,
    )
    make_signature(appeal, full_name="Earlier Signer")
    fold_signature_counts()
    Appeal.objects.filter(pk=appeal.pk).update(signature_count=1)
    return appeal


def field(page, label):
    """A form field by its label; required fields' labels end with an asterisk."""
    return page.get_by_label(re.compile(rf"^\s*{label}\s*\*?\s*$"))


def fill_sign_form(page, name="Olena Marchuk", email="olena@example.org"):
    field(page, "Full name").fill(name)
    field(page, "Email").fill(email)
    field(page, "Country").select_option(label="Ukraine")
    field(page, "City").fill("Kharkiv")
    page.get_by_label("Show my name and city on the list of signatories").check()
    page.wait_for_timeout(3100)  # People take longer than the form's minimum time.


def confirmation_link(live_server):
    body = mail.outbox[-1].body
    return re.search(
        rf"{re.escape(live_server.url)}/[a-z]{{2}}/signatures/confirm/\S+/", body
    )[0]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_visitor_signs_confirms_and_is_counted(
    browser, live_server, appeal, javascript, screenshot, mailoutbox
):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    urls = []
    page.on("request", lambda request: urls.append(request.url))

    page.goto(live_server.url)
    page.get_by_role("link", name="Let journalists into Stavrin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Let journalists into Stavrin"
    )
    screenshot(f"appeal-{'js' if javascript else 'nojs'}", page)
    fill_sign_form(page)
    page.get_by_role("button", name="Sign", exact=True).click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(confirmation_link(live_server))
    assert Signature.objects.get(full_name="Olena Marchuk").status == "pending"
    page.get_by_role("button", name="Confirm my signature").click()

    expect(page.get_by_role("heading", name="Thank you for signing")).to_be_visible()
    expect(page.locator(".signature-count")).to_have_text("2")
    screenshot(f"thank-you-{'js' if javascript else 'nojs'}", page)
    page.goto(f"{live_server.url}/appeals/let-journalists-in/signatures/")
    expect(page.get_by_text("Olena Marchuk")).to_be_visible()
    assert_local_only(urls, live_server)
    context.close()


def test_on_a_phone_the_appeal_and_form_fit_the_screen(
    browser, live_server, appeal, screenshot
):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/appeals/let-journalists-in/")

    page.get_by_role("link", name="Sign this appeal").click()
    expect(field(page, "Full name")).to_be_in_viewport()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    fill_sign_form(page, email="phone@example.org")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    screenshot("phone-appeal", page)
    context.close()


def test_on_a_phone_where_the_appeal_stands_is_on_the_first_screen(
    browser, live_server, appeal, screenshot
):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/appeals/let-journalists-in/")

    status = page.locator(".status-block")
    expect(status).to_be_in_viewport(ratio=1)
    expect(status).to_contain_text("1 signature of a goal of 100")
    expect(status.get_by_role("progressbar")).to_be_visible()
    status.get_by_role("link", name="Sign this appeal").click()
    expect(field(page, "Full name")).to_be_in_viewport()
    screenshot("phone-status-block", page)
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_a_signer_is_asked_to_share_right_after_signing(
    browser, live_server, appeal, javascript
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=javascript
    )
    # The phone's share sheet, as a phone's browser offers it.
    context.add_init_script(
        "navigator.share = (data) => { window.sharedData = data; "
        "return Promise.resolve(); };"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/appeals/let-journalists-in/")
    fill_sign_form(page)
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    shared = f"{live_server.url}/appeals/let-journalists-in/"
    expect(page.get_by_label("Link to the appeal")).to_have_value(shared)
    share = page.get_by_role("button", name="Share…")
    if javascript:
        share.click()
        assert page.evaluate("window.sharedData") == {
            "title": "Let journalists into Stavrin",
            "url": shared,
        }
    else:
        expect(share).to_be_hidden()
    page.get_by_label("Your Mastodon server").fill("@olena@mastodon.social")
    page.get_by_role("button", name="Share on Mastodon").click()
    continue_link = page.get_by_role("link", name="Continue to mastodon.social")
    assert continue_link.get_attribute("href").startswith(
        "https://mastodon.social/share?text=Let+journalists+into+Stavrin+"
    )
    context.close()


def test_on_a_touch_screen_a_reader_reports_a_typo_without_a_keyboard(
    browser, live_server, appeal
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/appeals/let-journalists-in/")
    expect(
        page.get_by_text("Select it and tap “Report the selected text”")
    ).to_be_visible()
    button = page.get_by_role("button", name="Report the selected text")
    expect(button).to_be_hidden()

    # The paragraph's first words: the context must keep its first character.
    page.locator(".appeal-body p").evaluate(
        """element => {
            const range = document.createRange();
            range.setStart(element.firstChild, 0);
            range.setEnd(element.firstChild, "We call".length);
            window.getSelection().removeAllRanges();
            window.getSelection().addRange(range);
        }"""
    )
    button.tap()

    dialog = page.get_by_role("dialog", name="Report a mistake")
    expect(dialog).to_be_visible()
    expect(dialog.locator("mark")).to_have_text("We call")
    expect(dialog.locator("[data-typo-context]")).to_have_text(
        "We call for an independent investigation."
    )
    dialog.get_by_role("button", name="Send").tap()
    expect(
        dialog.get_by_text("Thank you! Our editors will look at it.")
    ).to_be_visible()
    report = TypoReport.objects.get()
    assert report.context == "We call for an independent investigation."
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_a_failed_submission_opens_at_what_went_wrong(
    browser, live_server, appeal, javascript
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/appeals/let-journalists-in/")
    fill_sign_form(page, email="not an address")

    page.get_by_role("button", name="Sign", exact=True).click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    summary.get_by_role("link", name=re.compile("^Email")).click()
    expect(field(page, "Email")).to_be_in_viewport()
    context.close()


def staff_login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def make_staff(django_user_model, username, group):
    # Live-server tests empty the tables after each test, roles included: make them
    # again as the data migration does.
    import_module("appeals.migrations.0003_staff_roles").create_roles(apps, None)
    user = django_user_model.objects.create_user(
        username, password=PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def test_a_moderator_approves_a_comment_and_it_goes_public(
    page, live_server, appeal, django_user_model, screenshot
):
    make_signature(appeal, full_name="Nino B", comment="Solidarity from Tbilisi")
    make_staff(django_user_model, "moderator", "Moderators")
    staff_login(page, live_server, "moderator")

    page.get_by_role("link", name="Signatures", exact=True).first.click()
    page.get_by_role("link", name="With a comment").click()
    page.get_by_role("row", name=re.compile("Nino B")).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Approve the comment")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("1 comment approved.")).to_be_visible()
    screenshot("admin-moderation", page)

    page.goto(f"{live_server.url}/appeals/let-journalists-in/")
    expect(page.get_by_text("Solidarity from Tbilisi")).to_be_visible()


def test_a_moderator_goes_from_the_admin_home_to_the_comments_waiting(
    page, live_server, appeal, django_user_model, screenshot
):
    make_signature(appeal, full_name="Nino B", comment="Solidarity from Tbilisi")
    make_signature(appeal, full_name="Quiet Signer")
    make_staff(django_user_model, "moderator", "Moderators")
    page.set_viewport_size({"width": 1366, "height": 900})
    staff_login(page, live_server, "moderator")

    chart = page.locator("#signing-activity svg")
    expect(chart).to_be_visible()
    screenshot("admin-home", page)
    page.get_by_role("link", name="Comments awaiting moderation").click()

    expect(page.get_by_role("row", name=re.compile("Nino B"))).to_be_visible()
    expect(page.get_by_text("Quiet Signer")).to_have_count(0)
    # Every column, the date the last, fits the screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    date_column = page.locator("#result_list th.column-signed_at").bounding_box()
    assert date_column["x"] + date_column["width"] <= 1366
    screenshot("admin-signatures", page)


def test_an_editor_publishes_a_draft_and_it_appears_on_the_home_page(
    page, live_server, django_user_model
):
    draft = make_appeal(
        title="Release the reporters", status=Appeal.Status.DRAFT, published_at=None
    )
    make_staff(django_user_model, "editor", "Editors")
    staff_login(page, live_server, "editor")

    page.goto(f"{live_server.url}/admin/appeals/appeal/{draft.pk}/change/")
    page.get_by_role("link", name="Publish", exact=True).click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Publish: done.")).to_be_visible()

    page.goto(live_server.url)
    expect(page.get_by_role("link", name="Release the reporters")).to_be_visible()


def test_a_reader_reports_a_typo_with_ctrl_enter(
    page, live_server, appeal, django_user_model, screenshot, requests_seen
):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text))
    page.goto(f"{live_server.url}/appeals/let-journalists-in/")

    def select_phrase():
        page.locator(".appeal-body p", has_text="Journalists must").evaluate(
            SELECT_PHRASE
        )

    select_phrase()
    page.keyboard.press("Control+Enter")

    dialog = page.get_by_role("dialog", name="Report a mistake")
    assert errors == []
    expect(dialog).to_be_visible()
    expect(dialog.locator("mark")).to_have_text("Journalists must be allowed")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    select_phrase()  # Typing in the dialog moved the selection: select again.
    page.keyboard.press("Control+Enter")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Your comment (optional)").fill("Should be “journalists”.")
    screenshot("typo-dialog", page)
    dialog.get_by_role("button", name="Send").click()
    expect(
        dialog.get_by_text("Thank you! Our editors will look at it.")
    ).to_be_visible()

    report = TypoReport.objects.get()
    assert report.selected_text == "Journalists must be allowed"
    assert report.comment == "Should be “journalists”."
    assert report.page_url == "/en/appeals/let-journalists-in/"
    django_user_model.objects.create_superuser("chief", password=PASSWORD)
    staff_login(page, live_server, "chief")
    page.goto(f"{live_server.url}/admin/community/typoreport/")
    expect(page.get_by_text("Journalists must be allowed")).to_be_visible()
    assert_local_only(requests_seen, live_server)


def test_the_language_switcher_turns_the_site_ukrainian(page, live_server, appeal):
    page.goto(live_server.url)
    assert page.url == f"{live_server.url}/en/"  # The browser's language.

    page.get_by_role("navigation", name="Language").get_by_role(
        "link", name="Українська"
    ).click()

    assert page.url == f"{live_server.url}/uk/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Відкриті звернення")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    # An address without a language (an old link) now opens in the one chosen.
    page.goto(f"{live_server.url}/appeals/let-journalists-in/")
    assert page.url == f"{live_server.url}/uk/appeals/let-journalists-in/"
    expect(page.get_by_role("heading", name="Додайте свій підпис")).to_be_visible()


def test_the_sign_form_works_with_the_keyboard_alone(page, live_server, appeal):
    page.goto(f"{live_server.url}/appeals/let-journalists-in/")
    field(page, "Full name").focus()

    page.keyboard.type("Keyboard User")
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + ' ' +"
        " getComputedStyle(document.activeElement).boxShadow"
    )
    assert outline != "none none", "the focused field shows no focus"
    page.keyboard.press("Tab")
    page.keyboard.type("keyboard@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("Ukraine")  # Typing selects in a native select.
    for _ in range(4):  # City, affiliation, comment: on to the visibility radios.
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.wait_for_timeout(3100)
    page.get_by_role("button", name="Sign", exact=True).focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    signature = Signature.objects.get(full_name="Keyboard User")
    assert signature.country == "UA"


PAGES_FOR_AXE = [
    "/",
    "/appeals/let-journalists-in/",
    "/uk/appeals/let-journalists-in/",
    "/appeals/let-journalists-in/sign/check-email/",
    "/appeals/let-journalists-in/thank-you/",
    "/appeals/let-journalists-in/signatures/",
    "/appeals/let-journalists-in/organizations/sign/",
    "/join/",
    "/my-data/",
    "/typo/",
]


@pytest.mark.parametrize("path", PAGES_FOR_AXE)
def test_no_serious_accessibility_violations(browser, live_server, appeal, path):
    # axe is injected into the page, which our Content-Security-Policy would block.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    page.add_script_tag(path=str(AXE))

    result = page.evaluate("async () => await axe.run()")

    serious = [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])})"
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == []
    context.close()


def test_an_editor_sends_an_update_and_a_signer_unsubscribes_in_one_click(
    page, live_server, appeal, django_user_model, mailoutbox, screenshot
):
    import_module("appeals.migrations.0016_update_roles").grant(apps, None)
    make_signature(appeal, email="olena@example.org", wants_updates=True)
    make_signature(appeal, email="quiet@example.org", wants_updates=False)
    make_staff(django_user_model, "editor", "Editors")
    staff_login(page, live_server, "editor")

    page.goto(f"{live_server.url}/admin/appeals/update/add/?appeal={appeal.pk}")
    page.locator("#id_title").fill("The appeal was delivered")
    page.locator("#id_body").fill("We handed it to the **ministry** today.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#result_list").get_by_role(
        "link", name="The appeal was delivered"
    ).click()
    page.get_by_role("link", name="Send", exact=True).click()
    page.get_by_role("button", name="Send").click()
    expect(
        page.get_by_text(re.compile("sent|going out|queued", re.I)).first
    ).to_be_visible()
    screenshot("admin-update-progress", page)

    updates = [m for m in mailoutbox if m.subject == "The appeal was delivered"]
    assert [m.to for m in updates] == [["olena@example.org"]]
    link = re.search(
        rf"{re.escape(live_server.url)}/en/unsubscribe/\S+/", updates[0].body
    )[0]
    assert updates[0].extra_headers["List-Unsubscribe"] == f"<{link}>"

    # The signer reads the update on the site, then stops updates in one click.
    page.goto(f"{live_server.url}/appeals/let-journalists-in/")
    expect(page.get_by_role("link", name="The appeal was delivered")).to_be_visible()
    signer = page.context.browser.new_context().new_page()  # No staff cookie.
    signer.goto(link)
    expect(
        signer.get_by_text("Your signature stays counted", exact=False)
    ).to_be_visible()
    signer.get_by_role("button", name="No more updates about this appeal").click()
    expect(
        signer.get_by_text("you will get no more updates", exact=False)
    ).to_be_visible()
    assert not Signature.objects.get(email="olena@example.org").wants_updates
