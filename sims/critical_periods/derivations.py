"""Claim CP7's derivation: the two-pathway closed forms of :mod:`theory.critical_periods`
derived in SymPy from the layer dynamics dp/dt = g p^{D-1} Omega (see :mod:`sims.symbolic`),
and the proved expressions at seeded points. Every identity here closes in SymPy, for
symbolic depth D where the statement is general.
"""

from __future__ import annotations

import numpy as np

from sims.cache import cached
from sims.symbolic import Derivation, SymbolicRun, lambdify

SINGULAR_VALUE_FLOW = "dp/dt = p^{D-1} Omega gives dK/dt = D K^{2-2/D} Omega"
LOG_RATIO_RATE = "d/dt ln(K_a/K_b) = D Omega (K_a^{1-2/D} - K_b^{1-2/D})"
FROZEN_RATIO = "D = 2: the ratio K_a/K_b is frozen"
CONSERVED = "p_a^{2-D} - p_b^{2-D} is conserved (ln(p_a/p_b) at D = 2)"
DEPTH2_SHARE = "CP2: K_b(inf)/sigma after a deficit on [0, T), D = 2"

# Depths at which the log-ratio rate is compared (D = 2 is the frozen-ratio row).
RATE_DEPTHS = (1, 3, 4, 5, 6)


@cached
def derive_critical_periods(*, points: int, seed: int) -> SymbolicRun:
    """CP7's derivation at ``points`` seeded points per identity."""
    import sympy as sp

    out = Derivation(points=points, seed=seed)
    rng = out.rng
    depth, omega, p, p_a, p_b = sp.symbols("D Omega p p_a p_b", positive=True)
    k_a, k_b, sigma, k0, t, tt, deficit = sp.symbols("k_a k_b sigma k0 t tau T", positive=True)

    def singular_value_flow():
        # K = p^D with every layer at p: dK/dt = D p^{D-1} dp/dt
        yield sp.diff(p**depth, p) * p ** (depth - 1) * omega - depth * (p**depth) ** (2 - 2 / depth) * omega

    out.identity(
        SINGULAR_VALUE_FLOW,
        "K = p^D with dp/dt = p^{D-1} Omega: dK/dt = D K^{2-2/D} Omega (any D > 0)",
        sympy=singular_value_flow,
    )

    def rate(d):
        """d/dt ln K_a - d/dt ln K_b from dK/dt = d K^{2-2/d} Omega (no deficit)."""
        gap = sigma - k_a - k_b
        return d * k_a ** (2 - 2 / d) * gap / k_a - d * k_b ** (2 - 2 / d) * gap / k_b

    out.identity(
        LOG_RATIO_RATE,
        "from dK_p/dt = D K_p^{2-2/D} Omega for both pathways, Omega = sigma - K_a - K_b",
        sympy=lambda: [
            rate(depth) - depth * (sigma - k_a - k_b) * (k_a ** (1 - 2 / depth) - k_b ** (1 - 2 / depth))
        ],
    )
    sigmas = rng.uniform(0.5, 3.0, out.size)
    out.evaluate(
        LOG_RATIO_RATE,
        {
            "k_a": sigmas * rng.uniform(0.001, 0.999, out.size),
            "k_b": sigmas * rng.uniform(0.001, 0.999, out.size),
            "sigma": sigmas,
            "D": rng.choice(RATE_DEPTHS, out.size),
        },
        lambdify([k_a, k_b, sigma, depth], rate(depth)),
    )

    out.identity(FROZEN_RATIO, "the rate above at D = 2 is identically 0", sympy=lambda: [rate(2)])
    sigmas = rng.uniform(0.5, 3.0, out.size)
    out.evaluate(
        FROZEN_RATIO,
        {
            "k_a": sigmas * rng.uniform(0.001, 0.999, out.size),
            "k_b": sigmas * rng.uniform(0.001, 0.999, out.size),
            "sigma": sigmas,
        },
        lambdify([k_a, k_b, sigma], rate(2)),
    )

    def conserved():
        gap = sigma - p_a**depth - p_b**depth
        flow_a, flow_b = p_a ** (depth - 1) * gap, p_b ** (depth - 1) * gap
        yield sp.diff(p_a ** (2 - depth), p_a) * flow_a - sp.diff(p_b ** (2 - depth), p_b) * flow_b
        at_two = {depth: 2}
        yield (flow_a / p_a - flow_b / p_b).subs(at_two)

    out.identity(
        CONSERVED,
        "outside a deficit d/dt (p_a^{2-D} - p_b^{2-D}) = 0, and d/dt ln(p_a/p_b) = 0 at D = 2",
        sympy=conserved,
    )

    found = {}

    def depth2_share():
        s = sigma - k0
        # during the deficit (gate 0 on pathway b) K_b = k0 and K_a is logistic towards s
        during = s / (1 + (s / k0 - 1) * sp.exp(-2 * s * t))
        yield sp.diff(during, t) - 2 * during * (sigma - during - k0)
        yield during.subs(t, 0) - k0
        # afterwards the ratio r is frozen (FROZEN_RATIO): K_a = r K_b, and K_b is logistic
        ratio = during.subs(t, deficit) / k0
        limit = sigma / (1 + ratio)
        after = limit / (1 + (limit / k0 - 1) * sp.exp(-2 * sigma * tt))
        yield sp.diff(after, tt) - 2 * after * (sigma - (1 + ratio) * after)
        yield after.subs(tt, 0) - k0
        found["share"] = sp.simplify(sp.limit(after, tt, sp.oo) / sigma)
        decay = (s - k0) * sp.exp(-2 * s * deficit)
        yield found["share"] - (k0 + decay) / (sigma + decay)

    out.identity(
        DEPTH2_SHARE,
        "K_a(t) = s / (1 + (s/k0 - 1) e^{-2st}), s = sigma - k0, solves dK_a/dt = 2 K_a (sigma - "
        "K_a - k0) from k0 while K_b = k0; then K_b -> sigma / (1 + K_a(T)/k0), so K_b(inf)/sigma "
        "= (k0 + (s - k0) e^{-2sT}) / (sigma + (s - k0) e^{-2sT})",
        sympy=depth2_share,
    )
    sigmas = rng.uniform(0.5, 3.0, out.size)
    out.evaluate(
        DEPTH2_SHARE,
        {
            "sigma": sigmas,
            "k0": sigmas * 10.0 ** rng.uniform(-4, np.log10(0.99), out.size),
            "T": rng.uniform(0.0, 20.0, out.size) / sigmas,
        },
        lambdify([sigma, k0, deficit], found["share"]),
    )
    return out.run()
