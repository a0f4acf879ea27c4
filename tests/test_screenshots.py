"""scripts/screenshots.py up to the HTML (no Chromium): the real adapters' payloads, as the fakes
recorded them, rendered the way the clients show them, with third-party text kept as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.render_payloads import Thread, discord_markdown, discord_page, mrkdwn, slack_page
from scripts.screenshots import capture, demo_threads, main
from tests.factories import MENTIONS, make_digest, make_entry, make_paper, make_post

HOSTILE = "<script>alert(1)</script> <!channel> @everyone & <b>bold</b>"
CUTPASTE = "CutPaste: Self-Supervised Learning for Anomaly Detection and Localization"
ABS = "https://arxiv.org/abs/2104.04015"


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


@pytest.fixture
async def demo() -> dict[str, Thread]:
    return await demo_threads()


async def test_the_demo_thread_is_what_the_adapters_sent(demo: dict[str, Thread]) -> None:
    slack, discord = demo["slack"], demo["discord"]
    assert slack.parent["blocks"][0]["text"]["text"] == "Hot Papers 2021-04-12"
    assert [r["text"][:3] for r in slack.replies] == [f"{n}. " for n in range(1, 10)] + ["10."]
    assert discord.name == "Hot Papers 2021-04-12"
    assert discord.parent["embeds"][0]["title"] == "Hot Papers 2021-04-12"
    assert discord.replies[0]["embeds"][0]["title"] == f"1. {CUTPASTE}"
    assert discord.replies[0]["allowed_mentions"] == {"parse": []}


async def test_the_slack_page_shows_the_header_and_three_replies(demo: dict[str, Thread]) -> None:
    html = slack_page(demo["slack"])
    assert '<div class="b-header">Hot Papers 2021-04-12</div>' in html
    assert "The top 10 of 11 hot papers (of 11 new in cs.AI, cs.CL" in html
    assert f'1. <a href="{ABS}">{CUTPASTE}</a>' in html  # the header names the top three
    assert f'<b>1. <a href="{ABS}">{CUTPASTE}</a></b>' in html
    assert "<i>cs.CV</i>" in html
    assert f'<a href="{ABS}">abs</a> | <a href="https://arxiv.org/pdf/2104.04015">pdf</a>' in html
    assert '<a href="https://twitter.com/ak92501/status/1381412371474874370">on X</a>' in html
    assert "10 replies" in html and "7 more replies" in html
    titles = [re.sub(r"^\d+\. | \(score .*$", "", r["text"]) for r in demo["slack"].replies]
    assert titles[0] == CUTPASTE
    assert titles[2] in html  # the third reply is shown
    assert titles[3] not in html  # the fourth is not
    assert all(h.startswith("https://") for h in hrefs(html))


async def test_the_discord_page_shows_the_embeds(demo: dict[str, Thread]) -> None:
    html = discord_page(demo["discord"])
    assert '<div class="e-title">Hot Papers 2021-04-12</div>' in html
    assert "The top 10 of 11 hot papers (of 11 new in cs.AI, cs.CL" in html
    assert f'<a href="{ABS}">1. {CUTPASTE}</a>' in html
    assert "border-left-color: #b31b1b" in html
    assert '<div class="e-fname">Links</div>' in html
    assert f'<a href="{ABS}">abs</a> | <a href="https://arxiv.org/pdf/2104.04015">pdf</a>' in html
    assert '<div class="e-footer">arXiv:2104.04015 · Hot Papers 2021-04-12</div>' in html
    assert "10 Messages" in html and "7 more messages" in html
    titles = [r["embeds"][0]["title"] for r in demo["discord"].replies]
    assert titles[2] in html and titles[3] not in html  # three replies shown
    assert all(h.startswith("https://") for h in hrefs(html))


async def test_hostile_third_party_text_stays_text_on_both_pages() -> None:
    paper = make_paper(1, title=HOSTILE, authors=("@everyone", "<@U1>"))
    post = make_post(1, paper.arxiv_id, text=MENTIONS, author_name="<!here>")
    digest = make_digest(1, entries=(make_entry(1, paper=paper, posts=(post,)),))
    threads = await capture(digest)
    for html in (slack_page(threads["slack"]), discord_page(threads["discord"])):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html
        assert "&amp;lt;" not in html  # escaped once: a reader sees <script>, not &lt;script&gt;
        assert html.count("<script") == 1  # only the page's own height probe
        assert "<b>bold" not in html
        assert 'class="mention' not in html  # nothing renders as a ping
        assert ">arxiv.org</a>" not in html  # no forged link label
    assert "&lt;!channel&gt;" in slack_page(threads["slack"])


def test_the_renderers_show_what_would_ping_and_drop_unsafe_links() -> None:
    assert 'class="mention mention-broadcast">@channel<' in mrkdwn("hi <!channel>")
    assert "@channel" not in mrkdwn("hi &lt;!channel&gt;")
    assert str(mrkdwn("<javascript:alert(1)|x>")) == "x"
    assert str(discord_markdown("[x](javascript:alert(1))")) == "[x](javascript:alert(1))"
    assert 'mention-broadcast">@everyone<' in discord_markdown("@everyone")
    assert "mention" not in discord_markdown("@\u200beveryone \\*x\\*")
    assert str(discord_markdown("> q\n**b** \\*x\\*")) == ("<blockquote>q</blockquote><b>b</b> *x*")


def test_html_only_writes_both_pages(tmp_path: Path) -> None:
    assert main(["--html-only", "--html-dir", str(tmp_path)]) == 0
    for platform in ("slack", "discord"):
        html = (tmp_path / f"{platform}-thread.html").read_text(encoding="utf-8")
        assert "Hot Papers 2021-04-12" in html and CUTPASTE in html
        assert "Content-Security-Policy" in html
