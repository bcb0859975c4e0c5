"""What the hazard regressions share: model formulas, the tidy summary, Wald tests, divergence.

:func:`helpers.stats.survival.fit_cox` and :func:`helpers.stats.competing_risks.fine_gray` return results
of the same shape (frozen dataclasses with these members, see ``docs/CONVENTIONS.md``):

- ``summary``: the tidy frame :data:`MODEL_COLUMNS`, one row per term;
- ``terms``: the term names (model-matrix columns), ``coef``: a Series indexed by them,
  ``vcov``: the variance used by ``summary`` (a DataFrame over ``terms``);
- ``term_sources``: term -> the covariate or interaction that produced it;
- ``wald_test(terms, *, robust=None)`` and ``columns_of(source)`` from :class:`WaldTests`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import linalg, stats

__all__ = [
    "MODEL_COLUMNS",
    "WaldTests",
    "diverging",
    "parse_formula",
    "tidy_summary",
    "wald_statistic",
]

#: Columns of every regression summary, in order.
MODEL_COLUMNS = ["term", "coef", "std_error", "hr", "conf_low", "conf_high", "statistic", "p_value", "note"]
NOT_ESTIMABLE = "not estimable"


def tidy_summary(
    terms: Sequence[str], coef: np.ndarray, std_error: np.ndarray, notes: Sequence[str], z: float
) -> pd.DataFrame:
    """One row per term: Wald z, two-sided normal p-value and the hazard-ratio interval.

    Rows whose note starts with "not estimable" carry no number (NaN), never 0 or infinity.
    """
    bad = np.array([note.startswith(NOT_ESTIMABLE) for note in notes], dtype=bool)
    b = np.where(bad, np.nan, np.asarray(coef, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(bad, np.nan, np.asarray(std_error, dtype=float))
        stat = b / se
    return pd.DataFrame(
        {
            "term": list(terms),
            "coef": b,
            "std_error": se,
            "hr": np.exp(b),
            "conf_low": np.exp(b - z * se),
            "conf_high": np.exp(b + z * se),
            "statistic": stat,
            "p_value": 2 * stats.norm.sf(np.abs(stat)),
            "note": list(notes),
        },
        columns=MODEL_COLUMNS,
    )


def wald_statistic(b: np.ndarray, v: np.ndarray) -> dict[str, float]:
    """Joint Wald chi-square ``b' V^-1 b`` on ``len(b)`` df (R: ``aod::wald.test``)."""
    df = len(b)
    try:
        statistic = float(b @ linalg.solve(v, b, assume_a="sym"))
    except (linalg.LinAlgError, ValueError):
        return {"statistic": np.nan, "df": df, "p_value": np.nan}
    return {"statistic": statistic, "df": df, "p_value": float(stats.chi2.sf(statistic, df))}


def diverging(step: np.ndarray, coef: np.ndarray, toler_inf: float) -> np.ndarray:
    """coxph's "coefficient may be infinite" rule on the Newton step left at the solution.

    At a finite maximum the step ``|u' I^-1|`` is negligible; along a monotone likelihood the
    score and information decay exponentially while the coefficient grows linearly, so the step
    stays of order one.  Flagged: a non-finite step, or one above 1e-3 and above
    ``toler_inf * max(|coef|, 1)`` (coxph.control: ``toler.inf = sqrt(eps)``).  Unlike a bound
    on ``|coef|`` this lets a covariate on a small scale carry a large coefficient.
    """
    step = np.abs(step)
    return ~np.isfinite(step) | ((step > 1e-3) & (step > toler_inf * np.maximum(np.abs(coef), 1.0)))


class WaldTests:
    """``wald_test`` and ``columns_of`` for a result with ``terms``, ``term_sources``,
    ``coef`` (Series), ``summary`` and a ``_variance(robust)`` method."""

    terms: tuple[str, ...]
    term_sources: dict[str, str]
    coef: pd.Series
    summary: pd.DataFrame

    def _variance(self, robust: bool | None) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def columns_of(self, source: str) -> list[str]:
        """Terms produced by a covariate (``"DONOR"``) or an interaction (``"ARM:DIAG"``)."""
        return [t for t in self.terms if self.term_sources[t] == source]

    def wald_test(self, terms: Sequence[str] | str, *, robust: bool | None = None) -> dict[str, float]:
        """Joint Wald chi-square test that the given coefficients are all zero.

        ``statistic = b' V^-1 b`` on ``df = len(b)`` degrees of freedom, as
        ``aod::wald.test(Sigma = vcov, b = coef, Terms = ...)``.

        Parameters
        ----------
        terms : str or sequence of str
            Term names (``"DONOR[MUD]"``) or sources selecting all their terms: a covariate
            (``"DONOR"``) or an interaction (``"ARM:DIAG"``, the treatment-by-subgroup
            interaction test).
        robust : bool, optional
            Which variance: ``None`` as the fit's ``summary``; Fine-Gray fits offer both the
            robust (``True``) and the naive (``False``) variance.

        Returns
        -------
        dict
            ``statistic``, ``df``, ``p_value``; statistic and p-value are NaN when a tested term
            is not estimable (its ``note`` in ``summary``) or no term is named.
        """
        if isinstance(terms, str):
            terms = [terms]
        index: list[int] = []
        for name in terms:
            hits = (
                [self.terms.index(name)]
                if name in self.terms
                else [i for i, t in enumerate(self.terms) if self.term_sources[t] == name]
            )
            if not hits:
                raise ValueError(
                    f"terms holds {name!r}, which is neither a term nor a covariate of the model; "
                    f"expected one of {list(self.terms)} or {sorted(set(self.term_sources.values()))}"
                )
            index.extend(h for h in hits if h not in index)
        notes = self.summary["note"].to_numpy()
        if not index or any(notes[i].startswith(NOT_ESTIMABLE) for i in index):
            return {"statistic": np.nan, "df": len(index), "p_value": np.nan}
        v = self._variance(robust)
        return wald_statistic(self.coef.to_numpy()[index], v[np.ix_(index, index)])


# --------------------------------------------------------------------------- formulas
_CATEGORICAL_CALL = re.compile(r"^C\((.+)\)$")


def parse_formula(formula: str) -> tuple[list[str], list[tuple[str, str]], set[str]]:
    """Split ``"ARM + AGE + C(DONOR) + ARM:DIAG"`` into covariates, interactions, forced factors.

    ``a*b`` is ``a + b + a:b``; ``C(x)`` treats x as categorical.
    """
    covariates: list[str] = []
    interactions: list[tuple[str, str]] = []
    forced: set[str] = set()

    def name(token: str) -> str:
        token = token.strip()
        m = _CATEGORICAL_CALL.match(token)
        if m:
            token = m.group(1).strip()
            forced.add(token)
        if not token:
            raise ValueError(f"covariates={formula!r} holds an empty term; expected 'A + B + C(D)'")
        return token

    for part in formula.split("+"):
        if "*" in part or ":" in part:
            sep = "*" if "*" in part else ":"
            pieces = part.split(sep)
            if len(pieces) != 2:
                raise ValueError(f"covariates={formula!r} holds {part.strip()!r}; expected two-way interactions only")
            a, b = name(pieces[0]), name(pieces[1])
            if sep == "*":
                covariates += [c for c in (a, b) if c not in covariates]
            interactions.append((a, b))
        else:
            c = name(part)
            if c not in covariates:
                covariates.append(c)
    return covariates, interactions, forced
