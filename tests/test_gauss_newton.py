"""The Gauss-Newton diagonal each second-order kernel derives, against brute force: the layer's
Jacobian built one row at a time (the backward with a one-hot upstream gradient), then
h_X[p] = Σ_out J[out, p]² h[out]; for a loss, its second derivative by finite differences."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import call_backward, kernel_module, sample_inputs, size_values
from derive.lowering.network import second_order_rules
from derive.rules import RULES

SECOND = sorted(second_order_rules())


@pytest.mark.parametrize("name", SECOND)
def test_gauss_newton_diagonal_matches_brute_force(name):
    rule, module = RULES[name], kernel_module(name)
    rng = np.random.default_rng(11)
    inputs = sample_inputs(rule, rng, sizes=size_values(rule, rng, 2, 4))
    out = module.forward(*[inputs[k] for k in module.INPUTS])
    env = dict(inputs, **{module.OUTPUT: out})
    if rule.output.rank == 0:
        got = module.gauss_newton(1.0, *[env[k] for k in module.GN_ARGS])
        for key in module.GRADS:
            x, eps = inputs[key], 1e-5
            want = np.zeros_like(x)
            for idx in np.ndindex(x.shape):
                sides = []
                for step in (eps, -eps):
                    shifted = dict(inputs, **{key: x.copy()})
                    shifted[key][idx] += step
                    grad = call_backward(module, 1.0, shifted,
                                         module.forward(*[shifted[k] for k in module.INPUTS]))
                    sides.append(grad[key][idx])
                want[idx] = (sides[0] - sides[1]) / (2 * eps)
            assert np.allclose(got[key], want, rtol=1e-6, atol=1e-8), key
        return
    h = rng.uniform(0.1, 2.0, out.shape)
    g = rng.standard_normal(out.shape)
    first = (h, g) if module.GN_TAKES_G else (h,)
    got = module.gauss_newton(*first, *[env[k] for k in module.GN_ARGS])
    want = {key: np.zeros_like(inputs[key]) for key in module.GRADS}
    for idx in np.ndindex(out.shape):
        onehot = np.zeros(out.shape)
        onehot[idx] = 1
        row = call_backward(module, onehot, inputs, out)
        for key in want:
            want[key] += row[key] ** 2 * h[idx]
    if module.GN_TAKES_G:  # plus Σ_out g ∂²F/∂X², the derivative of the g-product by differences
        for key in want:
            x, eps = inputs[key], 1e-5
            for idx in np.ndindex(x.shape):
                sides = []
                for step in (eps, -eps):
                    shifted = dict(inputs, **{key: x.copy()})
                    shifted[key][idx] += step
                    vjp = call_backward(module, g, shifted,
                                        module.forward(*[shifted[k] for k in module.INPUTS]))
                    sides.append(vjp[key][idx])
                want[key][idx] += (sides[0] - sides[1]) / (2 * eps)
    for key in module.GRADS:
        assert got[key].shape == inputs[key].shape
        tol = 1e-7 if module.GN_TAKES_G else 1e-10  # finite differences in the second term
        assert np.allclose(got[key], want[key], rtol=tol, atol=tol), key
