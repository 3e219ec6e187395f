"""The derivations: the steps are there, and every equation is LaTeX that pdflatex compiles."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from derive.cli import documents, print_latex
from derive.documents.derivation import rule_doc
from derive.rules import RULES


def _pdflatex():
    exe = shutil.which("pdflatex")
    if exe is None:
        if os.environ.get("SYMPROP_REQUIRE_PDFLATEX"):
            pytest.fail("pdflatex is required here (SYMPROP_REQUIRE_PDFLATEX is set) but missing")
        pytest.skip("pdflatex not installed (apt-get install texlive-latex-base); "
                    ".ci/run installs it, so CI never skips this")
    return exe


def _compile(tex: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_pdflatex(), "-interaction=nonstopmode", "-halt-on-error", tex.name],
                          cwd=tex.parent, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_gradient_shows_the_article_steps(name):
    doc = rule_doc(RULES[name])
    assert doc.forward.strip()
    for gd in doc.gradients:
        labels = [s.label for s in gd.steps]
        assert labels[:3] == ["chain rule", "Kronecker-delta form", "deltas solved"]


def test_matrix_forms_where_they_exist():
    dense = {gd.wrt: gd.steps[-1] for gd in rule_doc(RULES["dense"]).gradients}
    assert all(step.label == "matrix form" for step in dense.values())
    assert dense["a"].tex == r"{\boldsymbol{\delta}^{z}} \mathbf{W}"
    assert dense["W"].tex == r"{\boldsymbol{\delta}^{z}}^{T} \mathbf{a}"
    tanh = rule_doc(RULES["tanh"]).gradients[0].steps[-1]
    assert tanh.label == "matrix form" and r"\odot" in tanh.tex


def test_derivations_document_compiles(tmp_path):
    out = tmp_path / "generated"
    md, tex, *pictures = documents(out, quiet=True)
    assert [p.suffix for p in pictures] == [".png"]
    result = _compile(tex)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (out / "derivations.pdf").stat().st_size > 10_000
    text = md.read_text()
    assert "Slip in the article" in text and text.count("```math") > 20


def test_every_printed_equation_is_valid_latex(tmp_path):
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        print_latex([])
    equations = [line.strip() for line in buffer.getvalue().splitlines()
                 if line.startswith("    ") and line.strip()]
    assert len(equations) > 40
    body = "\n".join(rf"\[ {eq} \]" for eq in equations)
    tex = tmp_path / "equations.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage[a3paper,landscape,margin=1cm]{geometry}\n"
                   "\\usepackage{amsmath,amssymb}\n\\begin{document}\n" + body + "\n\\end{document}\n")
    result = _compile(tex)
    assert result.returncode == 0, result.stdout[-3000:]


def test_latex_for_chosen_rules_only():
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        print_latex(["dense"])
    text = buffer.getvalue()
    assert "== dense" in text and "== tanh" not in text


def test_unknown_rule_is_a_clear_error(capsys):
    from derive.cli import main
    from derive.errors import RuleError

    with pytest.raises(RuleError, match="no rule 'nope'; rules: .*dense"):
        print_latex(["nope"])
    assert main(["latex", "nope"]) == 2
    assert "symprop latex: no rule 'nope'; rules: " in capsys.readouterr().err
