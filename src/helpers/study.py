"""The study definition: every trial-specific choice, read from one YAML file and validated.

A study definition (``studies/nct04674345.yaml`` for this trial) names the arms and their
reference, the populations, the endpoints and their causes, the baseline variables with their
decoded levels, the subgroups, the landmarks, the eligibility ranges, the safety settings, the
group-sequential design and the synthetic trial's settings. The analysis reads it through
:func:`load_study` and passes the :class:`Study` down; nothing else in ``helpers`` spells an arm,
a label or an endpoint.

>>> study = load_study(DEFAULT_STUDY)
>>> study.reference_arm.label, [a.label for a in study.comparator_arms]
('No maintenance', ['Sorafenib maintenance'])
>>> study.endpoint("REL").causes[2]
'Non-relapse mortality'

A file that breaks the schema raises :class:`StudyError` with one line per problem, naming the
file and the field (``arms[1].colour``), the value found and what was expected.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from helpers import config

__all__ = [
    "DEFAULT_STUDY",
    "Arm",
    "ClosedReport",
    "Design",
    "Endpoint",
    "OpenReport",
    "Reports",
    "Study",
    "Spending",
    "StudyError",
    "Subgroup",
    "Variable",
    "in_prose",
    "load_study",
]

#: This trial's definition, used when no other is given (``make report STUDY=...``).
DEFAULT_STUDY = config.DEFAULT_STUDY

_NAME = r"^[A-Z][A-Z0-9]{0,7}$"  # an ADaM variable name (SAS transport: at most 8 characters)
_COLOUR = r"^#[0-9A-Fa-f]{6}$"
AdamName = Annotated[str, Field(pattern=_NAME)]


class StudyError(ValueError):
    """The study definition cannot be read or breaks its schema."""


class _Model(BaseModel):
    # unknown keys are errors: a misspelt field must not be silently ignored
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudyInfo(_Model):
    """Identification and wording."""

    id: str = Field(min_length=1, description="STUDYID in every table")
    title: str = Field(min_length=1, description="report title")
    subtitle: str = ""
    short_title: str = Field(min_length=1)
    drug: str = Field(min_length=1, description="the study drug as the prose names it (lower case)")
    population_description: str = ""


class Arm(_Model):
    """One randomised arm (ADSL ``ARMCD``/``ARM``)."""

    code: str = Field(min_length=1, max_length=20)
    label: str = Field(min_length=1, max_length=200)
    short_label: str = Field(min_length=1, max_length=40)
    colour: str = Field(pattern=_COLOUR)
    allocation: int = Field(default=1, ge=1, description="allocation ratio weight")
    reference: bool = False
    treated: bool = Field(description="receives the study drug (exposure, dose actions, TRTSDT)")


class Population(_Model):
    flag: AdamName
    label: str = Field(min_length=1)


class Landmark(_Model):
    days: float = Field(gt=0)
    label: str = Field(min_length=1)


class TimeAxis(_Model):
    unit: str = Field(min_length=1, description="the unit figures show (e.g. months)")
    days_per_unit: float = Field(gt=0)
    tick_every: float = Field(gt=0, description="axis ticks every this many units")
    landmarks: tuple[Landmark, ...] = Field(min_length=1)
    main_landmark: float = Field(gt=0, description="days; one of the landmarks")

    @model_validator(mode="after")
    def _main_is_a_landmark(self) -> TimeAxis:
        days = [lm.days for lm in self.landmarks]
        if self.main_landmark not in days:
            raise ValueError(f"main_landmark={self.main_landmark:g} is not one of the landmarks {days}")
        if sorted(days) != days or len(set(days)) != len(days):
            raise ValueError(f"landmarks {days} must be distinct and in increasing order")
        return self

    def landmark_label(self, days: float) -> str:
        for lm in self.landmarks:
            if lm.days == days:
                return lm.label
        raise KeyError(f"{days=} is not a landmark; expected one of {[lm.days for lm in self.landmarks]}")

    @property
    def landmark_days(self) -> tuple[float, ...]:
        return tuple(lm.days for lm in self.landmarks)

    def to_units(self, days: float) -> float:
        """Days as the unit figures show (``730 -> 23.98`` months)."""
        return days / self.days_per_unit

    @property
    def axis_label(self) -> str:
        """The time axis title of every figure, e.g. ``"Months since randomisation"``."""
        return f"{self.unit[:1].upper()}{self.unit[1:]} since randomisation"


class Endpoint(_Model):
    """One ADTTE parameter."""

    paramcd: str = Field(pattern=_NAME)
    param: str = Field(min_length=1, description="ADTTE PARAM text")
    label: str = Field(min_length=1)
    kind: Literal["competing", "survival"]
    causes: dict[int, str] = Field(default_factory=dict, description="EVNTCD -> label (competing)")
    required: bool = True
    adsl_events: dict[AdamName, Literal[1, 2]] = Field(
        default_factory=dict, description="ADSL date -> EVNTCD, in order of precedence on ties"
    )

    @model_validator(mode="after")
    def _causes_match_kind(self) -> Endpoint:
        if self.kind == "competing" and sorted(self.causes) != [1, 2]:
            raise ValueError(f"a competing endpoint needs causes 1 and 2; found {sorted(self.causes)}")
        if self.kind == "survival" and self.causes:
            raise ValueError("a survival endpoint has no causes (EVNTCD is 0 or 1)")
        if self.kind == "survival" and 2 in self.adsl_events.values():
            raise ValueError("a survival endpoint has no competing event (EVNTCD 2) in adsl_events")
        return self

    def cause_label(self, cause: int) -> str:
        """Label of an event code: the cause for competing endpoints, the endpoint's label otherwise."""
        if self.kind == "survival":
            return self.label
        return self.causes[cause]


