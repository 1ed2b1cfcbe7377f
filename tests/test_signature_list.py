"""The public list of signatories: only what signers chose to show."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from appeals.models import Signature
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db


def list_url(appeal, **query):
    url = reverse("appeals:signatures", kwargs={"slug": appeal.slug})
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def names_on(response):
    return [signature.full_name for signature in response.context["page"].items]


def test_the_list_shows_only_confirmed_signers_who_chose_to_be_shown(client):
    appeal = make_appeal()
    make_signature(appeal, full_name="Shown Signer", email="shown@example.org")
    make_signature(
        appeal,
        full_name="Hidden Signer",
        email="hidden@example.org",
        visibility="counted",
    )
    make_signature(appeal, full_name="Pending Signer", status="pending")
    make_signature(appeal, full_name="Rejected Signer", status="rejected")

    for url in [list_url(appeal), appeal.get_absolute_url()]:
        html = client.get(url).content.decode()
        assert "Shown Signer" in html
        for absent in [
            "Hidden Signer",
            "Pending Signer",
            "Rejected Signer",
            "@example.org",
        ]:
            assert absent not in html, url


def test_only_approved_comments_are_public(client):
    appeal = make_appeal()
    make_signature(appeal, comment="Approved words", comment_status="approved")
    make_signature(appeal, comment="Unreviewed words")
    make_signature(appeal, comment="Hidden words", comment_status="hidden")

    for url in [list_url(appeal), appeal.get_absolute_url()]:
        html = client.get(url).content.decode()
        assert "Approved words" in html
        assert "Unreviewed words" not in html
        assert "Hidden words" not in html


def test_signer_text_is_escaped(client):
    appeal = make_appeal()
    make_signature(
        appeal,
        full_name='<script>alert("x")</script>',
        comment="<img src=x onerror=alert(1)>",
        comment_status="approved",
    )

    html = client.get(list_url(appeal)).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x" not in html


def test_pages_run_newest_first_and_link_to_older_newer_and_oldest(client):
    appeal = make_appeal()
    signatures = [
        make_signature(appeal, full_name=f"Signer {n:03}") for n in range(120)
    ]
    newest_first = [s.full_name for s in reversed(signatures)]

    first = client.get(list_url(appeal))
    assert names_on(first) == newest_first[:50]
    older = first.context["page"].older_cursor
    assert f"?before={older}" in first.content.decode()

    second = client.get(list_url(appeal, before=older))
    assert names_on(second) == newest_first[50:100]
    newer = second.context["page"].newer_cursor
    assert names_on(client.get(list_url(appeal, after=newer))) == newest_first[:50]

    last = client.get(list_url(appeal, before=second.context["page"].older_cursor))
    assert names_on(last) == newest_first[100:]
    assert last.context["page"].is_oldest

    oldest = client.get(list_url(appeal, oldest=1))
    assert names_on(oldest) == newest_first[-50:]
    assert oldest.context["page"].is_oldest
    assert not oldest.context["page"].is_newest


@pytest.mark.parametrize(
    "query", [{"before": "abc"}, {"after": "-5"}, {"before": "1e9"}]
)
def test_a_bad_page_address_gets_a_clear_400(client, query):
    appeal = make_appeal()

    response = client.get(list_url(appeal, **query))

    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_list_queries_do_not_grow_with_signatures(client, django_assert_num_queries):
    appeal = make_appeal()
    make_signature(appeal)
    # The appeal, the page of signatures, and the figures: by country (all, and
    # those named) and by day.
    with django_assert_num_queries(5) as few:
        client.get(list_url(appeal))
    for _ in range(60):
        make_signature(appeal, country="PL")
    cache.clear()  # The figures are counted again once a minute.
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(list_url(appeal))


def test_appeal_page_queries_do_not_grow_with_signatures(
    client, django_assert_num_queries
):
    appeal = make_appeal()
    make_signature(appeal, comment="Hi", comment_status="approved")
    client.get(appeal.get_absolute_url())  # Site settings are cached after this.
    with django_assert_num_queries(7) as few:
        client.get(appeal.get_absolute_url())
    for _ in range(20):
        make_signature(appeal)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(appeal.get_absolute_url())
    assert Signature.objects.count() == 21
