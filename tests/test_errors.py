"""Constructs the engine cannot handle, written as a user would: each gives a RuleError or a
LoweringError that names the rule, the step and the sub-expression — never a SymPy or NumPy
traceback, never a module that fails when it is imported or called."""
from __future__ import annotations

import pytest
import sympy as sp

from derive import LoweringError, Rule, RuleError, Sum, Tensor, indices, render_kernel, sizes
from derive.rulefile import load_rules

n, i, j, k = indices("n i j k")
N, I, J = sizes("N I J")
a, W, w = Tensor("a", (N, I)), Tensor("W", (I, I), "param"), Tensor("w", (I,), "param")
wide = Tensor("b", (N, 3 * I), padding=True)
z = Tensor("z", (N, I))

# (what a user writes, the error, what its message must say)
UNSUPPORTED = {
    "a non-affine index": (lambda: Rule("square", z, (n, i), a[n, i * i], (a,)),
                           RuleError, r"rule 'square'.*reads a\[n, i\*\*2\].*axis 1 of 'a'"),
    "a diagonal read": (lambda: Rule("diag", Tensor("z", (N,)), (n,),
                                     Sum(W[i, i] * a[n, i], (i, 0, I - 1)), (a, W)),
                        RuleError, r"rule 'diag'.*W\[i, i\] with a repeated index"),
    "a function NumPy lacks": (lambda: Rule("erfl", z, (n, i), sp.erf(a[n, i]), (a,)),
                               LoweringError, r"rule 'erfl', the forward pass: step 'print': erf "
                                              r"has no NumPy function"),
    "a product over an index": (lambda: Rule("prod", Tensor("z", (N,)), (n,),
                                             sp.Product(a[n, i], (i, 0, I - 1)), (a,)),
                                LoweringError, r"rule 'prod'.*step 'print': no NumPy form for "
                                               r"Product.*formula: Product\(a\[n, i\]"),
    "three indices in one axis": (lambda: Rule("tri", z, (n, i), Sum(
        w[j] * w[k] * wide[n, i + j + k], (j, 0, I - 1), (k, 0, I - 1)), (wide, w)),
        LoweringError, r"rule 'tri'.*step 'lower': b\[n, i \+ j \+ k\]: an axis mixes more than "
                       r"two indices"),
    "a function with no derivative": (lambda: Rule("fl", z, (n, i), sp.floor(a[n, i]), (a,)),
                                      RuleError, r"rule 'fl', gradient with respect to 'a': step "
                                                 r"'differentiate': SymPy knows no derivative of "
                                                 r"floor\(a\[n, i\]\)"),
    "a piecewise with no otherwise": (lambda: Rule("pw", z, (n, i), sp.Piecewise(
        (a[n, i], a[n, i] > 0)), (a,)), LoweringError, r"rule 'pw'.*Piecewise without an "
                                                       r"otherwise-branch"),
    "a tensor it does not declare": (lambda: Rule("und", z, (n, i), sp.IndexedBase("q")[n, i],
                                                  (a,)),
                                     RuleError, r"rule 'und'.*'q' is not one of its tensors"),
    "a read past the end": (lambda: Rule("oor", z, (n, i), a[n, i + 1], (a,)),
                            RuleError, r"rule 'oor'.*index i \+ 1 ranges over 1..I but axis 1"),
    "a sum over the wrong size": (lambda: Rule("ss", Tensor("z", (N,)), (n,),
                                               Sum(a[n, i], (i, 0, J - 1)), (a,)),
                                  RuleError, r"rule 'ss'.*index i ranges over 0..J - 1"),
}


@pytest.mark.parametrize("construct", sorted(UNSUPPORTED))
def test_unsupported_construct_is_a_clear_error(construct):
    make, error, message = UNSUPPORTED[construct]
    with pytest.raises(error, match=message):
        render_kernel(make())


def test_a_rule_file_that_fails_names_its_line(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from derive import Rule\n\nx = 1\ny = undefined_name\n")
    with pytest.raises(RuleError, match=r"bad.py:4: NameError: name 'undefined_name'"):
        load_rules(bad)
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(RuleError, match="defines no Rule"):
        load_rules(empty)
    with pytest.raises(RuleError, match="no such rule file"):
        load_rules(tmp_path / "missing.py")