class Primary(_Model):
    endpoint: str
    cause: Literal[1, 2] = 1


class Derivation(_Model):
    variable: AdamName
    breaks: tuple[float, ...] = Field(min_length=1)


class Variable(_Model):
    """A trial-specific ADSL variable (beyond the generic ADaM ones the contract always needs)."""

    name: AdamName
    label: str = Field(min_length=1)
    kind: Literal["categorical", "continuous", "date"]
    levels: dict[str, str] | None = Field(
        default=None, description="code -> decoded label, in display order; None = any code, sorted"
    )
    nullable: bool = Field(default=False, description="missing values are expected, not findings")
    derived_from: Derivation | None = None

    @field_validator("levels", mode="before")
    @classmethod
    def _level_codes_are_text(cls, v: object) -> object:
        # YAML reads 1: One as an int key; codes are text in the data
        if isinstance(v, dict):
            return {str(k): str(val) for k, val in v.items()}
        return v

    @model_validator(mode="after")
    def _levels_for_categorical_only(self) -> Variable:
        if self.levels is not None and self.kind != "categorical":
            raise ValueError(f"levels are for categorical variables; {self.name} is {self.kind}")
        if self.derived_from is not None:
            if self.kind != "categorical" or self.levels is None:
                raise ValueError("derived_from needs a categorical variable with levels")
            if len(self.levels) != len(self.derived_from.breaks) + 1:
                raise ValueError(
                    f"derived_from has {len(self.derived_from.breaks)} breaks, so "
                    f"{len(self.derived_from.breaks) + 1} levels; found {len(self.levels)}"
                )
        return self

    def decode(self, code: object) -> str:
        """The reader-facing label of a code (the code itself when no label is defined)."""
        if self.levels is None:
            return str(code)
        return self.levels.get(str(code), str(code))


class Subgroup(_Model):
    variable: AdamName
    label: str | None = Field(default=None, description="default: the variable's label")
    breaks: tuple[float, ...] | None = Field(default=None, description="cut points of a continuous variable")
    level_labels: tuple[str, ...] | None = Field(default=None, description="labels of the cut groups")


class Eligibility(_Model):
    variable: AdamName
    rule: str = Field(min_length=1, description="the protocol's criterion, as findings quote it")
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Eligibility:
        if (self.min is None and self.max is None) == (self.allowed is None):
            raise ValueError("give either min/max or allowed")
        return self


