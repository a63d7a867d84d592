"""Classroom mode in a real browser: every chapter in both languages on a 1280×720 projector,
walking the story with Next alone, and links that reproduce their view in a new browser."""

import re

import pytest

from gat_viz import i18n
from gat_viz.chapters import CHAPTERS
from tests.browser import CHART, wait_for_app
from tests.conftest import ROOT

pytestmark = pytest.mark.browser
SHOTS = ROOT / "tests" / "artifacts"
GRAPH_PANELS = ("graph", "relu", "heads")  # chapters whose picture is the neighbourhood chart

# The box of the chapter's picture in the viewport: the neighbourhood chart, or the panel that
# takes its place (the first chart or block in the left column).
PICTURE_JS = """() => {
    const charts = [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')];
    const graph = charts.find(g => g.data.some(t => t.customdata));
    const el = graph || charts[0];
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
}"""
CARD_JS = """() => {
    const r = document.querySelector('.st-key-chapter_card').getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
}"""
# Every piece of text drawn in the main area and the sidebar, SVG (plotly) included.
TEXT_JS = """() => {
    const roots = [...document.querySelectorAll('[data-testid=stMain], [data-testid=stSidebar]')];
    const out = [];
    for (const root of roots) {
        const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            const el = n.parentElement;
            // icons are ligature text in a symbol font (":material/download:" draws "download")
            const icon = '[data-testid=stIconMaterial], [data-testid=stAlertDynamicIcon], '
                + 'span[translate=no], .material-symbols-rounded';
            if (!el || el.closest('style, script, [data-testid=stTooltipContent], ' + icon)) continue;
            const font = getComputedStyle(el).fontFamily || '';
            if (font.includes('Material')) continue;
            const box = el.getBoundingClientRect();
            if (box.width === 0 && box.height === 0) continue;  // not drawn
            out.push(n.textContent);
        }
    }
    return out.join(' ');
}"""
# Latin words that stay in a Chinese page: names, units and the math's symbols.
KEPT = {
    "GAT", "GATv2", "PyG", "ReLU", "LeakyReLU", "PReLU", "Cora", "CiteSeer", "PubMed", "PPI", "CSV",
    "ICLR", "Brody", "Alon", "Yahav", "Veličković", "softmax", "exp", "log", "max", "src", "dst",
    "nats", "Adam", "Const", "Wh", "PNG", "Captum", "ELU", "Parameter",
    "English",  # the language switch names each language in itself
}  # fmt: skip


def english_words(text: str) -> list[str]:
    """Words of 3+ Latin letters outside KEPT and outside formulas (a_src, W_l, h_j …)."""
    words = []
    for token in re.split(r"[\s,.;:!?()\[\]{}“”\"'·×=+−\-/…|<>%#@]+", text):
        if not token or "_" in token or any(ch.isdigit() for ch in token):
            continue
        if re.fullmatch(r"[A-Za-z]{3,}", token) and token not in KEPT:
            words.append(token)
    return words


def test_english_words_finds_english():
    assert english_words("注意力 GATv2 a_src·Wh_j α=0.2 Node 5 test accuracy") == ["Node", "test", "accuracy"]


