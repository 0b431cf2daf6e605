"""Validity map RC-M1 (claim RC4): RC4's comparison of the critical ReLU Jacobian's spectral
variance (closed form plus first-order width bias, 24 seeds) over depth L and width n,
Gaussian and orthogonal weights. Dashed: the claim's stated end of its width expansion,
8L/n = 1/4; solid: where the comparison fails (at 24 seeds, far deeper: a finding, see the
map's statement). Data: the map claim's own simulate().
"""

import style


def main():
    style.validity_map("RC-M1")


if __name__ == "__main__":
    main()
