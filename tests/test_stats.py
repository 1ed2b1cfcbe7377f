"""Signatures by country and by day: stats.json, stats.csv and the signatories page."""

import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from appeals import stats
from appeals.models import Appeal, Signature
from appeals.services import record_former_slug
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db

SITE = "https://appeals.example.org"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def sign(appeal, country, number=1, **fields):
    for _ in range(number):
        make_signature(appeal, country=country, **fields)


def by_country(client, slug="figures"):
    data = client.get(f"/appeals/{slug}/stats.json").json()
    return {row["country"]: row for row in data["by_country"]}, data


@pytest.fixture
def appeal():
    return make_appeal(slug="figures", title="Count us")


def test_stats_json_counts_confirmed_signatures_by_country(client, appeal):
    sign(appeal, "UA", 7)
    sign(appeal, "PL", 5, visibility=Signature.Visibility.COUNTED)
    for status in ["pending", "withdrawn", "rejected", "quarantined"]:
        sign(appeal, "UA", 3, status=status)

    response = client.get("/appeals/figures/stats.json")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["signature_count"] == 12
    assert data["by_country"] == [
        {"country": "UA", "name": "Ukraine", "count": 7},
        {"country": "PL", "name": "Poland", "count": 5},
    ]
    assert data["smallest_count_shown"] == 5
    assert data["url"] == f"{SITE}/appeals/figures/"
    assert data["csv_url"] == f"{SITE}/appeals/figures/stats.csv"


def test_countries_with_fewer_than_five_show_no_count(client, appeal):
    sign(appeal, "UA", 9)
    sign(appeal, "PL", 1)
    sign(appeal, "GE", 3)

    countries, data = by_country(client)

    assert countries["UA"]["count"] == 9
    assert countries["PL"] == {
        "country": "PL",
        "name": "Poland",
        "count": None,
        "fewer_than": 5,
    }
    assert countries["GE"]["count"] is None
    assert data["signature_count"] == 13


def test_one_country_under_five_is_not_named_as_the_total_gives_its_count(
    client, appeal
):
    sign(appeal, "UA", 9)
    sign(appeal, "BY", 2)

    countries, data = by_country(client)

    # The total less the countries shown is 2: whose 2 it is must stay unknown.
    shown = sum(row["count"] or 0 for row in data["by_country"])
    assert data["signature_count"] - shown == 2
    assert "BY" not in countries
    assert "Belarus" not in json.dumps(data)
    assert countries[None] == {
        "country": None,
        "name": "Other countries",
        "count": None,
        "fewer_than": 5,
    }


@pytest.mark.parametrize("each", [1, 4])
def test_countries_under_five_that_all_have_the_same_count_are_not_named(
    client, appeal, each
):
    # Three countries and 3 (or 12) signatures not shown: each would have 1 (or 4).
    sign(appeal, "UA", 6)
    for country in ["BY", "KZ", "GE"]:
        sign(appeal, country, each)

    countries, data = by_country(client)

    assert set(countries) == {"UA", None}


def test_the_public_list_cannot_narrow_a_country_under_five_to_its_count(
    client, appeal
):
    # 4 signatures not shown, by two countries. The signatories page lists the 3
    # Belarusians by name: were both named here, Georgia would have exactly 1,
    # a signer who asked not to be listed.
    sign(appeal, "UA", 9)
    sign(appeal, "BY", 3)
    sign(appeal, "GE", 1, visibility=Signature.Visibility.COUNTED)

    countries, data = by_country(client)
    listed = client.get("/en/appeals/figures/signatures/").content.decode()

    assert listed.count("Belarus") >= 3
    assert set(countries) == {"UA", None}
    assert "Georgia" not in json.dumps(data)


def test_a_country_reaching_five_shows_its_count(client, appeal):
    sign(appeal, "UA", 4)
    sign(appeal, "PL", 2)
    assert by_country(client)[0]["UA"]["count"] is None

    sign(appeal, "UA", 1)
    cache.clear()  # As a minute later.

    assert by_country(client)[0]["UA"]["count"] == 5


