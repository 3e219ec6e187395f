"""The README's worked example, run as written: `pip install .` (not editable) into a fresh
virtual environment, then `symprop` on a rule file in a folder outside the project."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def example(name: str) -> str:
    """The fenced block after `<!-- example: NAME -->` in the README."""
    text = (ROOT / "README.md").read_text()
    found = re.search(rf"<!-- example: {re.escape(name)} -->\n```\w*\n(.*?)```", text, re.S)
    assert found, f"README has no example {name!r}"
    return found.group(1)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment with the project installed from a copy of its source."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(home / "env")
    python = home / "env" / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-input",
                           "--disable-pip-version-check", str(ROOT)],
                          capture_output=True, text=True, cwd=home)
    assert done.returncode == 0, done.stdout + done.stderr
    noise = [line for line in (done.stdout + done.stderr).splitlines()
             if re.search(r"BuildBackendWarning|SetuptoolsDeprecationWarning|"
                          r"DeprecationWarning|is deprecated", line)]
    assert not noise, "setup warns:\n" + "\n".join(noise)
    return home / "env" / "bin"


def run(bindir: Path, line: str, cwd: Path) -> subprocess.CompletedProcess:
    words = line.split("#")[0].split()
    words[0] = str(bindir / words[0])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    return subprocess.run(words, capture_output=True, text=True, cwd=cwd, env=env)


def test_the_readme_example_runs_from_an_installed_package(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "my_layers.py").write_text(example("my_layers.py"))
    outputs = {}
    for line in example("commands").strip().splitlines():
        done = run(installed, line, work)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        outputs[line.split()[1]] = done.stdout
    assert "softsign" in outputs["show"] and "∂L/∂z" in outputs["show"]
    assert r"\frac{\partial" in outputs["latex"]
    assert (work / "kernels" / "softsign.py").exists()
    assert outputs["gradcheck"].strip().splitlines()[-1] == "2 passed, 0 failed"
    (work / "use.py").write_text(example("use.py"))
    done = subprocess.run([str(installed / "python"), "use.py"], capture_output=True, text=True,
                          cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['w', 'z'] (4, 3)"


def test_the_installed_package_works_from_any_folder(installed, tmp_path):
    """What failed before the templates shipped: built-in rules, generated and printed."""
    done = run(installed, "python -m derive generate dense --out out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "dense.py").exists() and (tmp_path / "out" / "_runtime.py").exists()
    done = run(installed, "python -m derive latex dense", tmp_path)
    assert done.returncode == 0 and "dense" in done.stdout, done.stderr
    done = run(installed, "symprop gradcheck --rules missing.py", tmp_path)
    assert done.returncode == 2 and "no such rule file" in done.stderr
    assert sys.executable not in done.stderr
