"""Simulations that check the closed forms in :mod:`theory`.

Importing this package configures JAX once, before any computation: float64 everywhere
(closed-form checks need it) and two host CPU devices so that the training engine can shard
an ensemble over both cores of a CI machine. Nothing else in the project flips these flags.
"""

import os

import jax

_NUM_CPU_DEVICES = int(os.environ.get("SIMS_CPU_DEVICES", min(os.cpu_count() or 1, 2)))
try:
    jax.config.update("jax_num_cpu_devices", _NUM_CPU_DEVICES)
except RuntimeError:
    # The backend was started by someone else first (e.g. a notebook that imported jax and
    # computed): keep whatever device count it has rather than fail.
    pass
jax.config.update("jax_enable_x64", True)
