"""Error-spending functions of the Lan-DeMets family and the checks of their arguments.

Each function gives the cumulative error spent at information fraction ``t`` in [0, 1] for a total
error ``alpha`` (one side): it is 0 at ``t = 0``, increases, and equals ``alpha`` at ``t = 1``.
The definitions are rpact's (``typeOfDesign`` / ``typeBetaSpending``) and gsDesign's:

- ``obrien-fleming``: Lan and DeMets (1983) O'Brien-Fleming type,
  ``2 - 2 Phi(z_{1 - alpha/2} / sqrt(t))`` (rpact ``asOF``/``bsOF``, gsDesign ``sfLDOF``);
- ``pocock``: Lan-DeMets Pocock type, ``alpha log(1 + (e - 1) t)`` (``asP``/``bsP``, ``sfLDPocock``);
- ``hwang-shih-decani``: Hwang, Shih and DeCani (1990), gamma != 0:
  ``alpha (1 - exp(-gamma t)) / (1 - exp(-gamma))``; gamma = 0 gives ``alpha t``
  (``asHSD``/``bsHSD``, ``sfHSD``);
- ``kim-demets``: Kim and DeMets (1987) power family, rho > 0: ``alpha t^rho`` (``asKD``/``bsKD``,
  ``sfPower``).

A two-sided symmetric design of total ``alpha`` spends ``2 * spending(f, t, alpha / 2)``: the same
function on each side (rpact's two-sided ``asOF`` is ``4 - 4 Phi(z_{1 - alpha/4} / sqrt(t))``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["SPENDING_FUNCTIONS", "SpendingFunction", "spending"]

SpendingFunction = Literal["obrien-fleming", "pocock", "hwang-shih-decani", "kim-demets"]
#: The spending functions by name, as ``helpers.study.SpendingName`` spells them.
SPENDING_FUNCTIONS: tuple[str, ...] = get_args(SpendingFunction)
#: The parameter each function takes (None: none).
_PARAMETER = {"obrien-fleming": None, "pocock": None, "hwang-shih-decani": "gamma", "kim-demets": "rho"}


def check_probability(name: str, value: float) -> float:
    """``value`` as a float strictly inside (0, 1), or a ValueError naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} is not a number; expected a probability in (0, 1)") from None
    if not 0 < v < 1:
        raise ValueError(f"{name}={value!r} is outside (0, 1); expected a probability such as 0.025")
    return v


def check_spending(function: str, parameter: float | None, *, setting: str = "function") -> float | None:
    """Check a spending function's name and parameter; return the parameter as a float (or None)."""
    if function not in _PARAMETER:
        raise ValueError(
            f"{setting}={function!r} is not a spending function; expected one of {list(SPENDING_FUNCTIONS)}"
        )
    needs = _PARAMETER[function]
    what = f"{setting}={function!r}"
    if needs is None:
        if parameter is not None:
            raise ValueError(f"{what} takes no parameter (found parameter={parameter!r})")
        return None
    if parameter is None:
        raise ValueError(f"{what} needs its parameter ({needs}); found none")
    p = float(parameter)
    if not math.isfinite(p):
        raise ValueError(f"{what}: parameter {needs}={parameter!r} must be finite")
    if function == "kim-demets" and p <= 0:
        raise ValueError(f"{what}: parameter rho={parameter!r} must be > 0")
    return p


def check_fractions(
    information_fractions: ArrayLike, *, setting: str = "information_fractions", allow_above_one: bool = False
) -> NDArray[np.float64]:
    """Information fractions as an increasing float array in (0, 1] (above 1 only if allowed)."""
    t = np.atleast_1d(np.asarray(information_fractions, dtype=float))
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"{setting}={_show(information_fractions)} must be a non-empty list of fractions")
    if not np.all(np.isfinite(t)) or np.any(t <= 0) or (not allow_above_one and np.any(t > 1)):
        bound = "(0, inf)" if allow_above_one else "(0, 1]"
        raise ValueError(f"{setting}={_show(information_fractions)} holds a fraction outside {bound}")
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"{setting}={_show(information_fractions)}: looks out of order; fractions must increase")
    return t


def _show(x: object) -> str:
    if isinstance(x, np.ndarray | Sequence) and not isinstance(x, str):
        return str([float(v) for v in np.asarray(x, dtype=float).ravel()])
    return repr(x)


def spending(function: str, t: ArrayLike, alpha: float, parameter: float | None = None) -> NDArray[np.float64] | float:
    """Cumulative error spent at information fractions ``t`` by a spending function.

    Parameters
    ----------
    function
        ``"obrien-fleming"``, ``"pocock"``, ``"hwang-shih-decani"`` (``parameter`` gamma, any real)
        or ``"kim-demets"`` (``parameter`` rho > 0); the module docstring gives the formulas.
    t
        Information fractions in [0, 1] (a number or an array); values above 1 spend ``alpha``.
    alpha
        Total error to spend, in (0, 1).

    Returns
    -------
    The cumulative error at each ``t``: a float for a scalar ``t``, else an array of ``t``'s shape.
    """
    a = check_probability("alpha", alpha)
    p = check_spending(function, parameter)
    x = np.asarray(t, dtype=float)
    if np.any(np.isnan(x)) or np.any(x < 0):
        raise ValueError(f"t={_show(t)} holds a fraction below 0 or NaN; expected fractions in [0, 1]")
    x = np.minimum(x, 1.0)
    with np.errstate(divide="ignore"):
        if function == "obrien-fleming":
            out = 2.0 * special.ndtr(-special.ndtri(1 - a / 2) / np.sqrt(x))
        elif function == "pocock":
            out = a * np.log1p((math.e - 1) * x)
        elif function == "hwang-shih-decani":
            assert p is not None
            out = a * x if p == 0 else a * np.expm1(-p * x) / math.expm1(-p)
        else:
            assert p is not None
            out = a * x**p
    out = np.where(x >= 1, a, np.where(x <= 0, 0.0, out))
    return float(out) if out.ndim == 0 else out
