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
from ketrev.errors import BuildError, DataError, UsageError
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
    # the first target got the new book, with its key
    assert published_votes(checkout / "_build/html") == expected_votes(checkout)
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



# --- data is only ever data: hostile inputs ------------------------------------------------------------------------

def validate(checkout: Path, capsys) -> tuple[int, str]:
    code = main(["validate", "--data", str(checkout / "data")])
    return code, capsys.readouterr().err


def test_the_data_readme_is_shown_as_text_never_run_or_included(checkout):
    (checkout / "data/README.md").write_text(
        "# Data\n\n```{raw} html\n<script>alert('readme')</script>\n```\n\n"
        "```{literalinclude} /etc/passwd\n```\n\n<img src=x onerror=alert(2)> [methods](../book/methods.md)\n")
    build_book(checkout, targets=targets(checkout), **QUIET)
    page = (checkout / "_build/html/book/data.html").read_text()
    assert "<script>alert" not in page and "<img src=x" not in page and "root:x:0:0" not in page
    assert "&lt;script&gt;alert" in page and "literalinclude" in page  # shown, as text
    assert 'href="../book/methods.html"' in page  # a link to a page of the book still works


@pytest.mark.parametrize("make", ["readme_link", "file_link", "fifo", "device", "socket", "dir_link"])
def test_only_regular_files_inside_the_data_folder_are_read(checkout, capsys, make):
    import socket
    import time

    data = checkout / "data"
    if make == "readme_link":
        (data / "README.md").unlink()
        (data / "README.md").symlink_to("/etc/passwd")
        name = "README.md"
    elif make == "file_link":
        (data / "extra.csv").symlink_to("/etc/passwd")
        name = "extra.csv"
    elif make == "fifo":
        os.mkfifo(data / "evidence/pipe.csv")
        name = "evidence/pipe.csv"
    elif make == "device":
        (data / "zero.csv").symlink_to("/dev/zero")
        name = "zero.csv"
    elif make == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(data / "sock"))
        name = "sock"
    else:
        (data / "outside").symlink_to("/etc", target_is_directory=True)
        name = "outside"
    start = time.perf_counter()
    code, err = validate(checkout, capsys)
    assert code == 1 and f"{data / name}:" in err and "Traceback" not in err
    assert time.perf_counter() - start < 10  # a FIFO never blocks, /dev/zero is never read
    before = (checkout / "_build/html/book/data.html").read_text()
    with pytest.raises(DataError):
        build_book(checkout, targets=targets(checkout), **QUIET)
    assert (checkout / "_build/html/book/data.html").read_text() == before  # the good book stays
    assert not any("root:x" in p.read_text(errors="replace") for p in (checkout / "build/all/inputs").rglob("*")
                   if p.is_file())


def test_a_link_inside_the_data_folder_is_read_and_copies_are_never_looser(checkout):
    data = checkout / "data"
    (data / "notes").mkdir()
    (data / "notes/mine.txt").write_text("kept private")
    (data / "notes/mine.txt").chmod(0o600)
    (data / "alias.txt").symlink_to(data / "notes/mine.txt")
    build_book(checkout, targets=targets(checkout), **QUIET)
    copy = checkout / "build/all/inputs/data/notes/mine.txt"
    assert copy.read_text() == "kept private" and copy.stat().st_mode & 0o777 == 0o600


def test_labels_and_titles_are_never_mathtext_smart_quotes_or_warnings(checkout):
    edit_csv(checkout / "data/vocab/molecules.csv", "psd95,PSD-95,", "psd95,$x^2$ \\input{/etc/passwd},")
    edit_csv(checkout / "data/evidence/studies.csv", "Synthetic example study two",
             "Study \"two\" -- 'quoted' ... 糖尿病")
    edit_csv(checkout / "data/evidence/studies.csv", "beta2012,1000002,PMC1000002,10.1000/beta.2012,Beta B,2012,printed,"
             "Study \"two\" -- 'quoted' ... 糖尿病,Example Journal",
             "beta2012,1000002,PMC1000002,10.1000/beta.2012,Beta B,2012,printed,"
             "Study \"two\" -- 'quoted' ... 糖尿病,小児科 Journal")
    build_book(checkout, targets=targets(checkout), **QUIET)
    html = checkout / "_build/html"
    refs = (html / "book/references.html").read_text()
    assert "Study &quot;two&quot; -- 'quoted' ... 糖尿病" in refs  # as written
    assert "“two”" not in refs and "–" not in refs.split("Study")[1][:30]  # no curly quotes, no dash made of --
    for page in html.rglob("*.html"):
        text = page.read_text()
        assert "Glyph" not in text and "UserWarning" not in text and str(checkout) not in text, page


