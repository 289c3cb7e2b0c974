"""Fault injection: the build never publishes a wrong book, never leaves a broken one, never shows a traceback.

Each case runs on a private copy of a checkout built once with the example data. Failures
are injected at named points of the build (``ketrev.build.publish.checkpoint``), in this
process or in a child that kills itself there (``kill -9``). After each case the published
book must equal what the data on disk produce: its vote-count CSV equals
``ketrev tabulate --by direction --csv`` and its footer names the data's checksum.
"""

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import edit_csv, make_checkout

from ketrev.build import publish
from ketrev.build.pipeline import build_book
from ketrev.build.publish import KEY_FILE, BuildLock
from ketrev.cli import main
from ketrev.errors import BuildError
from ketrev.evidence import load_evidence
from ketrev.inclusion import load_inclusion, select

QUIET = {"report": lambda _: None}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = make_checkout(tmp_path_factory.mktemp("faults"))
    build_book(root, targets=[root / "_build/html", root / "site/dev"], **QUIET)
    return root


@pytest.fixture
def checkout(built, tmp_path) -> Path:
    """A private copy of the built checkout (build results and published books included)."""
    root = tmp_path / "checkout"
    shutil.copytree(built, root, symlinks=True)
    return root


def targets(root: Path) -> list[Path]:
    return [root / "_build/html", root / "site/dev"]


def expected_votes(root: Path) -> list[dict[str, str]]:
    """The molecules' vote counts the data on disk produce, as the CLI writes them."""
    result = subprocess.run([sys.executable, "-m", "ketrev", "tabulate", "--by", "direction", "--csv", "--data",
                             str(root / "data")], capture_output=True, text=True, check=True)
    return [row for row in csv.DictReader(io.StringIO(result.stdout)) if row["level"] == "molecular"]


def published_votes(target: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((target / "outputs/tables/vote-counts.csv").open(encoding="utf-8")))


def assert_published_matches_disk(root: Path) -> None:
    votes = expected_votes(root)
    checksum = select(load_evidence(root / "data"), load_inclusion(root / "data", "all")).data_checksum[:12]
    for target in targets(root):
        assert published_votes(target) == votes, target
        assert f"data sha256 <code>{checksum}</code>" in (target / "notebooks/00-home.html").read_text(), target
        assert json.loads((target / KEY_FILE).read_text())["data_sha256"].startswith(checksum)
        assert not list(target.parent.glob(f".{target.name}.*")), "a leftover beside the published tree"


def fail_at(monkeypatch, point: str, error: Exception) -> None:
    def checkpoint(name: str) -> None:
        if name == point:
            raise error
    monkeypatch.setattr(publish, "checkpoint", checkpoint)


FLIP = ("beta2012,bdnf,change,protein,,hippocampus,increase", "beta2012,bdnf,change,protein,,hippocampus,decrease")


def test_a_failed_publish_is_never_reported_up_to_date(checkout, monkeypatch):
    # 1. data changed, the second target's publish fails, data changed back: both trees must match disk.
    edit_csv(checkout / "data/evidence/findings.csv", *FLIP)
    fail_at(monkeypatch, "publish dev", OSError(30, "Read-only file system", "site/dev"))
    with pytest.raises(BuildError, match="cannot publish the book"):
        build_book(checkout, targets=targets(checkout), **QUIET)
    assert published_votes(checkout / "_build/html") == expected_votes(checkout)  # the first target got the new book, with its key
    monkeypatch.undo()
    edit_csv(checkout / "data/evidence/findings.csv", *reversed(FLIP))
    build_book(checkout, targets=targets(checkout), **QUIET)
    assert_published_matches_disk(checkout)


def test_a_data_edit_during_the_build_never_mixes_two_data_sets(checkout, monkeypatch):
    # 2. the data are edited just after the build took its snapshot, then restored
    findings = checkout / "data/evidence/findings.csv"
    original = findings.read_text()

    def edit(name: str) -> None:
        if name == "snapshot taken":
            edit_csv(findings, *FLIP)
    monkeypatch.setattr(publish, "checkpoint", edit)
    edit_csv(findings, "alpha2010,mtor,change,phospho,,pfc,increase", "alpha2010,mtor,change,phospho,,pfc,decrease")
    snapshot_data = findings.read_text()
    build_book(checkout, targets=targets(checkout), **QUIET)
    monkeypatch.undo()
    # the book is entirely the data the build started from
    current = findings.read_text()
    findings.write_text(snapshot_data)
    assert_published_matches_disk(checkout)
    findings.write_text(current)
    build_book(checkout, targets=targets(checkout), **QUIET)  # the edit is picked up by the next build
    assert_published_matches_disk(checkout)
    findings.write_text(original)
    build_book(checkout, targets=targets(checkout), **QUIET)
    assert_published_matches_disk(checkout)


