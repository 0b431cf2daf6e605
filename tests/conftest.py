"""Test set-up: hypothesis profiles, strict JAX, and no simulation cache.

Profiles: ``fixed`` (the default, so ``make test``: derandomised, the same examples on every
machine, so a landing's outcome does not depend on whether CI sets ``CI`` or on a random draw),
``dev`` (fresh random examples: ``HYPOTHESIS_PROFILE=dev make test``) and ``thorough``
(``make check``: random, 60 examples per property). Shapes are drawn from small fixed
sets elsewhere, so recompilation stays bounded; ``deadline=None`` because the first example
of a shape compiles.
"""

import os

os.environ["SIMS_NO_CACHE"] = "1"

import jax  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import sims  # noqa: E402, F401  (float64 and CPU devices, before any computation)

jax.config.update("jax_numpy_rank_promotion", "raise")

_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=10, **_common)
settings.register_profile("fixed", max_examples=6, derandomize=True, print_blob=True, **_common)
settings.register_profile("thorough", max_examples=60, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))
