"""The project's own files agree with each other and pass the linter."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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
