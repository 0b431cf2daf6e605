"""Validity map IB-M2 (claim IB2's iterative IB algorithm; its own stored sweep).

Colour: log10(error / tolerance) of the iterative IB algorithm (2 clusters, 3 restarts) on
the doubly symmetric binary source (p = 0.1) after N iterations, at beta = beta_0 e^{-d}
(left: IB2's "trivial" tolerance 1e-6 bits) and beta_0 e^{+d} (right: 1e-4 bits of the
closed form). Solid: measured z = 1; dashed black: the predicted budget N* from the linear
rates of the IB map (critical slowing down; above beta_0 the cluster balance relaxes at
O(d^2)); dashed colour: the issue's N* = ln(I_0/tol)/d; star: IB2's defaults (beta = 1.1
beta_0, max_iter = 5000).
"""

import style


def main():
    style.validity_map("IB-M2")


if __name__ == "__main__":
    main()