def open_chapter(browser, url, lang, number):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/?chapter={number}&lang={lang}&present=1")
    page.wait_for_selector(".st-key-chapter_card", timeout=120_000)
    wait_for_app(page, 120_000)
    page.wait_for_selector(CHART, timeout=120_000)
    wait_for_app(page, 120_000)
    return context, page, errors


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: f"chapter{c.number}")
def test_every_chapter_on_a_projector(app_server, browser, cora, lang, chapter):
    """Presenter mode at 1280×720: the chapter's text and its picture in view without scrolling,
    in English and in Chinese with no English left untranslated. Screenshots for people:
    tests/artifacts/chapter-N-LANG.png."""
    context, page, errors = open_chapter(browser, app_server, lang, chapter.number)
    try:
        page.screenshot(path=str(SHOTS / f"chapter-{chapter.number}-{lang}.png"))
        i18n.use(lang)
        title = i18n._(chapter.title)
        i18n.use("en")
        card = page.locator(".st-key-chapter_card")
        assert title in card.inner_text()
        left, top, right, bottom = page.evaluate(CARD_JS)
        assert 0 <= top and bottom <= 720 and right <= 1280, f"the chapter's text is cut: {top}..{bottom}"
        box = page.evaluate(PICTURE_JS)
        assert box is not None, "no chart drawn"
        left, top, right, bottom = box
        if chapter.panel in GRAPH_PANELS:
            assert 0 <= left and right <= 1280 and 0 <= top and bottom <= 720, (
                f"the graph is cut at 1280×720: {top:.0f}..{bottom:.0f}"
            )
        else:  # a panel in the graph's place: it starts in view
            top = page.evaluate(
                "() => document.querySelector('.st-key-chapter_panel').getBoundingClientRect().top"
            )
            assert 0 <= top < 720 - 150
        text = page.evaluate(TEXT_JS)
        assert "Traceback" not in text and errors == []
        if lang == "zh":
            left_over = english_words(text)
            assert not left_over, f"untranslated in chapter {chapter.number}: {sorted(set(left_over))[:30]}"
    finally:
        context.close()


def test_next_walks_the_story_and_leaving_keeps_the_view(app_server, page, cora):
    page.goto(f"{app_server}/?chapter=1")
    page.wait_for_selector(".st-key-chapter_card", timeout=120_000)
    wait_for_app(page, 120_000)
    for chapter in CHAPTERS[1:]:
        page.locator(".st-key-tour_next button").first.click()
        page.locator(".st-key-chapter_card", has_text=chapter.title).wait_for(timeout=120_000)
        wait_for_app(page, 120_000)
        assert f"chapter={chapter.number}" in page.url
    assert page.locator(".st-key-tour_next button").first.is_disabled()
    node = re.search(r"node=(\d+)", page.url).group(1)
    page.locator(".st-key-tour_leave button").first.click()
    page.locator(".st-key-chapter_card").wait_for(state="detached", timeout=60_000)
    wait_for_app(page)
    assert "chapter=" not in page.url and f"node={node}" in page.url


def test_a_link_reproduces_its_view_in_a_new_browser(app_server, browser, cora):
    query = "?dataset=CiteSeer&node=5&mode=one+layer&hops=1&layer=2&colour=predicted&relative=1"
    pages = []
    for url in [f"{app_server}/{query}", None]:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url or pages[-1][1])
        page.wait_for_selector(CHART, timeout=120_000)
        wait_for_app(page, 120_000)
        title = page.locator('[data-testid="stPlotlyChart"] .gtitle', has_text="node 5:").first.text_content()
        legend = page.locator('[data-testid="stPlotlyChart"] .legendtitletext').all_text_contents()
        pages.append((title, page.url, legend))
        context.close()
    (title, link, legend), (title2, link2, legend2) = pages
    assert title == "CiteSeer node 5: 1-hop neighbourhood, layer 2, head mean" == title2
    assert "Predicted class" in " ".join(legend) and legend == legend2
    for part in ("dataset=CiteSeer", "node=5", "relative=1", "colour=predicted", "layer=2"):
        assert part in link and part in link2


def test_a_link_with_impossible_values_gets_notices_and_no_training(app_server, page, cora):
    page.goto(f"{app_server}/?heads={'9' * 400}&slope=abc&node=123456&lang=xx&chapter=99")
    page.wait_for_selector(".st-key-chapter_card", timeout=120_000)
    wait_for_app(page, 120_000)
    body = page.inner_text("body")
    assert "400 characters long" in body and "not a number" in body and "does not exist" in body
    assert "Guided tour · chapter 7 of 7" in body  # the nearest chapter
    assert "training" not in page.locator('[data-testid="stSidebar"]').inner_text().lower()
    assert "Traceback" not in body
