"""Customer lifetime value: BG/NBD for how often a customer buys and whether they still do,
Gamma-Gamma for how much they spend per order.

Both are the published models, fitted by maximum likelihood on the published log-likelihoods:

* BG/NBD — Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to
  the Pareto/NBD model", Marketing Science 24(2). While alive a customer buys at rate
  λ ~ Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b).
* Gamma-Gamma — Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer
  base analysis", JMR 42(4). Order values z ~ Gamma(p, ν) with ν ~ Gamma(q, γ).

A customer is summarised as in those papers: `x` repeat purchases (orders after the first),
`t_x` the time of the last one after the first, `T` the time from the first purchase to the end
of calibration, all in weeks, and `zbar` the mean value of the repeat orders. The functions take
numpy arrays so a recompute handles every customer in a few vectorised passes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from contactcenter.errors import DomainError

Array = NDArray[np.float64]
WEEKS_PER_YEAR = 365.25 / 7


class FitError(DomainError):
    """The data cannot support a fit (too few customers or repeat buyers), or the optimiser failed."""

    kind = "unprocessable"
    code = "model_fit_failed"


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def bgnbd_log_likelihood(params: BgNbdParams, x: Array, t_x: Array, T: Array) -> Array:
    """Each customer's log-likelihood (FHL 2005, equation 6, taken to logs)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    # Only repeat buyers have the "dropped out after the last purchase" term; elsewhere -inf adds 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x), -np.inf
        )
    result: Array = a1 + a2 + np.logaddexp(a3, a4)
    return result


def fit_bgnbd(x: Array, t_x: Array, T: Array, *, start: BgNbdParams | None = None) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters; the search runs on the logs so all four stay positive."""
    if len(x) < 20 or int(np.count_nonzero(x)) < 5:
        raise FitError("too few customers with repeat purchases to fit a purchase model (need 20, 5 repeating)")
    scale = float(np.mean(T)) or 1.0  # α is in time units: start it near the observation span
    first = start or BgNbdParams(1.0, scale, 1.0, 1.0)
    x0 = np.log([first.r, first.alpha, first.a, first.b])

    def negative(logs: Array) -> float:
        r, alpha, a, b = np.exp(np.clip(logs, -20, 20))
        value = -float(np.sum(bgnbd_log_likelihood(BgNbdParams(r, alpha, a, b), x, t_x, T)))
        return value if np.isfinite(value) else 1e300

    result = optimize.minimize(
        negative, x0, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-8}
    )
    result = optimize.minimize(negative, result.x, method="L-BFGS-B")
    if not np.all(np.isfinite(result.x)):
        raise FitError(f"the purchase model did not converge: {result.message}")
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BgNbdParams(r, alpha, a, b)


def probability_alive(params: BgNbdParams, x: Array, t_x: Array, T: Array) -> Array:
    """P(still a customer at T | x, t_x, T) (FHL 2005, equation 11)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    ratio = np.where(
        repeat, a / np.where(repeat, b + x - 1, 1.0) * np.exp((r + x) * np.log((alpha + T) / (alpha + t_x))), 0.0
    )
    result: Array = 1.0 / (1.0 + ratio)
    return result


def expected_purchases(params: BgNbdParams, t: float, x: Array, t_x: Array, T: Array) -> Array:
    """Expected purchases in the `t` weeks after T given the history (FHL 2005, equation 10)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    head = (a + b + x - 1) / (a - 1) if abs(a - 1) > 1e-9 else (a + b + x - 1) / 1e-9
    body = 1 - np.exp((r + x) * np.log((alpha + T) / (alpha + T + t))) * hyp
    repeat = x > 0
    denominator = 1 + np.where(
        repeat, a / np.where(repeat, b + x - 1, 1.0) * np.exp((r + x) * np.log((alpha + T) / (alpha + t_x))), 0.0
    )
    result: Array = head * body / denominator
    return np.maximum(result, 0.0)


def expected_purchases_new(params: BgNbdParams, t: Array) -> Array:
    """E[X(t)] for a customer picked at random at their first purchase (FHL 2005, equation 9)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
    result: Array = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)
    return result


def gamma_gamma_log_likelihood(params: GammaGammaParams, x: Array, zbar: Array) -> Array:
    """Each repeat buyer's log-likelihood of their mean order value (FHL 2005b, equation 3)."""
    p, q, g = params.p, params.q, params.gamma
    px = p * x
    result: Array = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * np.log(g + x * zbar)
    )
    return result


def fit_gamma_gamma(x: Array, zbar: Array) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters on the repeat buyers with a positive mean value."""
    keep = (x > 0) & (zbar > 0)
    x, zbar = x[keep], zbar[keep]
    if len(x) < 5:
        raise FitError("too few repeat buyers with order values to fit a spend model (need 5)")
    mean = float(np.mean(zbar))

    def negative(logs: Array) -> float:
        p, q, g = np.exp(np.clip(logs, -20, 20))
        value = -float(np.sum(gamma_gamma_log_likelihood(GammaGammaParams(p, q, g), x, zbar)))
        return value if np.isfinite(value) else 1e300

    x0 = np.log([1.0, 2.0, mean])
    result = optimize.minimize(
        negative, x0, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-8}
    )
    result = optimize.minimize(negative, result.x, method="L-BFGS-B")
    p, q, g = (float(v) for v in np.exp(result.x))
    if q <= 1:
        raise FitError("the spend model has no finite mean (q <= 1): order values vary too wildly to predict")
    return GammaGammaParams(p, q, g)


def expected_order_value(params: GammaGammaParams, x: Array, zbar: Array) -> Array:
    """E[order value | x, zbar]: the customer's own mean shrunk toward the population mean
    (FHL 2005b, equation 5). One-time buyers (x = 0) get the population mean p·γ/(q−1)."""
    p, q, g = params.p, params.q, params.gamma
    result: Array = (g + x * np.where(x > 0, zbar, 0.0)) * p / (p * x + q - 1)
    return result
