"""Validity map NC-M2 (claim NC4): GD on the imbalanced bias-free deep linear MSE UFM
(depths 2, 3, 6) from NC4's aligned start, over the minority size n_K / n* and the
minority's initial output u0. Red: GD misses the largest-root local minimum (it falls to the
origin). Dashed: the predicted saddle of the reduced one-class problem, its continuation on
the local-minimum branch, the fold where that minimum first exists and NC4's collapse
threshold n*. Data: the map claim's own simulate().
"""

import style


def main():
    style.validity_map("NC-M2")


if __name__ == "__main__":
    main()
