"""Validity map CP-M1 (claim CP3): CP3's comparison (the deprived pathway's final share after
each of CP3's deficit windows, GD at lr and 2 lr, err(2 lr)/err(lr) = 2 +- 0.25) over the
learning rate and the initial strength k0, at depths 1, 2, 4. Dashed black: lr = 1/lambda_max,
lambda_max the Hessian's top eigenvalue at the final state theory.final_share predicts (the
2 lr run stops converging); dashed colour: lr = 2/lambda_max. Solid: where the comparison
fails. Star: CP3's defaults. Data: the map claim's own simulate().
"""

import style


def main():
    style.validity_map("CP-M1")


if __name__ == "__main__":
    main()
