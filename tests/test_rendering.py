import pytest

from appeals.rendering import render_markdown


def test_markdown_formatting_is_kept():
    html = render_markdown("## Demands\n\n1. **free** the [press](https://example.org)")

    assert "<h2>Demands</h2>" in html
    assert "<strong>free</strong>" in html
    assert 'href="https://example.org"' in html


@pytest.mark.parametrize(
    ("body", "forbidden"),
    [
        ("<script>alert('x')</script>", "<script"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "avascript"),
        ('<p onclick="steal()">text</p>', "onclick"),
        ('<iframe src="https://evil.example"></iframe>', "<iframe"),
        ("<svg><script>alert(1)</script></svg>", "<script"),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "data:"),
    ],
)
def test_dangerous_html_never_survives(body, forbidden):
    html = render_markdown(f"Text before.\n\n{body}\n\nText after.")

    assert forbidden.lower() not in html.lower()
    assert "Text after." in html
