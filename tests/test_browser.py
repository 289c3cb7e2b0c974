"""The released book as a reader's browser sees it: Playwright driving Debian's Chromium.

Skipped with a reason on a machine without Chromium; under CI (``CI`` set) a missing
Chromium fails the run instead.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import HOSTILE, HOSTILE_LABEL, HOSTILE_SET_TITLE, broken_links, make_checkout, make_hostile

from ketrev.build.pipeline import build_book
from ketrev.build.site import publish_version

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("CI: Chromium is required for the browser tests (apt-get install chromium)", pytrace=False)
    pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped", allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
Axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe

VERSIONS = ("1.0", "1.1")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Two releases of the book built from the example data with markup in one study."""
    root = make_checkout(tmp_path_factory.mktemp("browser"))
    make_hostile(root / "data")
    for version in VERSIONS:
        build_book(root, version=version, targets=[root / "site" / version], report=lambda _: None)
    publish_version(root / "site")
    return root / "site"


@pytest.fixture(scope="module")
def server(site):
    """``ketrev serve`` on a free port; yields the base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "ketrev", "serve", "--port", "0"], cwd=site.parent,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        yield re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def pages_of(site: Path, version: str = VERSIONS[-1]) -> list[str]:
    root = site / version
    return sorted(p.relative_to(site).as_posix() for p in root.rglob("*.html") if "_static" not in p.parts)


class Visit:
    """A page opened with every console error, failed request, HTTP error and dialog recorded."""

    def __init__(self, browser, url: str, *, offline: bool = False, width: int = 1300):
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.on("console", lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        if offline:
            def route(r):
                if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
                    r.continue_()
                else:
                    self.blocked.append(r.request.url)
                    r.abort()
            self.page.route("**/*", route)
        self.page.goto(url, wait_until="networkidle")

    def close(self):
        self.page.close()


def test_every_page_loads_without_errors(site, server, browser):
    for page in pages_of(site):
        visit = Visit(browser, server + page)
        assert visit.problems == [], page
        assert visit.page.locator("main, article").first.is_visible(), page
        visit.close()


def test_every_figure_loads_and_has_alt_text(site, server, browser):
    figures = 0
    for page in pages_of(site):
        visit = Visit(browser, server + page)
        for img in visit.page.locator("main img").all():
            size = img.evaluate("i => i.complete ? i.naturalWidth * i.naturalHeight : 0")
            assert size > 0, (page, img.get_attribute("src")[:80])
            assert (img.get_attribute("alt") or "").strip(), page
            figures += 1
        visit.close()
    assert figures >= 5


def test_version_switcher_goes_to_the_same_page_of_another_version(server, browser):
    visit = Visit(browser, server + "1.1/notebooks/03-molecules.html")
    button = visit.page.locator(".version-switcher__button").first
    button.click()
    items = visit.page.locator(".version-switcher__menu a")
    assert [t.strip() for t in items.all_inner_texts()] == ["1.1 (latest)", "1.0"]
    items.nth(1).click()
    visit.page.wait_for_url("**/1.0/notebooks/03-molecules.html")
    assert "book version 1.0" in visit.page.content()
    visit.close()


def test_search_finds_a_study_by_a_word_of_its_title(server, browser):
    visit = Visit(browser, server + "1.1/search.html?q=Synthetic")
    visit.page.wait_for_selector("#search-results li", timeout=10_000)
    assert "References" in visit.page.locator("#search-results").inner_text()
    visit.close()


def test_study_explorer_filters_by_molecule_and_evidence_type(server, browser):
    visit = Visit(browser, server + "1.1/notebooks/07-explorer.html")
    page = visit.page
    info = page.locator("#findings-explorer_info")

    def total() -> int:
        return int(re.search(r"of ([\d,]+) entries", info.inner_text()).group(1).replace(",", ""))

    everything = total()
    page.locator(".dtsp-showAll").first.click()  # the panes start collapsed
    page.locator(".dtsp-searchPane").nth(1).locator("tr", has_text="BDNF").first.click()  # molecule pane
    page.wait_for_function("() => document.querySelector('.dt-info').innerText.includes('filtered')")
    bdnf = total()
    molecules = page.locator("table#findings-explorer tbody tr td:nth-child(3)").all_inner_texts()
    assert 0 < bdnf < everything and {m[:4] for m in molecules} == {"BDNF"}
    page.locator(".dtsp-searchPane").nth(0).locator("tr", has_text="Clinical").first.click()  # evidence pane
    page.wait_for_timeout(300)
    rows = page.locator("table#findings-explorer tbody tr:visible").all()
    assert 0 < len(rows) < bdnf
    models = {r.locator("td").nth(1).inner_text().rstrip("…") for r in rows}  # long text is shortened on screen
    patients = ("Treatment-resistant depression", "Major depressive disorder", "Bipolar depression")
    assert models and all(any(p.startswith(m) for p in patients) for m in models)
    links = page.locator("table#findings-explorer tbody tr td a").evaluate_all("as => as.map(a => a.href)")
    assert links and all(link.startswith("https://example.org/") for link in links)  # records are links
    heights = {round(r.bounding_box()["height"]) for r in rows}
    assert max(heights) < 40  # one line per row
    visit.close()


def test_audit_links_reach_their_cell_and_data(site, server, browser):
    visit = Visit(browser, server + "1.1/book/audit.html")
    links = visit.page.locator("table.ketrev-table a").evaluate_all("as => as.map(a => a.href)")
    visit.close()
    assert links
    request = browser.new_context().request
    for link in links:
        if not urlsplit(link).path.endswith(".html"):  # a data file: fetched, not rendered
            response = request.get(link)
            assert response.ok and response.body(), link
            continue
        target = Visit(browser, link)
        fragment = urlsplit(link).fragment
        if fragment:
            assert target.page.locator(f"[id='{fragment}']").count() == 1, link
        assert target.problems == [], link
        target.close()


def test_every_page_renders_offline(site, server, browser):
    for page in pages_of(site):
        visit = Visit(browser, server + page, offline=True)
        assert visit.blocked == [], (page, visit.blocked[:3])
        assert visit.problems == [], page
        visit.close()


def test_accessibility_no_serious_or_critical_violations(site, server, browser):
    axe = Axe()
    found = {}
    for page in pages_of(site):
        visit = Visit(browser, server + page)
        result = axe.run(visit.page)
        serious = [f"{v['id']} ({v['impact']}): {len(v['nodes'])}" for v in result.response["violations"]
                   if v["impact"] in ("serious", "critical")]
        if serious:
            found[page] = serious
        visit.close()
    assert found == {}


def test_markup_in_the_data_is_shown_as_text_and_never_runs(site, server, browser):
    pages = ["1.1/book/references.html", "1.1/notebooks/07-explorer.html", "1.1/notebooks/05-clinical.html",
             "1.1/book/comparisons.html", "1.1/notebooks/00-home.html", "1.1/notebooks/03-molecules.html",
             "1.1/notebooks/04-direction-of-effect.html", "1.1/book/audit.html", "1.1/book/data.html"]
    for page in pages:
        html = (site / page).read_text(encoding="utf-8")
        assert "<script>alert(" not in html and "<img src=x onerror" not in html, page
        assert "root:x:0:0" not in html, page  # the MyST directive in a title did not include a host file
    refs = (site / pages[0]).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Synthetic hostile title" in refs
    for page in pages:
        visit = Visit(browser, server + page)
        visit.page.wait_for_timeout(300)
        assert visit.dialogs == [], page
        text = visit.page.locator("main").inner_text()
        if page == pages[0]:
            assert HOSTILE["title"] in text  # shown as the text it is, backticks and all
        if page == pages[4]:
            assert HOSTILE_SET_TITLE in text
        if page == pages[5]:
            assert HOSTILE_LABEL in text
        visit.close()


#: The widths readers use: a desktop window and a phone.
WIDTHS = (1300, 390)
FITS = """() => {
  const out = [];
  document.querySelectorAll('main table').forEach((table) => {
    const frame = table.closest('.ketrev-scroll, .dt-layout-table, .pst-scrollable-table-container') || table.parentElement;
    if (table.scrollWidth > frame.clientWidth + 1) {
      out.push(`table "${(table.querySelector('th') || {}).innerText}" is ${table.scrollWidth}px in ${frame.clientWidth}px`);
    }
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    out.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${window.innerWidth}px window`);
  }
  const main = document.querySelector('main').getBoundingClientRect();
  document.querySelectorAll('main img').forEach((img) => {
    const box = img.getBoundingClientRect();
    if (box.right > main.right + 1 || box.left < main.left - 1) out.push(`image "${img.alt.slice(0, 40)}" overflows`);
  });
  return out;
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_every_table_and_figure_fits_the_page(site, server, browser, width):
    clipped = {}
    for page in pages_of(site):
        visit = Visit(browser, server + page, width=width)
        found = visit.page.evaluate(FITS)
        if found:
            clipped[page] = found
        assert visit.problems == [], (page, visit.problems)
        visit.close()
    assert clipped == {}


def vocabulary_ids(data: Path) -> set[str]:
    """Ids a reader must never see: every id with an underscore, and the abbreviations used as ids."""
    import csv

    from ketrev.views import _base

    ids = {key for values in _base()["values"].values() for key in values}
    ids |= set(_base()["columns"])
    for name, column in (("models", "model"), ("molecules", "molecule")):
        with (data / "vocab" / f"{name}.csv").open(encoding="utf-8") as f:
            ids |= {row[column] for row in csv.DictReader(f)}
    return {i for i in ids if "_" in i or i in {"cums", "csds", "crs", "lh", "cort", "lps", "wky", "fsl", "trd", "mdd",
                                                 "bd", "pfc", "nac", "csf", "hnk", "ip", "iv", "sc", "im"}}


def test_no_vocabulary_id_is_visible_on_a_reader_page(site, server, browser):
    ids = vocabulary_ids(site.parent / "data")
    seen = {}
    for page in [p for p in pages_of(site) if "/notebooks/" in p]:
        visit = Visit(browser, server + page)
        words = set(re.findall(r"[A-Za-z0-9_]+", visit.page.locator("main").inner_text()))
        if words & ids:
            seen[page] = sorted(words & ids)
        visit.close()
    assert seen == {}


def test_summary_of_findings_answers_first_with_the_numbers_of_the_vote_count_table(site, server, browser):
    import csv

    outputs = site / VERSIONS[-1] / "outputs" / "tables"
    with (outputs / "vote-counts.csv").open() as f:
        votes = {row["outcome"]: row for row in csv.DictReader(f)}
    with (outputs / "summary-of-findings.csv").open() as f:
        summary = list(csv.DictReader(f))
    for width, height in ((1300, 800), (390, 844)):
        visit = Visit(browser, server + f"{VERSIONS[-1]}/notebooks/00-home.html", width=width)
        visit.page.set_viewport_size({"width": width, "height": height})
        first = visit.page.locator("#ketrev-summary-of-findings tbody tr").first.bounding_box()
        assert first["y"] + 20 < height, (width, first)  # the answer is in the first screen
        rows = visit.page.locator("#ketrev-summary-of-findings tbody tr").all()
        assert len(rows) == len(summary) > 0
        for row, data in zip(rows, summary):
            cells = {c.get_attribute("data-label"): c.inner_text().strip() for c in row.locator("td").all()}
            vote = votes[data["outcome"]]
            assert cells["Animals and cells"].startswith(f"{vote['pre_n_studies']} stud") or vote["pre_n_studies"] == "0"
            assert cells["State of evidence (certainty)"].startswith(vote["state_words"])
            if vote["analysis"] == "confirmatory" and vote["state"] in ("consistent", "fragile"):
                assert "Holm-adjusted across the 12 molecules the review names" in cells["Why"]
                assert "multiverse analyses" in cells["Why"]
                assert "agree" in cells["Why"] or "compare" in cells["Why"] or "opposite" in cells["Why"]
        visit.close()


def test_the_citation_file_is_published_and_linked(site, server, browser):
    visit = Visit(browser, server + f"{VERSIONS[-1]}/book/methods.html")
    link = visit.page.locator("a", has_text="CITATION.cff").first
    href = link.evaluate("a => a.href")
    response = visit.page.request.get(href)
    assert response.ok
    assert f"version: '{VERSIONS[-1]}'" in response.text()
    visit.close()


def test_a_link_to_a_code_cell_opens_it(server, browser):
    visit = Visit(browser, server + f"{VERSIONS[-1]}/notebooks/04-direction-of-effect.html#cell-vote-counts")
    assert visit.page.locator("#cell-vote-counts details.above-input").first.evaluate("d => d.open")
    visit.close()


def test_figures_stay_legible_on_a_phone(site, server, browser):
    from ketrev.figures import MIN_FONT

    visit = Visit(browser, server + f"{VERSIONS[-1]}/notebooks/03-molecules.html", width=390)
    for image in visit.page.locator("main img.ketrev-image").all():
        shown = image.evaluate("i => i.getBoundingClientRect().width")
        natural = image.evaluate("i => i.naturalWidth")
        # 150 dpi files: a 9-point label is 9/72 inch, shown at (shown / natural * 150) px per inch
        assert MIN_FONT / 72 * 150 * shown / natural >= 11 or "PRISMA" in image.get_attribute("alt")
    visit.close()


def test_release_links_all_resolve(site):
    assert broken_links(site / VERSIONS[-1]) == []


def test_versions_json_lists_both_releases(site):
    assert [e["version"] for e in json.loads((site / "versions.json").read_text())] == ["1.1", "1.0"]
