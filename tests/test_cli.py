"""Determinism and drift: generated/ is exactly what derive produces, whatever the hash seed."""
from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

from derive.cli import GENERATED, check, documents, generate

ROOT = Path(__file__).resolve().parent.parent


def _regenerate(out: Path, seed: str) -> None:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    for command in (["generate", "--out", str(out)], ["docs", "--out", str(out)]):
        subprocess.run([sys.executable, "-m", "derive", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True)


def test_regeneration_is_byte_identical_across_hash_seeds(tmp_path):
    _regenerate(tmp_path / "a" / "generated", "0")
    _regenerate(tmp_path / "b" / "generated", "12345")
    a, b = tmp_path / "a" / "generated", tmp_path / "b" / "generated"
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors


def test_committed_generated_matches_derive(tmp_path):
    fresh = tmp_path / "generated"
    produced = generate(fresh, quiet=True) + documents(fresh, quiet=True)
    for path in produced:
        committed = GENERATED / path.name
        assert committed.exists(), f"{path.name} is not committed; run make"
        assert committed.read_bytes() == path.read_bytes(), f"{path.name} drifted; run make"


def test_check_reports_drift(tmp_path, capsys):
    copy = tmp_path / "generated"
    generate(copy, quiet=True)
    documents(copy, quiet=True)
    assert check(copy) == 0
    victim = copy / "dense.py"
    victim.write_text(victim.read_text().replace("g @ W", "g @ W * 1.0"))
    assert check(copy) == 1
    assert "dense.py" in capsys.readouterr().err


def test_cli_unknown_rule_exits_nonzero():
    result = subprocess.run([sys.executable, "-m", "derive", "latex", "nope"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "no rule 'nope'" in result.stderr
