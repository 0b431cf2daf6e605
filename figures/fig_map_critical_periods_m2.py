"""Validity map CP-M2 (claim CP2, D = 2): GD from random Gaussian weights (std per weight, hidden
width N_h, both pathways alike) against depth2_final_share at the init's growing part
|a + b|^2 / 4, mean over 4 inits, tolerance 1% of sigma. Dashed black: the small-init line
N_h std^2 / 2 = k0* from the O(|a - b|^2) error model; dashed colour: the lazy line
N_h std^2 / 2 = sigma (blank beyond: the closed form is undefined there). Star: CP1/CP2's
k0 = 0.05 as a random init at width 10. Data: the map claim's own simulate().
"""

import style


def main():
    style.validity_map("CP-M2")


if __name__ == "__main__":
    main()