@pytest.mark.parametrize("cache", ["results/03-molecules/.ketrev-build.json", "results/03-molecules/notebook.ipynb",
                                   "results/03-molecules/manifest/03-molecules.json"])
def test_an_unreadable_cache_entry_is_a_miss(checkout, cache):
    path = checkout / "build/all" / cache
    path.write_text(path.read_text()[:40])  # truncated
    said = []
    runs = build_book(checkout, targets=targets(checkout), report=said.append)
    assert {r.notebook: r.status for r in runs}["03-molecules"] == "executed"
    assert_published_matches_disk(checkout)


def test_an_unreadable_book_key_rebuilds_that_book(checkout):
    (checkout / "site/dev" / KEY_FILE).write_text("{trunc")
    said = []
    build_book(checkout, targets=targets(checkout), report=said.append)
    assert "  up to date book" not in said
    assert_published_matches_disk(checkout)


KILL = """\
import os, signal, sys
from pathlib import Path
from ketrev.build import publish
from ketrev.build.pipeline import build_book
point = sys.argv[2]
publish._exchange = lambda a, b: False  # the two-rename path, so a kill can fall between its renames
def checkpoint(name):
    if name == point:
        os.kill(os.getpid(), signal.SIGKILL)
publish.checkpoint = checkpoint
root = Path(sys.argv[1])
build_book(root, targets=[root / "_build/html", root / "site/dev"], report=lambda _: None)
"""