@pytest.mark.parametrize(("text", "message"), [
    ("title: T\nwhere:\n  year: " + "[" * 40 + "]" * 40 + "\n", "nested deeper than 16 levels"),
    ("title: T\nwhere:\n  ? [a, b]\n  : [c]\n", "a key must be a word"),
    ("title: T\nwhere:\n  1: 2\n", "the key 1 is not text"),
    ("title: T\nwhere:\n  spieces: [rat]\n", "not a studies column (did you mean 'species'?)"),
])
def test_odd_yaml_is_one_line(checkout, capsys, text, message):
    (checkout / "data/inclusion/odd.yml").write_text(text)
    code, err = validate(checkout, capsys)
    assert code == 1 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 2


def test_a_set_named_like_the_layout_is_refused(checkout, capsys):
    (checkout / "data/inclusion/html.yml").write_text("title: T\n")
    code, err = validate(checkout, capsys)
    assert code == 1 and "html.yml: not an inclusion set name" in err
    monkey = main(["build", "--inclusion", "html", "--data", str(checkout / "data")])
    assert monkey == 2 and "cannot name an inclusion set" in capsys.readouterr().err


def test_a_data_folder_without_readme_builds(checkout):
    (checkout / "data/README.md").unlink()
    build_book(checkout, targets=targets(checkout), **QUIET)
    assert "This data folder has no README." in (checkout / "_build/html/book/data.html").read_text()


@pytest.mark.parametrize("version", ["1.0 ", "1.0\n", " 1.0", "1.0 beta", "v1.0", "1.0-rc1"])
def test_release_versions_follow_one_pattern(version):
    from ketrev.build.site import check_version

    with pytest.raises(UsageError):
        check_version(version)


def test_two_releases_of_one_version_at_once_give_one_release(checkout):
    procs = [subprocess.Popen([sys.executable, "-m", "ketrev", "release", "3.0"], cwd=checkout, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(p.wait(timeout=900), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 2], outcomes
    loser = next(err for code, err in outcomes if code == 2)
    assert "site/3.0 exists; use --force" in loser and "Traceback" not in loser


def test_serve_serves_regular_files_under_the_site_only(checkout):
    import http.client
    import socket
    import time

    from ketrev.build.site import publish_version

    site = checkout / "site"
    publish_version(site)
    (site / "leak").symlink_to("/etc/passwd")
    (site / "secret-folder").mkdir()
    (site / "secret-folder/x.txt").write_text("x")
    (site / ".hidden").write_text("hidden")
    proc = subprocess.Popen([sys.executable, "-m", "ketrev", "serve", "--port", "0"], cwd=checkout,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split(" at ")[1].split(" ")[0]
        for path in ("leak", "secret-folder/", ".hidden", "dev/.ketrev-build.json", "%2e%2e/%2e%2e/etc/passwd"):
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(url + path, timeout=5)
            assert info.value.code == 404, path
        with urllib.request.urlopen(url + "secret-folder/x.txt", timeout=5) as response:
            assert response.read() == b"x"
        host, port = url.split("//")[1].rstrip("/").split(":")
        conn = socket.create_connection((host, int(port)))  # a client that goes away mid-request
        conn.sendall(b"GET /dev/index.html HTTP/1.1\r\nHost: x\r\n")
        conn.close()
        client = http.client.HTTPConnection(host, int(port), timeout=5)
        client.request("GET", "/versions.json")
        assert client.getresponse().status == 200
        time.sleep(0.5)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err


def test_a_full_disk_names_the_path_and_its_cause(checkout, monkeypatch, capsys):
    import errno

    (checkout / "book/methods.md").write_text((checkout / "book/methods.md").read_text() + "\nChanged.\n")
    fail_at(monkeypatch, "publish html", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(checkout / "_build/x")))
    monkeypatch.chdir(checkout)
    code = main(["build"])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "_build/x" in err and "(None)" not in err


def test_two_clean_builds_give_byte_identical_trees(tmp_path):
    # two processes (each with its own string-hash seed), two checkouts in two places
    trees = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        root = make_checkout(tmp_path / run)
        subprocess.run([sys.executable, "-m", "ketrev", "build"], cwd=root, check=True, capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": "random"})
        trees.append(root / "_build/html")
    files = [{p.relative_to(t).as_posix(): p.read_bytes() for p in sorted(t.rglob("*")) if p.is_file()} for t in trees]
    assert files[0].keys() == files[1].keys()
    differ = [name for name in files[0] if files[0][name] != files[1][name]]
    assert differ == [], differ
