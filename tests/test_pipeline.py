"""The book pipeline end to end, on a checkout laid out with the example data."""

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, make_checkout, snapshot

from ketrev.build.pipeline import BuildError, build_book
from ketrev.build.site import check_version, publish_version
from ketrev.errors import UsageError


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the repository's book sources with the example data, built once."""
    root = make_checkout(tmp_path_factory.mktemp("checkout"))
    runs = build_book(root, jobs=2, report=lambda _: None)
    assert {r.status for r in runs} == {"executed"}
    return root


def html(root: Path, page: str) -> str:
    return (root / "_build" / "html" / page).read_text(encoding="utf-8")


def test_every_chapter_is_a_page(checkout):
    pages = {p.relative_to(checkout / "_build/html").as_posix() for p in (checkout / "_build/html").rglob("*.html")}
    expected = {f"notebooks/{p.stem}.html" for p in (ROOT / "notebooks").glob("*.ipynb")}
    expected |= {f"book/{name}.html" for name in ("methods", "data", "data-dictionary", "references", "downloads",
                                                  "audit", "changelog")}
    assert expected <= pages
    assert "Ketamine and molecular neuroplasticity" in html(checkout, "notebooks/00-home.html")


def test_papermill_injected_the_parameters(checkout):
    nb = nbformat.read(checkout / "build/all/results/03-molecules/notebook.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'inclusion_set = "all"' in injected[0].source
    assert 'data_dir = "../data"' in injected[0].source  # relative: no machine path is published


def test_manifest_records_every_figure_with_its_source(checkout):
    manifest = json.loads((checkout / "_build/html/outputs/manifest.json").read_text())
    names = [r["name"] for r in manifest]
    assert len(names) == len(set(names)) and {"prisma-flow", "evidence-map", "vote-counts"} <= set(names)
    for record in manifest:
        assert record["cell_id"], record["name"]
        assert record["inclusion"] == "all" and len(record["data_sha256"]) == 64
        assert record["study_ids"] and record["n_studies"] == len(record["study_ids"])
        for file in record["files"]:
            assert (checkout / "_build/html" / file).stat().st_size > 0
        page = html(checkout, f"notebooks/{record['notebook']}.html")
        assert f'id="{record["anchor"]}"' in page


def test_audit_links_resolve(checkout):
    audit = html(checkout, "book/audit.html").split('<table class="ketrev-table', 1)[1].split("</table>", 1)[0]
    links = re.findall(r'href="\.\./([^"#]+)(?:#([^"]+))?"', audit)
    assert links
    for path, anchor in links:
        target = checkout / "_build/html" / path
        assert target.exists(), path
        if anchor:
            assert f'id="{anchor}"' in target.read_text(encoding="utf-8"), (path, anchor)


def test_generated_pages_come_from_the_data(checkout):
    refs = html(checkout, "book/references.html")
    assert "Synthetic example study five" in refs and 'id="ref-epsilon2018"' in refs
    package = json.loads((checkout / "_build/html/outputs/downloads/datapackage.json").read_text())
    studies = next(r for r in package["resources"] if r["name"] == "studies")
    assert studies["hash"].startswith("sha256:") and studies["schema"]["fields"][0]["name"] == "study_id"
    assert "records_seen" in html(checkout, "book/data-dictionary.html")


def test_footer_shows_version_data_and_commit(checkout):
    page = html(checkout, "notebooks/01-included-studies.html")
    assert "book version dev" in page and "data sha256" in page and "commit" in page


def test_no_change_rebuild_executes_nothing(checkout):
    said = []
    runs = build_book(checkout, report=said.append)
    assert {r.status for r in runs} == {"cached"}
    assert "  up to date book" in said


def test_changed_notebook_is_the_only_one_executed(checkout):
    path = checkout / "notebooks/02-models.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nA sentence added by the test."
    nbformat.write(nb, path)
    runs = {r.notebook: r.status for r in build_book(checkout, report=lambda _: None)}
    assert runs.pop("02-models") == "executed" and set(runs.values()) == {"cached"}


def test_failing_notebook_leaves_the_previous_build(checkout):
    before = snapshot(checkout / "_build/html")
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('raise ValueError("boom")')])
    broken.cells[0].id = "boom-cell"
    nbformat.write(broken, checkout / "notebooks/99-broken.ipynb")
    try:
        with pytest.raises(BuildError) as info:
            build_book(checkout, report=lambda _: None)
    finally:
        (checkout / "notebooks/99-broken.ipynb").unlink()
    message = str(info.value)
    assert "99-broken.ipynb: cell boom-cell raised ValueError: boom (executed copy:" in message
    assert (checkout / "build/all/failed/99-broken.ipynb").exists()
    assert snapshot(checkout / "_build/html") == before


def test_other_inclusion_set_gets_its_own_book(checkout):
    build_book(checkout, inclusion="preclinical", report=lambda _: None)  # no clinical study: chapter 05 is empty
    page = (checkout / "_build/preclinical/html/notebooks/01-included-studies.html").read_text()
    assert "Preclinical" in page and "It leaves out 2 of the 6 studies of the default book" in page
    clinical = (checkout / "_build/preclinical/html/notebooks/05-clinical.html").read_text()
    assert "This inclusion set has no clinical study." in clinical


def test_release_and_versions(checkout):
    site = checkout / "site"
    for version in ("1.0", "1.1"):
        build_book(checkout, version=version, targets=[site / version], report=lambda _: None)
        publish_version(site)
    entries = json.loads((site / "versions.json").read_text())
    assert [e["version"] for e in entries] == ["1.1", "1.0"] and entries[0]["preferred"]
    assert 'url=1.1/' in (site / "index.html").read_text()
    assert "book version 1.0" in (site / "1.0/notebooks/00-home.html").read_text()