@pytest.mark.parametrize("point", ["publish html", "old tree set aside", "executed 02-models"])
def test_kill_9_at_any_point_leaves_a_complete_book_and_the_next_build_recovers(checkout, point):
    # 3. an edit forces a rebuild; the build is killed at a named point
    edit_csv(checkout / "data/evidence/findings.csv", *FLIP)
    result = subprocess.run([sys.executable, "-c", KILL, str(checkout), point], capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL
    for target in targets(checkout):  # a complete book is in place or set aside, never a part of one
        complete = [p for p in (target, target.with_name(f".{target.name}.old")) if (p / KEY_FILE).exists()]
        assert complete, target
    build_book(checkout, targets=targets(checkout), **QUIET)
    assert_published_matches_disk(checkout)
    assert not list((checkout / "build/all/results").glob(".*")), "a leftover result folder"


def test_a_second_build_waits_for_the_first_with_one_line(checkout):
    # 3. two builds at once: the second waits for the lock, says so once, then builds
    (checkout / "book/methods.md").write_text((checkout / "book/methods.md").read_text() + "\nOne more line.\n")
    with BuildLock(checkout / "build/all", report=lambda _: None):
        proc = subprocess.Popen([sys.executable, "-m", "ketrev", "build"], cwd=checkout, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "waiting" in line:
                break
        assert any(f"waiting   for another build of all (pid {os.getpid()})" in line for line in lines)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert "One more line." in (checkout / "_build/html/book/methods.html").read_text()
    assert_published_matches_disk(checkout)


def test_an_unwritable_target_is_one_line_and_the_old_book_stays(checkout, monkeypatch, capsys):
    before = (checkout / "_build/html/book/methods.html").read_text()
    (checkout / "book/methods.md").write_text((checkout / "book/methods.md").read_text() + "\nChanged.\n")
    fail_at(monkeypatch, "publish html", PermissionError(13, "Permission denied", str(checkout / "_build/html")))
    monkeypatch.chdir(checkout)
    code = main(["build"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Permission denied" in err and "unchanged" in err
    assert (checkout / "_build/html/book/methods.html").read_text() == before


HOSTILE_LABEL = "BDNF<img src=x onerror=alert(1)>"
HOSTILE_TITLE = "Hostile set <script>alert(1)</script>"
FENCE = "```{literalinclude} ../../../../../../../../../../etc/passwd```"


def test_markup_and_myst_from_data_reach_the_page_as_text(checkout):
    # 4. and 5. a molecule label, an inclusion-set title and a MyST directive in a study title
    edit_csv(checkout / "data/vocab/molecules.csv", "bdnf,BDNF,", f"bdnf,{HOSTILE_LABEL},")
    all_set = checkout / "data/inclusion/all.yml"
    all_set.write_text(all_set.read_text().replace("title: ", f"title: {HOSTILE_TITLE} ", 1))
    edit_csv(checkout / "data/evidence/studies.csv", "Synthetic example study one", f"Study one {FENCE}")
    build_book(checkout, targets=targets(checkout), **QUIET)
    html = checkout / "_build/html"
    for page in ("notebooks/00-home.html", "notebooks/03-molecules.html", "notebooks/04-direction-of-effect.html",
                 "book/references.html",
                 "book/comparisons.html", "book/audit.html", "index.html"):
        text = (html / page).read_text()
        assert "<img src=x" not in text and "<script>alert" not in text, page
    molecules = (html / "notebooks/03-molecules.html").read_text()
    assert "BDNF&lt;img src=x onerror=alert(1)&gt;" in molecules
    assert "Hostile set &lt;script&gt;" in (html / "notebooks/00-home.html").read_text()  # the title shows, as text
    refs = (html / "book/references.html").read_text()
    assert "root:x:0:0" not in refs and "literalinclude" in refs


def test_line_breaks_in_a_title_are_refused_by_the_validator(checkout, capsys):
    edit_csv(checkout / "data/evidence/studies.csv", "Synthetic example study one",
             f'"Study one\n\n{FENCE}"')
    code = main(["validate", "--data", str(checkout / "data")])
    assert code == 1 and "title: contains a control character or a line break" in capsys.readouterr().err


def test_a_header_only_findings_table_builds_a_book_without_tracebacks(checkout, capsys):
    findings = checkout / "data/evidence/findings.csv"
    findings.write_text(findings.read_text().splitlines()[0] + "\n")
    for args in (["robustness"], ["tabulate", "--by", "direction"], ["compare", "all", "preclinical"]):
        code = main([*args, "--data", str(checkout / "data")])
        err = capsys.readouterr().err
        assert code == 0 and "Traceback" not in err, args
    build_book(checkout, targets=targets(checkout), **QUIET)
    assert (checkout / "_build/html/outputs/tables/vote-counts.csv").read_text().count("\n") == 1  # header only


@pytest.mark.parametrize(("args", "code", "message"), [
    (["serve", "--port", "99999"], 2, "is not a port"),
    (["release", "versions.json", "--force"], 2, "is not a release version"),
    (["release", "1.0/../x"], 2, "is not a release version"),
])
def test_bad_arguments_are_one_line(checkout, monkeypatch, capsys, args, code, message):
    monkeypatch.chdir(checkout)
    try:
        got = main(args)
    except SystemExit as exc:  # argparse
        got = exc.code
    err = capsys.readouterr().err
    assert got == code and message in err and "Traceback" not in err


def test_serve_answers_a_nul_in_the_path_with_400(checkout):
    from ketrev.build.site import publish_version

    publish_version(checkout / "site")
    proc = subprocess.Popen([sys.executable, "-m", "ketrev", "serve", "--port", "0"], cwd=checkout,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split(" at ")[1].split(" ")[0]
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(url + "%00", timeout=5)
        assert info.value.code == 400
        with urllib.request.urlopen(url + "versions.json", timeout=5) as response:  # still serving
            assert response.status == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err


def test_releases_order_by_pep_440_and_never_touch_a_sibling(checkout, monkeypatch, capsys):
    # 8. a pre-release is never latest; --force replaces only its own folder
    monkeypatch.chdir(checkout)
    sibling = checkout / "site/1.0.old"
    sibling.mkdir(parents=True)
    (sibling / "keep.txt").write_text("not a release")
    for version in ("1.1rc1", "1.0", "1.1"):
        assert main(["release", version]) == 0
    versions = json.loads((checkout / "site/versions.json").read_text())
    assert [v["version"] for v in versions] == ["1.1", "1.1rc1", "1.0", "dev"]
    assert versions[0]["name"] == "1.1 (latest)" and versions[1]["name"] == "1.1rc1 (pre-release)"
    assert "url=1.1/" in (checkout / "site/index.html").read_text()
    assert main(["release", "1.0", "--force"]) == 0
    assert (sibling / "keep.txt").read_text() == "not a release"
    assert main(["release", "1.1-rc1"]) == 2 and "is not a release version" in capsys.readouterr().err
    assert main(["release", "1.1.0"]) == 2 and "same version as the existing release '1.1'" in capsys.readouterr().err
    changelog = (checkout / "site/1.1/book/changelog.html").read_text()
    assert ">1.1<" in changelog and "Unreleased" not in changelog


def test_a_release_candidate_alone_is_listed_but_not_latest(tmp_path):
    from ketrev.build.site import publish_version

    (tmp_path / "2.0rc1").mkdir()
    (tmp_path / "2.0rc1/index.html").write_text("ok")
    publish_version(tmp_path)
    entries = json.loads((tmp_path / "versions.json").read_text())
    assert entries == [{"name": "2.0rc1 (pre-release)", "version": "2.0rc1", "url": "/2.0rc1/"}]
    assert "url=2.0rc1/" in (tmp_path / "index.html").read_text()


def test_interrupted_builds_leave_no_temporary_folders(checkout, monkeypatch):
    edit_csv(checkout / "data/evidence/findings.csv", *FLIP)
    fail_at(monkeypatch, "executed 04-direction-of-effect", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        build_book(checkout, targets=targets(checkout), **QUIET)
    leftovers = [p for p in (checkout / "build/all/results").iterdir() if p.name.startswith(".")]
    leftovers += [p for t in targets(checkout) for p in t.parent.glob(f".{t.name}.*")]
    assert leftovers == []