def test_high_risk_signatures_keep_their_country(client):
    appeal = make_appeal(slug="figures", is_high_risk=True)
    sign(appeal, "BY", 6, visibility=Signature.Visibility.COUNTED, email="")

    assert by_country(client)[0]["BY"]["count"] == 6


def test_a_translation_answers_with_its_original_figures(client, appeal):
    make_appeal(slug="figury", language="uk", translation_of=appeal)
    sign(appeal, "UA", 5)

    data = client.get("/appeals/figury/stats.json").json()

    assert data["slug"] == "figures"
    assert data["by_country"][0]["count"] == 5


def test_stats_json_counts_each_day_and_the_running_total(client, appeal):
    today = timezone.localdate()
    now = timezone.now()
    sign(appeal, "UA", 2, confirmed_at=now - timedelta(days=2))
    sign(appeal, "UA", 3, confirmed_at=now)
    sign(appeal, "UA", 4, status="withdrawn", confirmed_at=now - timedelta(days=1))

    days = client.get("/appeals/figures/stats.json").json()["by_day"]

    assert days == [
        {
            "date": (today - timedelta(days=2)).isoformat(),
            "signatures": 2,
            "total": 2,
        },
        {"date": (today - timedelta(days=1)).isoformat(), "signatures": 0, "total": 2},
        {"date": today.isoformat(), "signatures": 3, "total": 5},
    ]


def test_an_open_appeals_days_run_to_today(client, appeal):
    sign(appeal, "UA", 1, confirmed_at=timezone.now() - timedelta(days=3))

    days = client.get("/appeals/figures/stats.json").json()["by_day"]

    assert [day["signatures"] for day in days] == [1, 0, 0, 0]
    assert days[-1]["date"] == timezone.localdate().isoformat()


