"""Build-side guards of the HTML book's reader features (book_extensions/reader.py):
what the browser tests would only see once a page is served is refused while it is built."""

from __future__ import annotations

import logging

from book_extensions import reader


def test_a_page_that_would_load_from_another_host_fails_the_build(caplog):
    context = {
        "script_files": ["_static/doctools.js", "https://unpkg.com/tippy.js@6"],
        "css_files": ["_static/reader.css", "//fonts.example.org/font.css"],
        "body": '<p><img alt="a chart" src="https://example.org/chart.png"/>'
                '<img alt="local" src="../_images/chart.svg"/>'
                '<a href="https://example.org/source">a cited source may be linked</a></p>',
    }
    with caplog.at_level(logging.WARNING):
        reader.refuse_remote_assets(None, "book/page", "page.html", context, None)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 3, warned
    for url in ("https://unpkg.com/tippy.js@6", "//fonts.example.org/font.css",
                "https://example.org/chart.png"):
        assert any(url in message and "book/page" in message for message in warned), url


def test_a_page_served_entirely_by_the_book_passes(caplog):
    context = {"script_files": ["_static/vendor/popper.min.js"], "css_files": ["_static/reader.css"],
               "body": '<img alt="chart" src="../_images/chart.svg"/>'}
    with caplog.at_level(logging.WARNING):
        reader.refuse_remote_assets(None, "book/page", "page.html", context, None)
    assert [r for r in caplog.records if r.levelno == logging.WARNING] == []
