"""Fits the polynomial R(t) behind erfcTailFloat32 (packages/tensor/src/ops/special.ts).

    erfc(a) = t * exp(-a^2) * R(t),   t = 1 / (1 + a/2),   a >= 0

R is smooth and bounded on t in (0, 1] (R -> 1/(2 sqrt(pi)) as a -> inf), so one polynomial
in t serves the whole half-line with no branch. Weighted least squares (weights 1/R, so the
error is relative) on Chebyshev nodes in t for a in [0, 10]; beyond a = 10 a float32 GELU's
tail has underflowed (e^-100). Prints the coefficients, highest degree first, and the largest
relative error of t * R(t) * exp(-a^2) against math.erfc on a fine grid.

    python3 tools/fit_erfc_float32.py            (numpy needed; the fit is not run by tests)
"""

import math

import numpy as np

DEGREE = 11
A_MAX = 10.0


def r_exact(a: float, t: float) -> float:
    return math.erfc(a) * math.exp(a * a) / t


def main() -> None:
    t_min = 1 / (1 + 0.5 * A_MAX)
    n = 6000
    ts = np.cos(np.pi * (np.arange(n) + 0.5) / n) * (1 - t_min) / 2 + (1 + t_min) / 2
    values = np.array([r_exact(2 * (1 / t - 1), t) for t in ts])
    vander = np.vander(ts, DEGREE + 1)
    weights = 1 / values
    coefficients, *_ = np.linalg.lstsq(vander * weights[:, None], values * weights, rcond=None)
    # erfc(0) = 1 exactly: R(1) = 1, so the GELU's slope at 0 is exactly 1/2 (a fit off by
    # 3e-10 there rounds dy * 1/2 up instead of to even when dy is float32's smallest subnormal)
    coefficients[-1] += 1.0 - float(np.sum(coefficients))

    grid = np.linspace(0, A_MAX, 100001)
    t_grid = 1 / (1 + 0.5 * grid)
    exact = np.array([r_exact(a, t) for a, t in zip(grid, t_grid)])
    worst = float(np.max(np.abs(np.polyval(coefficients, t_grid) / exact - 1)))
    print("coefficients (highest degree first):")
    print(", ".join(repr(float(c)) for c in coefficients))
    print(f"max relative error on a in [0, {A_MAX}]: {worst:.3g}")


if __name__ == "__main__":
    main()
