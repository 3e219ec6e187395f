"""A bad rule fails when it is defined, with its name and what is wrong."""
from __future__ import annotations

import pytest
import sympy as sp

from derive.symbolic.rule import Rule, RuleError, Tensor, indices, sizes

n, i, j, k = indices("n i j k")
N, I, J, K = sizes("N I J K")
a, W = Tensor("a", (N, I)), Tensor("W", (J, I), "param")


def dense(expr, tensors=(a, W), **kw):
    return Rule("mydense", Tensor("z", (N, J)), (n, j), expr, tensors, **kw)


def test_a_good_rule_builds():
    rule = dense(sp.Sum(W[j, i] * a[n, i], (i, 0, I - 1)))
    assert rule.differentiable == (a, W)


def test_undeclared_index():
    with pytest.raises(RuleError, match=r"rule 'mydense'.*index k uses undeclared k"):
        dense(sp.Sum(W[j, k] * a[n, i], (i, 0, I - 1)))


def test_index_running_past_the_shape():
    with pytest.raises(RuleError, match=r"rule 'mydense'.*W\[j, i\].*axis 1 of 'W' has size I"):
        dense(sp.Sum(W[j, i] * a[n, i], (i, 0, K - 1)))


def test_mismatched_shapes_between_tensors():
    W2 = Tensor("W", (J, K), "param")
    with pytest.raises(RuleError, match=r"rule 'mydense'.*axis 1 of 'W' has size K"):
        dense(sp.Sum(W2[j, i] * a[n, i], (i, 0, I - 1)), (a, W2))


def test_unknown_tensor():
    V = sp.IndexedBase("V")
    with pytest.raises(RuleError, match=r"rule 'mydense'.*'V' is not one of its tensors"):
        dense(sp.Sum(V[j, i] * a[n, i], (i, 0, I - 1)))


def test_wrong_number_of_indices():
    with pytest.raises(RuleError, match=r"rule 'mydense'.*reads a\[n\] with 1 indices"):
        dense(sp.Sum(W[j, i] * sp.Indexed(a.base, n), (i, 0, I - 1)))


def test_stray_symbol():
    c = sp.Symbol("c")
    with pytest.raises(RuleError, match=r"rule 'mydense'.*uses c, which is neither"):
        dense(c * sp.Sum(W[j, i] * a[n, i], (i, 0, I - 1)))


def test_output_indices_must_match_the_output_rank():
    with pytest.raises(RuleError, match=r"rule 'bad'.*output 'z' has shape"):
        Rule("bad", Tensor("z", (N, J)), (n,), a[n, 0], (a,))


def test_only_labels_is_refused():
    y = Tensor("y", (N, I), "label")
    with pytest.raises(RuleError, match=r"rule 'bad'.*nothing to differentiate"):
        Rule("bad", Tensor("z", (N, I)), (n, i), y[n, i], (y,))


def test_repeated_tensor_names():
    with pytest.raises(RuleError, match=r"rule 'bad'.*tensor names repeat"):
        Rule("bad", Tensor("a", (N, I)), (n, i), a[n, i], (a,))


def test_repeated_index_is_refused():
    with pytest.raises(RuleError, match=r"rule 'mydense'.*repeated index"):
        dense(sp.Sum(W[j, i] * a[n, i], (i, 0, I - 1)) + sp.Indexed(W.base, j, j),
              (a, Tensor("W", (J, J), "param")))
