"""Rules written only here, as forward expressions, flow through derive into correct kernels.

Nothing in derive/ or templates/ names them: this is the test that the engine is mechanical.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from conftest import (call_backward, finite_difference, kernel_module, relative_error,
                      sample_inputs, upstream_for)
from derive.render import render_kernel, write
from derive.symbolic.rule import Rule, Tensor, indices, sizes

n, i, j, k = indices("n i j k")
N, I, J, K = sizes("N I J K")


def softplus():
    z = Tensor("z", (N, J))
    return Rule("softplus", Tensor("a", (N, J)), (n, j), sp.log(1 + sp.exp(z[n, j])), (z,),
                doc="softplus log(1 + e^z)")


def bilinear():
    x, U, y = Tensor("x", (N, I)), Tensor("U", (K, I, J), "param"), Tensor("y", (N, J))
    return Rule("bilinear", Tensor("z", (N, K)), (n, k),
                sp.Sum(x[n, i] * U[k, i, j] * y[n, j], (i, 0, I - 1), (j, 0, J - 1)), (x, U, y),
                doc="bilinear form x^T U_k y")


def swish():
    z = Tensor("z", (N, J))
    return Rule("swish", Tensor("a", (N, J)), (n, j), z[n, j] / (1 + sp.exp(-z[n, j])), (z,),
                doc="swish z sigmoid(z)")


def weighted_sq():
    a, w, t = Tensor("a", (N, K)), Tensor("w", (K,), "param"), Tensor("t", (N, K), "label")
    return Rule("weighted_sq", Tensor("L", ()), (),
                sp.Sum(w[k] * (a[n, k] - t[n, k]) ** 2, (n, 0, N - 1), (k, 0, K - 1)) / N,
                (a, w, t), doc="weighted squared error")


@pytest.mark.parametrize("make", [softplus, bilinear, swish, weighted_sq],
                         ids=lambda f: f.__name__)
def test_new_rule_becomes_a_correct_kernel(make, tmp_path):
    rule = make()
    write(tmp_path / f"{rule.name}.py", render_kernel(rule))
    module = kernel_module(rule.name, tmp_path)
    source = (tmp_path / f"{rule.name}.py").read_text()
    assert "import numpy as np" in source and "sympy" not in source
    rng = np.random.default_rng(11)
    inputs = sample_inputs(rule, rng)
    out = module.forward(*[inputs[name] for name in module.INPUTS])
    g = upstream_for(rule, out, rng)
    grads = call_backward(module, g, inputs, out)
    assert sorted(grads) == sorted(t.name for t in rule.differentiable)
    for t in rule.differentiable:
        fd = finite_difference(module, inputs, g, t.name)
        assert relative_error(grads[t.name], fd) < 1e-6, t.name


def test_softplus_gradient_is_the_sigmoid():
    from derive.symbolic.differentiate import gradient

    gr = gradient(softplus(), "z")
    p, q = gr.index
    z, g, a = (sp.IndexedBase(x, real=True) for x in "zga")
    sigmoid = g[p, q] / (1 + sp.exp(-z[p, q]))
    assert sp.simplify(gr.gathered - sigmoid) == 0
    # the engine also rewrote it through the output a = log(1 + e^z): σ(z) = 1 - e^{-a}
    assert sp.simplify(gr.result.subs(a[p, q], sp.log(1 + sp.exp(z[p, q]))) - sigmoid) == 0


def test_sums_that_print_alike_over_other_indices(tmp_path):
    """Σ_i a[n,i] · Σ_i a[j,i]: two reductions with the same code but different axes."""
    a = Tensor("a", (N, I))
    rule = Rule("outer_sums", Tensor("z", (N, N)), (n, j),
                sp.Sum(a[n, i], (i, 0, I - 1)) * sp.Sum(a[j, i], (i, 0, I - 1)), (a,))
    write(tmp_path / "outer_sums.py", render_kernel(rule))
    module = kernel_module("outer_sums", tmp_path)
    x = np.random.default_rng(0).standard_normal((3, 4))
    assert np.allclose(module.forward(x), np.outer(x.sum(1), x.sum(1)))
    g = np.random.default_rng(1).standard_normal((3, 3))
    fd = finite_difference(module, {"a": x}, g, "a")
    assert relative_error(call_backward(module, g, {"a": x}, module.forward(x))["a"], fd) < 1e-6


USER_FILE = Path(__file__).resolve().parent / "user_layers.py"


def user_rules():
    from derive.rulefile import load_rules

    return load_rules(USER_FILE)


@pytest.mark.parametrize("name", sorted(user_rules()))
def test_layers_from_a_users_file_become_correct_kernels(name, tmp_path):
    rule = user_rules()[name]
    write(tmp_path / f"{name}.py", render_kernel(rule))
    module = kernel_module(name, tmp_path)
    rng = np.random.default_rng(3)
    inputs = sample_inputs(rule, rng)
    out = module.forward(*[inputs[k] for k in module.INPUTS])
    g = upstream_for(rule, out, rng)
    grads = call_backward(module, g, inputs, out)
    for t in rule.differentiable:
        fd = finite_difference(module, inputs, g, t.name)
        assert relative_error(grads[t.name], fd) < 1e-6, t.name


def test_the_users_file_passes_the_shipped_gradient_check(capsys):
    from derive.cli import main

    assert main(["gradcheck", "--rules", str(USER_FILE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith(f"{sum(len(r.differentiable) for r in user_rules().values())} "
                                "passed, 0 failed")