def test_stats_json_is_cacheable_and_answers_304(client, appeal):
    sign(appeal, "UA", 5)

    response = client.get("/appeals/figures/stats.json")

    assert "public" in response["Cache-Control"]
    again = client.get(
        "/appeals/figures/stats.json", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304


def test_the_figures_are_counted_once_a_minute_not_per_reader(
    client, appeal, django_assert_max_num_queries
):
    sign(appeal, "UA", 5)
    client.get("/appeals/figures/stats.json")
    sign(appeal, "UA", 5)

    with django_assert_max_num_queries(1):  # Finding the appeal; no counting.
        data = client.get("/appeals/figures/stats.json").json()

    assert data["signature_count"] == 5


def test_counting_takes_one_query_per_figure(appeal, django_assert_num_queries):
    sign(appeal, "UA", 20)
    sign(appeal, "PL", 20)

    with django_assert_num_queries(3):
        figures = stats.count_signatures(appeal)

    assert figures.total == 40


def test_stats_csv_lists_each_day_for_a_spreadsheet(client, appeal):
    sign(appeal, "UA", 3)

    response = client.get("/appeals/figures/stats.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="figures-signatures-by-day.csv"'
    )
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "public" in response["Cache-Control"]
    text = response.content.decode("utf-8-sig")
    today = timezone.localdate().isoformat()
    assert text.splitlines() == ["date,signatures,total", f"{today},3,3"]


def test_stats_csv_cells_never_start_a_formula(client, appeal):
    sign(appeal, "UA", 3)

    text = client.get("/appeals/figures/stats.csv").content.decode("utf-8-sig")

    cells = [cell for line in text.splitlines() for cell in line.split(",")]
    assert not [cell for cell in cells if cell[:1] in "=+-@\t\r"]


@pytest.mark.parametrize(
    "path",
    [
        "/appeals/nothing-here/count.json",
        "/appeals/nothing-here.json",
        "/appeals/nothing-here/stats.json",
        "/appeals/nothing-here/stats.csv",
    ],
)
def test_an_unknown_appeal_answers_a_json_404_open_to_other_sites(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {"error": "There is no appeal at this address."}


def test_a_draft_has_no_figures(client):
    make_appeal(slug="figures", status=Appeal.Status.DRAFT, published_at=None)

    assert client.get("/appeals/figures/stats.json").status_code == 404


def test_a_renamed_appeals_figures_redirect_open_to_other_sites(client, appeal):
    record_former_slug(appeal=appeal, slug="old-figures")

    response = client.get("/appeals/old-figures/stats.json")

    assert response.status_code == 301
    assert response["Location"] == "/appeals/figures/stats.json"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_signatories_page_draws_countries_and_days_with_tables(client, appeal):
    sign(appeal, "UA", 12)
    sign(appeal, "PL", 6)
    sign(appeal, "BY", 2)
    sign(appeal, "GE", 1)

    html = client.get("/en/appeals/figures/signatures/").content.decode()

    charts = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(charts) == 3
    for chart in charts:
        assert 'role="img"' in chart
        assert re.search(r'aria-labelledby="([\w-]+) ([\w-]+)"', chart)
        assert "<title" in chart and "<desc" in chart
        assert "style=" not in chart
    assert "<script" not in html.split("<footer")[0]
    table = re.search(r"<table[^>]*countries.*?</table>", html, re.S).group(0)
    assert re.search(r"Ukraine</th>\s*<td[^>]*>12</td>", table)
    assert re.search(r"Belarus</th>\s*<td[^>]*>fewer than 5</td>", table)
    assert re.search(r"Georgia</th>\s*<td[^>]*>fewer than 5</td>", table)
    assert 'href="/appeals/figures/stats.csv"' in html
    assert 'href="/static/appeals/css/charts.css"' in html


def test_the_later_pages_of_signatories_leave_the_figures_out(client, appeal):
    sign(appeal, "UA", 5)

    html = client.get("/en/appeals/figures/signatures/?oldest=1").content.decode()

    assert "<svg" not in html


def test_an_appeal_without_signatures_draws_no_chart(client, appeal):
    html = client.get("/en/appeals/figures/signatures/").content.decode()

    assert "<svg" not in html


def test_stats_json_on_the_onion_links_to_the_onion(client, appeal, settings):
    onion = "h6qrh7ack5bmrjurqo6dtte37ud3g6mqgty7jttmcinms3377ortxuad.onion"
    settings.ONION_URL = f"http://{onion}"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, onion]
    sign(appeal, "UA", 5)

    data = client.get("/appeals/figures/stats.json", HTTP_HOST=onion).json()

    assert data["url"] == f"http://{onion}/appeals/figures/"
    assert data["csv_url"] == f"http://{onion}/appeals/figures/stats.csv"


def test_an_old_copy_is_counted_again_by_one_process_while_others_serve_it(
    appeal, shared_cache, monkeypatch
):
    sign(appeal, "UA", 5)
    first = stats.appeal_stats(appeal)
    sign(appeal, "UA", 5)
    later = first.made_at + stats.STATS_SECONDS + 1
    monkeypatch.setattr(stats.time, "time", lambda: later)
    key = f"appeals:stats:{stats.COPY_FORMAT}:{appeal.pk}"

    cache.add(f"{key}:making", True, 30)  # Another process is counting.
    assert stats.appeal_stats(appeal).total == 5

    cache.delete(f"{key}:making")
    assert stats.appeal_stats(appeal).total == 10
    assert cache.get(f"{key}:making") is None


def test_the_press_box_leads_to_the_figures(client, appeal):
    sign(appeal, "UA", 5)
    Appeal.objects.filter(pk=appeal.pk).update(signature_count=5)

    html = client.get(appeal.get_absolute_url()).content.decode()

    assert 'href="/en/appeals/figures/signatures/#figures"' in html
    figures = client.get("/en/appeals/figures/signatures/").content.decode()
    assert '<section class="figures mb-4" id="figures"' in figures
