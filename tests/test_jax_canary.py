"""Canary for jax-ml/jax#39103: jaxlib 0.10.2 returns wrong results on CPU for a jitted
vmap of a matrix-vector product followed by a reduction. The project pins it out
(``jax>=0.10.1,!=0.10.2``); this test fails loudly if a bad build slips back in."""

import jax
import jax.numpy as jnp
import numpy as np


def test_installed_jax_is_not_the_miscompiling_release():
    assert jax.__version__ != "0.10.2", "jax 0.10.2 miscompiles on CPU (jax-ml/jax#39103)"


def test_jit_vmap_matvec_reduction_matches_eager_and_numpy():
    n = 16_385  # the size at which the bad release goes wrong in float64
    index = jnp.arange(n, dtype=jnp.float64)
    rows = jnp.stack([index, jnp.zeros_like(index), jnp.zeros_like(index)], axis=1)
    identity = jnp.eye(3, dtype=jnp.float64)

    def squared_norms(x):
        return jax.vmap(lambda row: jnp.sum((identity @ row) ** 2))(x)

    expected = np.arange(n, dtype=np.float64) ** 2
    np.testing.assert_array_equal(np.asarray(squared_norms(rows)), expected)
    np.testing.assert_array_equal(np.asarray(jax.jit(squared_norms)(rows)), expected)
