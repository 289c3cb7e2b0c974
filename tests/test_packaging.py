"""The project's own files agree with each other and pass the linter."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~ \[]", r, maxsplit=1)[0].lower() for r in requirements}


def test_environment_yml_names_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = names(project["dependencies"]) | {n for extra in project["optional-dependencies"].values()
                                                for n in names(extra)}
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    from_pip = next(d["pip"] for d in conda if isinstance(d, dict))
    listed = names([d for d in conda if isinstance(d, str)] + [d for d in from_pip if d != "-e ."]) - {"python", "pip"}
    assert listed == wanted


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"```bash\n# tests\n(.+?)\n```", readme, re.S).group(1).strip()
    assert command in (ROOT / ".ci/run").read_text()


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    result = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def imports_of(path: Path) -> set[str]:
    """Every ketrev module a file imports, at module level or inside a function."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("ketrev")}
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}: relative import"
            module = node.module or ""
            if module.startswith("ketrev"):
                submodules = {f"{module}.{a.name}" for a in node.names}
                found |= {m for m in submodules if (ROOT / (m.replace(".", "/") + ".py")).exists()} or {module}
    return found


def module_graph() -> dict[str, set[str]]:
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts): p for p in (ROOT / "ketrev").rglob("*.py")}
    modules = {name.removesuffix(".__init__"): path for name, path in modules.items()}
    return {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}


def test_no_file_of_the_package_is_ignored_by_git():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing can be left out of a commit")
    files = [str(p.relative_to(ROOT)) for p in (ROOT / "ketrev").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *files], cwd=ROOT, capture_output=True, text=True)
    assert ignored.stdout.split() == []


def test_the_library_never_imports_the_build_machinery():
    leaks = {name: sorted(m for m in deps if m.startswith("ketrev.build"))
             for name, deps in module_graph().items() if not name.startswith(("ketrev.build", "ketrev.cli"))}
    assert {name: deps for name, deps in leaks.items() if deps} == {}


def test_no_import_cycle_in_the_package():
    graph = module_graph()
    graph = {name: deps - {"ketrev"} for name, deps in graph.items()}  # the package's face only hands names on
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1  # on the current path
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep):], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2  # done

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_citation_files_are_valid_and_name_the_package_version():
    from ketrev import __version__
    from ketrev.build.assemble import citation

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["version"] == __version__
    cffconvert = shutil.which("cffconvert") or str(Path(sys.executable).with_name("cffconvert"))
    result = subprocess.run([cffconvert, "--validate", "-i", str(ROOT / "CITATION.cff")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    released = yaml.safe_load(citation(ROOT, "1.2", "https://books.example.org/ketrev"))
    assert released["version"] == "1.2" and released["url"] == "https://books.example.org/ketrev/1.2/"
    assert "date-released" in released and "date-released" not in yaml.safe_load(citation(ROOT, "dev", None))
    tmp = ROOT / "build" / "CITATION-check.cff"
    tmp.parent.mkdir(exist_ok=True)
    tmp.write_bytes(citation(ROOT, "1.2", "https://books.example.org/ketrev"))
    result = subprocess.run([cffconvert, "--validate", "-i", str(tmp)], capture_output=True, text=True)
    tmp.unlink()
    assert result.returncode == 0, result.stdout + result.stderr
