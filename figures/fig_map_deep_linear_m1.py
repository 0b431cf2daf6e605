"""Map DL-M1: where the decoupled mode dynamics (DL1/DL3) stop holding for gradient descent.

The largest deviation of GD's mode strengths from deep_mode_strength, over the initial strength
u0 / s_max and the learning rate in units of the stability bound, at depths 2, 4 and 8: the
measured z = 1 line (solid) against the first-order Euler line (dashed) and the stability bound.
"""

import style


def main():
    style.validity_map("DL-M1")


if __name__ == "__main__":
    main()
