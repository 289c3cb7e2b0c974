"""The fast executor (forked warm workers, in-process kernel) against an isolated papermill run."""

import json
import re
from pathlib import Path

import nbformat
import pytest
from conftest import make_checkout

from ketrev.build.paths import Layout
from ketrev.build.pipeline import execute_notebooks
from ketrev.build.tree import snapshot
from ketrev.errors import BuildError
from ketrev.evidence import load_evidence
from ketrev.inclusion import load_inclusion, select

pytestmark = pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(),
                                reason="the fast executor needs fork")


def run(root: Path, executor: str, jobs: int = 2):
    layout = Layout(root)
    inputs = snapshot(layout, "all")
    evidence = select(load_evidence(inputs.data), load_inclusion(inputs.data, "all"))
    runs = execute_notebooks(layout, inputs, evidence, jobs=jobs, executor=executor, report=lambda _: None)
    return layout.results("all"), runs


def cell_outputs(path: Path) -> list:
    """What each code cell showed, without timings or metadata, and without the ids that every run draws
    afresh (papermill's id for its parameters cell, itables' id for each table)."""
    nb = nbformat.read(path, as_version=4)
    cells = [("injected" if "injected-parameters" in c.metadata.get("tags", []) else c.id, c.source, c.execution_count,
              [{k: v for k, v in o.items() if k != "metadata"} for o in c.outputs])
             for c in nb.cells if c.cell_type == "code"]
    return json.loads(re.sub(r"itables_[0-9a-f_]{36}", "itables_ID", json.dumps(cells)))


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The book's notebooks on the example data, run isolated and fast."""
    isolated = make_checkout(tmp_path_factory.mktemp("isolated"))
    fast = make_checkout(tmp_path_factory.mktemp("fast"))
    return run(isolated, "isolated")[0], run(fast, "fast")[0]


def test_fast_and_isolated_runs_write_identical_files(both):
    isolated, fast = both
    files = sorted(p.relative_to(isolated) for p in isolated.rglob("*") if p.is_file() and "outputs" in p.parts)
    assert files and files == sorted(p.relative_to(fast) for p in fast.rglob("*") if p.is_file() and "outputs" in p.parts)
    assert any(f.suffix == ".svg" for f in files) and any(f.suffix == ".csv" for f in files)
    for rel in files:
        assert (isolated / rel).read_bytes() == (fast / rel).read_bytes(), rel


def test_fast_and_isolated_runs_record_the_same_manifest(both):
    isolated, fast = both
    for path in sorted(isolated.glob("*/manifest/*.json")):
        assert json.loads(path.read_text()) == json.loads((fast / path.relative_to(isolated)).read_text()), path.name


def test_fast_and_isolated_runs_show_the_same_cell_outputs(both):
    isolated, fast = both
    for path in sorted(isolated.glob("*/notebook.ipynb")):
        assert cell_outputs(path) == cell_outputs(fast / path.relative_to(isolated)), path.parent.name


PROBE_A = """\
import ketrev
secret = 42
ketrev._left_by_another_notebook = True
"""
PROBE_B = """\
import ketrev
print("secret" in globals(), hasattr(ketrev, "_left_by_another_notebook"))
"""


def test_a_notebook_cannot_see_what_another_defined(tmp_path):
    root = make_checkout(tmp_path)
    for path in (root / "notebooks").glob("*.ipynb"):
        path.unlink()
    for name, source in (("a-defines", PROBE_A), ("b-looks", PROBE_B)):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), root / f"notebooks/{name}.ipynb")
    results, _ = run(root, "fast", jobs=1)  # one worker: b runs after a, from the same warm parent
    probe = nbformat.read(results / "b-looks" / "notebook.ipynb", as_version=4).cells[-1]
    assert probe.source == PROBE_B and probe.outputs[0]["text"] == "False False\n"


def test_a_failing_notebook_is_reported_with_its_cell(tmp_path):
    root = make_checkout(tmp_path)
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('raise ValueError("boom")')])
    broken.cells[0].id = "boom-cell"
    nbformat.write(broken, root / "notebooks/99-broken.ipynb")
    with pytest.raises(BuildError, match=r"99-broken.ipynb: cell boom-cell raised ValueError: boom"):
        run(root, "fast")
    assert not (Layout(root).results("all") / "99-broken").exists()
    assert (Layout(root).results("all") / "03-molecules" / "notebook.ipynb").exists()  # the others completed
