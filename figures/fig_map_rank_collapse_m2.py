"""Validity map RC-M2 (claim RC1): the contraction exponent of one pure softmax attention
layer (fitted over 120 seeds against 3) over the initial residual r0 and the attention gain.
Dashed: Dong et al.'s contraction line C r0^2 = 1; solid: where the cubic law fails (same
r0 ~ gain^{-1/2} slope, ~20x higher r0: a finding, see the map's statement). Data: the map
claim's own simulate().
"""

import style


def main():
    style.validity_map("RC-M2")


if __name__ == "__main__":
    main()