class UntreatedWindow(_Model):
    anchor: AdamName
    days: int = Field(ge=0)


class SpecialInterest(_Model):
    label: str = Field(min_length=1)
    terms: tuple[str, ...] = Field(min_length=1)


class Safety(_Model):
    treatment: str = Field(min_length=1, description="ADEX EXTRT")
    dose_unit: str = Field(min_length=1)
    dose_levels: tuple[int, ...] = Field(min_length=1)
    window_days_after_last_dose: int = Field(ge=0)
    untreated_window: UntreatedWindow | None = None
    common_ae_percent: float = Field(ge=0, le=100)
    special_interest: SpecialInterest | None = None


SpendingName = Literal["obrien-fleming", "pocock", "hwang-shih-decani", "kim-demets"]


class Spending(_Model):
    """A spending function: Lan-DeMets O'Brien-Fleming or Pocock type, Hwang-Shih-DeCani with
    ``parameter`` gamma (any real but 0 gives the linear function), Kim-DeMets power family with
    ``parameter`` rho > 0.  A bare name in YAML (``alpha_spending: pocock``) is read as
    ``{function: pocock}``."""

    function: SpendingName
    parameter: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: object) -> object:
        return {"function": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _parameter(self) -> Spending:
        needs = {"hwang-shih-decani": "gamma", "kim-demets": "rho"}
        if self.function in needs and self.parameter is None:
            raise ValueError(f"spending function {self.function!r} needs parameter ({needs[self.function]})")
        if self.function not in needs and self.parameter is not None:
            raise ValueError(f"spending function {self.function!r} takes no parameter (found {self.parameter})")
        if self.function == "kim-demets" and self.parameter is not None and self.parameter <= 0:
            raise ValueError(f"kim-demets parameter rho must be > 0 (found {self.parameter})")
        return self


class Futility(_Model):
    """Futility boundaries from beta spending; non-binding unless ``binding``."""

    spending: Spending
    binding: bool = False


class Design(_Model):
    """The group-sequential design of the primary comparison (first comparator arm against the
    reference arm on the primary endpoint).

    ``planned_events`` primary events at the final analysis; the looks happen at
    ``information_fractions`` of them.  ``statistic`` is the primary test statistic: ``gray`` the
    signed square root of Gray's statistic (negative sign when the comparator's cumulative incidence
    is lower), ``fine-gray`` the Fine-Gray Wald z, ``logrank`` the cause-specific log-rank z.
    ``hazard_ratio`` is the planned effect, a ``effect_measure`` (cause-specific: Schoenfeld's
    events; subdistribution: Latouche, Porcher and Chevret's).  ``overrun`` says what the final
    analysis does when more primary events are observed than planned: ``spend-remaining`` (the
    final look spends the alpha left, information fractions taken over the events observed); none
    is an error.  ``look_cutoffs`` lists the data cutoff dates of the looks already held, in
    order; the interim analysis recomputes their information from the data at those dates (without
    them, earlier looks are taken at their planned fractions; :mod:`helpers.analysis.interim`).
    """

    n_patients: int = Field(ge=2)
    planned_events: int = Field(ge=1, description="primary events at the final analysis")
    hazard_ratio: float = Field(gt=0)
    effect_measure: Literal["cause-specific", "subdistribution"] = "cause-specific"
    statistic: Literal["gray", "fine-gray", "logrank"] = "gray"
    alpha: float = Field(gt=0, lt=1)
    sided: Literal[1, 2] = 2
    power: float = Field(gt=0, lt=1)
    information_fractions: tuple[float, ...] = Field(min_length=1)
    alpha_spending: Spending = Spending(function="obrien-fleming")
    futility: Futility | None = None
    overrun: Literal["spend-remaining"] | None = None
    accrual_months: float = Field(gt=0)
    follow_up_months: float = Field(gt=0)
    look_cutoffs: tuple[dt.date, ...] = Field(default=(), description="data cutoffs of the looks already held")

    @field_validator("look_cutoffs")
    @classmethod
    def _look_cutoffs(cls, v: tuple[dt.date, ...]) -> tuple[dt.date, ...]:
        if any(b <= a for a, b in zip(v, v[1:])):
            raise ValueError(f"look_cutoffs {[d.isoformat() for d in v]} must be in increasing order")
        return v

    @model_validator(mode="after")
    def _held_looks(self) -> Design:
        if len(self.look_cutoffs) > self.looks:
            raise ValueError(
                f"look_cutoffs lists {len(self.look_cutoffs)} dates for {self.looks} looks (information_fractions)"
            )
        return self

    @field_validator("information_fractions")
    @classmethod
    def _fractions(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(b <= a for a, b in zip(v, v[1:])) or not v[0] > 0 or v[-1] != 1.0:
            raise ValueError(f"information_fractions {list(v)} must increase in (0, 1] and end at 1")
        return v

    @property
    def looks(self) -> int:
        return len(self.information_fractions)


TableName = Literal["adsl", "adtte", "adae", "adex", "screen"]


class ScreenFailure(_Model):
    category: str = Field(min_length=1, description="SCREEN EXCLCAT")
    reason: str = Field(min_length=1, description="SCREEN EXCLREAS")
    weight: float = Field(gt=0, description="relative frequency among screen failures")


class Synthetic(_Model):
    first_randomisation: dt.date
    n_sites: int = Field(ge=1, le=99)
    hazard_ratios: dict[str, float] = Field(description="arm code -> relapse hazard ratio vs the reference")
    tables: tuple[TableName, ...] = ("adsl", "adtte", "adae", "adex", "screen")
    screen_failures: tuple[ScreenFailure, ...] | None = Field(
        default=None, description="reasons of the simulated screen failures; default: the generator's own"
    )

    @field_validator("tables")
    @classmethod
    def _core_tables(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not {"adsl", "adtte"} <= set(v):
            raise ValueError(f"tables {list(v)} must include adsl and adtte")
        return v


class ClosedReport(_Model):
    """Wording of the closed report (``make report REPORT=closed``, by arm)."""

    banner: str = Field(
        default="CLOSED REPORT: for the Data Monitoring Committee only. It shows results by arm.",
        min_length=1,
        description="the first paragraph of the report: who may read it",
    )


class OpenReport(_Model):
    """Wording of the open report (``make report REPORT=open``): every arm pooled into one group.

    None of these texts may name an arm or the study drug (:attr:`Study.arm_terms`); the open
    report shows them in place of the study's title and drug."""

    banner: str = Field(
        default="OPEN REPORT: pooled over all arms, for the trial team. It shows no result by arm.",
        min_length=1,
    )
    title: str | None = Field(default=None, description="default: '<study id>: open report'")
    subtitle: str = ""
    pooled_label: str = Field(default="All patients", min_length=1, description="the one group's label")
    pooled_code: str = Field(default="ALL", min_length=1, max_length=20, description="the one group's ARMCD")
    colour: str = Field(default="#555555", pattern=_COLOUR)
    drug: str = Field(default="the study drug", min_length=1, description="how the open report names the drug")


class Reports(_Model):
    """The two reports one run can make: closed (by arm, for the Data Monitoring Committee) and
    open (pooled, for the trial team)."""

    closed: ClosedReport = ClosedReport()
    open: OpenReport = OpenReport()


class Study(_Model):
    """A validated study definition. Arms are in display order; ``source`` is the file read."""

    study: StudyInfo
    arms: tuple[Arm, ...] = Field(min_length=2)
    populations: dict[str, Population] = Field(min_length=1)
    default_population: str = Field(
        default="ITT", description="every randomised patient; analysed unless another is asked for"
    )
    safety_population: str | None = Field(default="SAFETY", description="the safety tables' population")
    time: TimeAxis
    endpoints: tuple[Endpoint, ...] = Field(min_length=1)
    primary: Primary
    strata: tuple[AdamName, ...] = ()
    secondary: tuple[str, ...] = ()
    survival_figure: str | None = None
    follow_up_endpoint: str
    variables: tuple[Variable, ...] = ()
    baseline: tuple[AdamName, ...] = ()
    subgroups: tuple[Subgroup, ...] = ()
    eligibility: tuple[Eligibility, ...] = ()
    safety: Safety | None = None
    design: Design | None = None
    synthetic: Synthetic | None = None
    reports: Reports = Reports()
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> Study:
        problems: list[str] = []
        codes = [a.code for a in self.arms]
        if len(set(codes)) != len(codes):
            problems.append(f"arms: codes {codes} are not unique")
        labels = [a.label for a in self.arms]
        if len(set(labels)) != len(labels):
            problems.append(f"arms: labels {labels} are not unique")
        n_ref = sum(a.reference for a in self.arms)
        if n_ref != 1:
            problems.append(f"arms: exactly one arm must have reference: true; found {n_ref}")
        paramcds = [e.paramcd for e in self.endpoints]
        if len(set(paramcds)) != len(paramcds):
            problems.append(f"endpoints: PARAMCDs {paramcds} are not unique")
        for where, code in [
            ("primary.endpoint", self.primary.endpoint),
            ("follow_up_endpoint", self.follow_up_endpoint),
            *[(f"secondary[{i}]", c) for i, c in enumerate(self.secondary)],
            *([("survival_figure", self.survival_figure)] if self.survival_figure else []),
        ]:
            if code not in paramcds:
                problems.append(f"{where}: {code!r} is not an endpoint; expected one of {paramcds}")
        if self.primary.endpoint in paramcds and self.endpoint(self.primary.endpoint).kind != "competing":
            problems.append(f"primary.endpoint: {self.primary.endpoint} must be a competing endpoint")
        if self.survival_figure in paramcds and self.endpoint(self.survival_figure).kind != "survival":
            problems.append(f"survival_figure: {self.survival_figure} must be a survival endpoint")
        names = [v.name for v in self.variables]
        if len(set(names)) != len(names):
            problems.append("variables: names are not unique")
        known = set(names)
        for where, name in [
            *[(f"strata[{i}]", s) for i, s in enumerate(self.strata)],
            *[(f"baseline[{i}]", b) for i, b in enumerate(self.baseline)],
            *[(f"subgroups[{i}].variable", s.variable) for i, s in enumerate(self.subgroups)],
            *[(f"eligibility[{i}].variable", e.variable) for i, e in enumerate(self.eligibility)],
        ]:
            if name not in known:
                problems.append(f"{where}: {name!r} is not in variables; expected one of {names}")
        for i, v in enumerate(self.variables):
            if v.derived_from is not None and v.derived_from.variable not in known:
                problems.append(
                    f"variables[{i}].derived_from.variable: {v.derived_from.variable!r} is not in variables"
                )
        for i, s in enumerate(self.subgroups):
            if s.variable not in known:
                continue
            var = self.variable(s.variable)
            if var.kind == "date":
                problems.append(f"subgroups[{i}]: {s.variable} is a date")
            if var.kind == "continuous" and not s.breaks:
                problems.append(f"subgroups[{i}]: {s.variable} is continuous and needs breaks")
            if s.breaks and s.level_labels and len(s.level_labels) != len(s.breaks) + 1:
                problems.append(f"subgroups[{i}]: {len(s.breaks)} breaks need {len(s.breaks) + 1} level_labels")
        roles: dict[str, str | None] = {
            "default_population": self.default_population,
            "safety_population": self.safety_population,
        }
        for role, population in roles.items():
            if population is not None and population not in self.populations:
                problems.append(f"{role}: {population!r} is not a population; expected one of {list(self.populations)}")
        o = self.reports.open
        if o.pooled_label in labels or o.pooled_code in codes:
            problems.append(
                f"reports.open: pooled_label {o.pooled_label!r} and pooled_code {o.pooled_code!r} "
                f"must differ from the arms' labels {labels} and codes {codes}"
            )
        for key in ("title", "subtitle", "banner", "pooled_label", "pooled_code", "drug"):
            named = self.arm_terms_in(str(getattr(o, key) or ""))
            if named:
                problems.append(
                    f"reports.open.{key}: {getattr(o, key)!r} names {', '.join(repr(t) for t in named)}; "
                    "the open report names no arm and no study drug"
                )
        if self.synthetic is not None:
            unknown = sorted(set(self.synthetic.hazard_ratios) - set(codes))
            if unknown:
                problems.append(f"synthetic.hazard_ratios: arms {unknown} are not arm codes {codes}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- arms ------------------------------------------------------------------------------------
    @property
    def arm_terms(self) -> tuple[str, ...]:
        """Every text that names an arm or what an arm receives: arm codes, labels and short
        labels, the study drug and the treatment name of ADEX. The open report holds none of them
        (:meth:`arm_terms_in`; :mod:`helpers.run.blinding` checks every output)."""
        codes = [a.code for a in self.arms]
        words = [t for a in self.arms for t in (a.label, a.short_label)] + [self.study.drug]
        if self.safety is not None:
            words.append(self.safety.treatment)
        unique = {w.casefold(): w for w in reversed(words)}  # words match in any case: one of each
        return tuple(dict.fromkeys([*codes, *(w for w in words if unique[w.casefold()] == w)]))

    def arm_terms_in(self, text: str) -> list[str]:
        """The :attr:`arm_terms` that ``text`` holds as words: an arm code as written (``SORA``,
        not inside ``SORAFENIB``), labels and names in any case (``"no maintenance"`` in a
        sentence)."""
        found = []
        codes = {a.code for a in self.arms}
        for term in self.arm_terms:
            flags = 0 if term in codes else re.IGNORECASE
            if re.search(rf"(?<![A-Za-z0-9]){re.escape(term)}(?![A-Za-z0-9])", text, flags):
                found.append(term)
        return found

    def pooled(self) -> Study:
        """The study as the open report sees it (``make report REPORT=open``): one arm,
        ``reports.open.pooled_label``, for every randomised patient; the open report's title,
        subtitle and name of the drug; no drug-specific settings (the pooled arm is not
        ``treated``: no count that only the drug's arm has; terms of special interest, named
        after the drug, left out) and no synthetic settings (they name arms).

        A view, not a study definition: built without validation (a study has two arms or more).
        :func:`helpers.data.blind.pool_arms` gives the trial that goes with it."""
        o = self.reports.open
        arm = Arm(
            code=o.pooled_code,
            label=o.pooled_label,
            short_label=o.pooled_label,
            colour=o.colour,
            reference=True,
            treated=False,
        )
        title = o.title or f"{self.study.id}: open report"
        info = self.study.model_copy(
            update={"title": title, "subtitle": o.subtitle, "short_title": title, "drug": o.drug}
        )
        safety = (
            None
            if self.safety is None
            else self.safety.model_copy(update={"treatment": o.drug, "special_interest": None})
        )
        return self.model_copy(update={"arms": (arm,), "study": info, "safety": safety, "synthetic": None})

    @property
    def is_pooled(self) -> bool:
        """Whether this is the open report's view of the study (:meth:`pooled`)."""
        return len(self.arms) == 1 and self.arms[0].code == self.reports.open.pooled_code

    @property
    def reference_arm(self) -> Arm:
        return next(a for a in self.arms if a.reference)

    @property
    def comparator_arms(self) -> tuple[Arm, ...]:
        """Every arm but the reference, in display order: each is compared with the reference."""
        return tuple(a for a in self.arms if not a.reference)

    @property
    def arm_labels(self) -> tuple[str, ...]:
        """ADSL ``ARM`` values in display order."""
        return tuple(a.label for a in self.arms)

    def arm(self, key: str) -> Arm:
        """An arm by code or label."""
        for a in self.arms:
            if key in (a.code, a.label):
                return a
        raise KeyError(
            f"{key!r} is not an arm; expected a code of {[a.code for a in self.arms]} "
            f"or a label of {list(self.arm_labels)}"
        )

    @property
    def arm_colours(self) -> dict[str, str]:
        """ARM label -> colour."""
        return {a.label: a.colour for a in self.arms}

    @property
    def comparisons(self) -> tuple[tuple[Arm, Arm], ...]:
        """``(comparator, reference)`` for every comparator arm, in display order."""
        return tuple((a, self.reference_arm) for a in self.comparator_arms)

    def comparison_label(self, comparator: str | Arm) -> str:
        """``"300 mg vs Observation"``: short labels of a comparator and the reference arm."""
        arm = comparator if isinstance(comparator, Arm) else self.arm(comparator)
        return f"{arm.short_label} vs {self.reference_arm.short_label}"

    def population_flag(self, population: str) -> str:
        """The ADSL flag of a population (``"ITT" -> "ITTFL"``), case-insensitive."""
        key = population.upper()
        if key not in self.populations:
            raise KeyError(
                f"{population=} is not a population of {self.study.id}; expected one of {list(self.populations)}"
            )
        return self.populations[key].flag

    # -- endpoints and variables -------------------------------------------------------------------
    def endpoint(self, paramcd: str) -> Endpoint:
        for e in self.endpoints:
            if e.paramcd == paramcd:
                return e
        raise KeyError(
            f"{paramcd=} is not an endpoint of {self.study.id}; expected one of {[e.paramcd for e in self.endpoints]}"
        )

    @property
    def primary_endpoint(self) -> Endpoint:
        return self.endpoint(self.primary.endpoint)

    def variable(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(
            f"{name!r} is not a variable of {self.study.id}; expected one of {[v.name for v in self.variables]}"
        )

    def variable_labels(self, names: tuple[str, ...] | list[str] | None = None) -> dict[str, str]:
        """Variable name -> reader-facing label (all variables, or ``names`` in their order)."""
        chosen = [v.name for v in self.variables] if names is None else list(names)
        return {n: self.variable(n).label for n in chosen}

    def subgroup_label(self, subgroup: Subgroup | str) -> str:
        """Reader-facing label of a subgroup (or of the subgroup on a variable name)."""
        if isinstance(subgroup, str):
            found = [s for s in self.subgroups if s.variable == subgroup]
            if not found:
                return self.variable(subgroup).label
            subgroup = found[0]
        return subgroup.label or self.variable(subgroup.variable).label


def in_prose(label: str) -> str:
    """A label inside a sentence: first letter lower case unless the first word is an acronym
    (``"No maintenance" -> "no maintenance"``, ``"GVHD-free survival"`` unchanged)."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and any(c.isupper() for c in first[1:]):
        return label
    return label[:1].lower() + label[1:]


def _location(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_study(text: str, source: str | Path = "<study>") -> Study:
    """A :class:`Study` from YAML text; :class:`StudyError` names ``source`` and every bad field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StudyError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise StudyError(
            f"{source}: expected a mapping of sections (study, arms, endpoints, ...); found {type(raw).__name__}"
        )
    try:
        study = Study.model_validate(raw)
    except ValidationError as exc:
        lines = []
        errors = exc.errors()
        for err in errors:
            if err["type"] == "too_short" and any(
                e is not err and e["loc"][: len(err["loc"])] == err["loc"] for e in errors
            ):
                continue  # "0 items after validation": the items' own errors say why
            found = err.get("input")
            shown = "" if isinstance(found, dict | list) else f" (found {found!r})"
            msg = re.sub(r"^Value error, ", "", err["msg"])
            lines.append(f"  {_location(err['loc'])}: {msg}{shown}")
        n = len(lines)
        raise StudyError(
            f"{source}: study definition invalid ({n} problem{'s' if n != 1 else ''}):\n" + "\n".join(lines)
        ) from None
    return study.model_copy(update={"source": Path(source) if source != "<study>" else None})


@cache
def _load(path: Path, mtime_ns: int) -> Study:
    return parse_study(path.read_text(encoding="utf-8"), path)


def load_study(path: str | Path | None = None) -> Study:
    """Read and validate a study definition (default: :data:`DEFAULT_STUDY`).

    Raises
    ------
    StudyError
        The file is missing, is not YAML, or breaks the schema (one line per problem).
    """
    p = Path(DEFAULT_STUDY if path is None or path == "" else path)
    if not p.is_file():
        raise StudyError(
            f"study={str(p)!r}: no such file; expected a study definition YAML "
            f"such as {DEFAULT_STUDY.relative_to(config.PROJECT_ROOT)}"
        )
    p = p.resolve()
    return _load(p, p.stat().st_mtime_ns)
