"""Validity map NC-M1 (claims NC2, NC3): GD on the balanced unconstrained-features model
(CE; MSE with and without bias) for a fixed budget of steps, over learning rate (in units of
the minimiser's stability bound 2 / lambda_max) and weight decay (the collapse parameter
K c). Dashed: the predicted convergence budget (smallest non-rotation Hessian eigenvalue at
the closed-form minimiser; it bends away at the collapse threshold K c = 1), the stability
bound and NC2/NC3's own time-constant line. Data: the map claim's own simulate().
"""

import style


def main():
    style.validity_map("NC-M1")


if __name__ == "__main__":
    main()