@pytest.mark.parametrize("version", ["dev", "../x", "", "1.0/evil"])
def test_bad_release_versions(version):
    with pytest.raises(UsageError):
        check_version(version)


def test_cli_release_refuses_to_overwrite_without_force(checkout):
    (checkout / "site/2.0").mkdir(parents=True)
    result = subprocess.run([sys.executable, "-m", "ketrev", "release", "2.0"], cwd=checkout, capture_output=True, text=True)
    assert result.returncode == 2 and "use --force" in result.stderr


def test_serve_binds_localhost_and_serves_the_site(checkout):
    site = checkout / "site"
    site.mkdir(exist_ok=True)
    publish_version(site)
    proc = subprocess.Popen([sys.executable, "-m", "ketrev", "serve", "--port", "0"], cwd=checkout,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url + "versions.json", timeout=5) as response:
            assert json.loads(response.read())
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url + "../_config.yml", timeout=5)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    time.sleep(0)


def test_every_internal_link_and_anchor_resolves(checkout):
    from conftest import broken_links

    assert broken_links(checkout / "_build/html") == []


def page_text(root: Path, page: str) -> str:
    """The words of a built page, tags and scripts dropped."""
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html(root, page), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def test_one_word_for_each_outcome_on_every_page_and_download(checkout):
    import csv

    tables = checkout / "_build/html/outputs/tables"
    words: dict[str, set[str]] = {}
    for path in tables.glob("*.csv"):
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        if rows and {"outcome", "state_words"} <= set(rows[0]):
            for row in rows:
                words.setdefault(row["outcome"], set()).add(row["state_words"])
    assert words and all(len(w) == 1 for w in words.values()), words
    states = {"Consistent increase", "Consistent decrease", "Fragile increase", "Fragile decrease", "Mixed",
              "Too few studies"}
    assert set().union(*words.values()) <= states
    for page in ("notebooks/00-home.html", "notebooks/04-direction-of-effect.html", "notebooks/05-clinical.html",
                 "notebooks/06-robustness.html"):
        for cells in re.findall(r'<tr>(.*?)</tr>', html(checkout, page), flags=re.S):
            state = re.search(r'data-label="State of evidence[^"]*"[^>]*>([^<(]+)', cells)
            if state:  # every state shown is one of the words, and the one of its outcome's downloads
                assert state.group(1).strip() in states, (page, state.group(1))


def test_no_number_shows_two_values_and_no_count_is_nan_or_decimal(checkout):
    from ketrev import load_evidence, load_inclusion, select
    from ketrev.prisma import prisma_counts

    evidence = select(load_evidence(checkout / "data"), load_inclusion(checkout / "data", "all"))
    n = len(evidence.studies)
    flow = prisma_counts(load_evidence(checkout / "data")).set_index("box")["n"]
    home = page_text(checkout, "notebooks/00-home.html")
    assert f"— {n} studies (" in home
    assert f"The {n} studies of this book" in page_text(checkout, "book/references.html")
    assert f"selects {n}" in page_text(checkout, "book/downloads.html")
    data = page_text(checkout, "book/data.html")
    assert f"of which in the default book (published up to 2021, treatment designs) {n}" in data
    assert f"Records screened in the PRISMA flow (duplicates removed) {flow['screened']}" in data
    assert f"Records in the screening log (duplicates of a study included) {len(evidence.screening)}" in data
    prisma = (checkout / "_build/html/outputs/tables/prisma-flow.csv").read_text()
    assert f"included,included,Studies included in this book,{n}" in prisma
    for page in (checkout / "_build/html").rglob("*.html"):
        rel = page.relative_to(checkout / "_build/html").as_posix()
        if "_static" in rel or rel.startswith(("_sources", "code/")):  # code may say nan
            continue
        assert not re.search(r">\s*(NaN|nan|None|null)\s*<", html(checkout, rel)), rel  # no empty value shown as such
        text = page_text(checkout, rel)
        assert not re.search(r"\bNaN\b|\bnan\b", text), rel
        assert not re.search(r"\b\d+\.0 (studies|stud|findings|records)\b", text), rel


def test_the_readme_states_the_numbers_the_code_computes():
    from ketrev import load_evidence, load_inclusion, select
    from ketrev.analysis import FAMILY_SIZE
    from ketrev.robustness import active_choices, specifications

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    data = ROOT / "data"
    default = select(load_evidence(data), load_inclusion(data, "all"))
    stated = re.search(r"leaves ([\d,]+) specifications for the default set", readme).group(1)
    assert int(stated.replace(",", "")) == len(specifications(active_choices(default)))
    assert f"across the {FAMILY_SIZE} molecules the review names" in readme
    robustness = (ROOT / "notebooks/06-robustness.ipynb").read_text()
    assert "1,728" not in readme and "864" not in readme and "1,728" not in robustness


def test_no_id_is_used_twice_on_a_page(checkout):
    for page in (checkout / "_build/html").rglob("*.html"):
        ids = re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8"))
        repeated = {i for i in ids if ids.count(i) > 1}
        assert repeated == set(), (page.name, repeated)


def test_a_set_named_with_a_hyphen_publishes_its_results(tmp_path):
    root = make_checkout(tmp_path)
    inclusion = root / "data" / "inclusion"
    (inclusion / "pre-clinical.yml").write_bytes((inclusion / "preclinical.yml").read_bytes())
    build_book(root, inclusion="pre-clinical", report=lambda _: None)
    downloads = root / "_build/pre-clinical/html/outputs/downloads"
    assert (downloads / "summary-of-findings-pre-clinical.csv").is_file()
    assert "summary-of-findings-pre-clinical.csv" in (root / "_build/pre-clinical/html/book/downloads.html").read_text()
