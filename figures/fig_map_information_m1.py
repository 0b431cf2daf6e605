"""Validity map IB-M1 (claim IB3's binned-entropy estimator; its own stored sweep).

Colour: log10(error / tolerance) of the plug-in entropy of tanh(w x), x ~ N(0, 1), in m bins
on [-1, 1] from n samples (mean error over 4 data sets against IB3's 4 standard errors of
one estimate), for w = 0.87 (the entropy peak, nearly uniform bins) and w = 3 (saturating).
Solid: measured z = 1; dashed black: the predicted m* = 33 + 8 sqrt(16 + n sigma^2)
(Miller-Madow bias against a standard error that carries the frequency noise); dashed
colour: the issue's line m = 1 + 8 sigma sqrt(n); star: IB3's defaults (n = 200,000, 30 bins).
"""

import style


def main():
    style.validity_map("IB-M1")


if __name__ == "__main__":
    main()
