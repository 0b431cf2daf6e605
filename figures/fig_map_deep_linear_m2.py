"""Map DL-M2: where DL2's learning times from small random init stop holding.

DL2's relative error of the half-learning times, one Gaussian init per point, over the init
scale N_h sigma^2 / s_max and the hidden width N_h: the measured z = 1 line (solid) against the
first-order error model's line (dashed) and the claim's error model read as written.
"""

import style


def main():
    style.validity_map("DL-M2")


if __name__ == "__main__":
    main()
