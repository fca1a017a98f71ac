"""The SKM (Survei Kepuasan Masyarakat) figures of PermenPAN-RB 14/2017, from the event log.
Pure, no I/O.

How the regulation computes them (its Lampiran, *Pengolahan Data Survei*), and how we do:

- Per element (unsur) U1..U9: NRR = the sum of the respondents' scores ÷ the number of
  respondents. A respondent is one answered questionnaire (`survey_answered`), one per ticket.
- NRR tertimbang = NRR × the weight, the weight being 1 ÷ 9 elements.
- IKM = Σ NRR tertimbang × 25, which turns the 1..4 scale into 25..100.
- Grade (mutu pelayanan): A 88,31–100 Sangat Baik, B 76,61–88,30 Baik, C 65,00–76,60
  Kurang Baik, D 25,00–64,99 Tidak Baik.

**Rounding (our decision).** The regulation's worked example rounds the weight to 0,111,
which caps a perfect score at 99,90 and lowers every IKM by 0,1 %: 65,00 exactly becomes
64,94 and would fall from C to D, although the grade table itself is the NRR interval
2,60–3,064 × 25 (exact weights). So we compute with the exact weight 1/9, round the IKM
half-up to two decimals, and grade that figure; the regulation's literal figure
(Σ NRR × 0,111 × 25, no intermediate rounding) is shown beside it as `ikm_regulation`.

**Sample size.** The regulation's annex sizes the sample with the table of Krejcie and
Morgan (1970) at a 5 % margin of error; the table is that formula,
s = X²·N·P(1−P) ÷ (d²(N−1) + X²·P(1−P)) with X² = 3,841, P = 0,5, d = 0,05, rounded to
the nearest whole respondent as the table prints it (N = 50 → 44, 100 → 80, 1.000 → 278,
1.000.000 → 384); for a population between the table's rows the formula gives the row the
table would have. We apply it to the population of the group's
period: the tickets served (finished) in that service, at that counter, in that month,
semester or year. Fewer respondents than the sample size is shown, not hidden.

The counter's quick score (`quick_scored`, one question 1..4) is reported on its own as a
quick satisfaction score (mean and count per answer), never mixed into the IKM.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, TypeVar

from common.bahasa import Lang
from common.skm import ELEMENTS, SCORES
from nodes.hub.events import Event, QuickScored, SurveyAnswered, TicketFinished

WEIGHT: Final = 1 / len(ELEMENTS)
#: The weight as the regulation's worked example prints it.
REGULATION_WEIGHT: Final = 0.111
SCALE: Final = 25
#: (lowest IKM of the grade, grade, its words in id and en); checked top down.
GRADES: Final = (
    (Decimal("88.31"), "A", "Sangat Baik", "Very good"),
    (Decimal("76.61"), "B", "Baik", "Good"),
    (Decimal("65.00"), "C", "Kurang Baik", "Poor"),
    (Decimal("0"), "D", "Tidak Baik", "Bad"),
)
#: Krejcie and Morgan's constants: chi-square for 1 degree of freedom at 95 %, the
#: population proportion, the margin of error.
CHI_SQUARE: Final = 3.841
PROPORTION: Final = 0.5
MARGIN: Final = 0.05


def sample_size(population: int) -> int:
    """Krejcie–Morgan's sample size for `population` (0 for none)."""
    if population <= 0:
        return 0
    spread = CHI_SQUARE * PROPORTION * (1 - PROPORTION)
    size = CHI_SQUARE * population * PROPORTION * (1 - PROPORTION)
    size /= MARGIN**2 * (population - 1) + spread
    return min(population, math.floor(size + 0.5))  # the published table rounds half up


def grade_of(ikm: float | None) -> tuple[str, str, str] | None:
    """(grade, Indonesian words, English words) of an IKM rounded to two decimals."""
    if ikm is None:
        return None
    value = Decimal(repr(ikm)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    for lowest, grade, words_id, words_en in GRADES:
        if value >= lowest:
            return grade, words_id, words_en
    return GRADES[-1][1:]  # pragma: no cover - the last grade starts at 0


@dataclass(frozen=True)
class SkmFigures:
    """One group's SKM: its respondents, the sums per element and what follows from them."""

    key: str  # "" for the whole office; a service or counter id; "2026-11", "2026-S2", "2026"
    name: str
    respondents: int
    population: int  # tickets served in the group
    totals: tuple[int, ...] = (0,) * len(ELEMENTS)  # sum of the scores per element

    @property
    def sample_size(self) -> int:
        return sample_size(self.population)

    @property
    def nrr(self) -> tuple[float, ...] | None:
        if not self.respondents:
            return None
        return tuple(total / self.respondents for total in self.totals)

    @property
    def nrr_weighted(self) -> tuple[float, ...] | None:
        nrr = self.nrr
        return None if nrr is None else tuple(value * WEIGHT for value in nrr)

    @property
    def ikm(self) -> float | None:
        """The IKM, exact weights, half-up to two decimals: the figure that is graded.
        Σ (NRR × 1/9) × 25 is Σ scores × 25 ÷ (9 × respondents), computed in decimals so
        that a figure exactly on a grade boundary stays on it."""
        if not self.respondents:
            return None
        exact = Decimal(sum(self.totals)) * SCALE / (len(ELEMENTS) * self.respondents)
        return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    @property
    def ikm_regulation(self) -> float | None:
        """Σ NRR × 0,111 × 25, the regulation's worked example taken literally (no rounding
        of the NRR on the way), half-up to two decimals."""
        if not self.respondents:
            return None
        nrr_sum = Decimal(sum(self.totals)) / self.respondents
        literal = nrr_sum * Decimal(str(REGULATION_WEIGHT)) * SCALE
        return float(literal.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    @property
    def grade(self) -> str | None:
        graded = grade_of(self.ikm)
        return graded[0] if graded else None

    def grade_words(self, lang: Lang) -> str | None:
        graded = grade_of(self.ikm)
        return None if graded is None else graded[1 if lang == "id" else 2]

    def to_json(self) -> dict[str, Any]:
        def by_element(values: Sequence[float] | None) -> dict[str, float] | None:
            return None if values is None else dict(zip(ELEMENTS, values, strict=True))

        return {
            "key": self.key,
            "name": self.name,
            "respondents": self.respondents,
            "population": self.population,
            "sample_size": self.sample_size,
            "totals": dict(zip(ELEMENTS, self.totals, strict=True)),
            "nrr": by_element(self.nrr),
            "nrr_weighted": by_element(self.nrr_weighted),
            "ikm": self.ikm,
            "ikm_regulation": self.ikm_regulation,
            "grade": self.grade,
            "grade_text": self.grade_words("id"),
        }


@dataclass(frozen=True)
class QuickFigures:
    """The counter's quick satisfaction score of one group (not the IKM)."""

    key: str
    name: str
    counts: tuple[int, int, int, int] = (0, 0, 0, 0)  # how many scored 1, 2, 3, 4

    @property
    def respondents(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        total = sum(score * n for score, n in zip(SCORES, self.counts, strict=True))
        return total / self.respondents if self.respondents else None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "respondents": self.respondents,
            "mean": self.mean,
            "counts": dict(zip(map(str, SCORES), self.counts, strict=True)),
        }


@dataclass(frozen=True)
class Comment:
    at: datetime
    ticket_id: str
    service: str
    counter: str
    text: str


@dataclass(frozen=True)
class SkmReport:
    total: SkmFigures
    services: tuple[SkmFigures, ...] = ()
    counters: tuple[SkmFigures, ...] = ()
    months: tuple[SkmFigures, ...] = ()
    semesters: tuple[SkmFigures, ...] = ()
    years: tuple[SkmFigures, ...] = ()
    comments: tuple[Comment, ...] = ()
    quick: QuickFigures = field(default_factory=lambda: QuickFigures("", ""))
    quick_services: tuple[QuickFigures, ...] = ()
    quick_counters: tuple[QuickFigures, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """`skm` of `antrian report --format json`: the office's figures at the top level,
        then the groups, the comments and the quick score."""
        return {
            **self.total.to_json(),
            "method": {
                "weight": "1/9",
                "regulation_weight": REGULATION_WEIGHT,
                "graded_on": "ikm",
                "sample": "Krejcie-Morgan, 5% margin of error",
                "population": "tickets served in the group's period",
            },
            "services": [g.to_json() for g in self.services],
            "counters": [g.to_json() for g in self.counters],
            "months": [g.to_json() for g in self.months],
            "semesters": [g.to_json() for g in self.semesters],
            "years": [g.to_json() for g in self.years],
            "comments": [
                {
                    "at": c.at.isoformat(timespec="seconds"),
                    "ticket_id": c.ticket_id,
                    "service": c.service,
                    "counter": c.counter,
                    "comment": c.text,
                }
                for c in self.comments
            ],
            "quick": {
                **self.quick.to_json(),
                "services": [q.to_json() for q in self.quick_services],
                "counters": [q.to_json() for q in self.quick_counters],
            },
        }


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def semester_key(day: date) -> str:
    return f"{day.year}-S{1 if day.month <= 6 else 2}"


class SkmPass:
    """Rides along the report's one pass over the log (`watch`): keeps the ratings and the
    tickets served, hands every other event on untouched."""

    def __init__(self, first: date, last: date) -> None:
        self.first, self.last = first, last
        self.answers: list[SurveyAnswered] = []
        self.scores: list[QuickScored] = []
        self.served: list[tuple[date, str, str]] = []  # (day, service, counter) per finish

    def watch(self, events: Iterable[Event]) -> Iterator[Event]:
        """`events` without the ratings, which no other figure reads (a rating's counter
        is not the counter's activity: it must not stretch the counter's day)."""
        first, last = self.first, self.last
        for event in events:
            if isinstance(event, SurveyAnswered | QuickScored):
                if first <= event.day <= last:
                    (self.answers if isinstance(event, SurveyAnswered) else self.scores).append(
                        event  # type: ignore[arg-type]
                    )
                continue
            if isinstance(event, TicketFinished) and first <= event.day <= last:
                self.served.append((event.day, event.service, event.counter))
            yield event

    def report(
        self, services: Sequence[tuple[str, str]], counters: Sequence[tuple[str, str]]
    ) -> SkmReport:
        answers = _by_ticket(self.answers)
        scores = _by_ticket(self.scores)
        groups: dict[str, Any] = {
            "service": lambda day, service, counter: service,
            "counter": lambda day, service, counter: counter,
            "month": lambda day, service, counter: month_key(day),
            "semester": lambda day, service, counter: semester_key(day),
            "year": lambda day, service, counter: str(day.year),
        }

        def figures(kind: str, names: Sequence[tuple[str, str]]) -> tuple[SkmFigures, ...]:
            key_of = groups[kind]
            population: dict[str, int] = defaultdict(int)
            for served in self.served:
                population[key_of(*served)] += 1
            picked: dict[str, list[SurveyAnswered]] = defaultdict(list)
            for a in answers:
                picked[key_of(a.day, a.service, a.counter)].append(a)
            seen = set(population) | set(picked)
            known = dict(names)
            order = [k for k, _ in names if k in seen] + sorted(seen - set(known))
            return tuple(_figures(k, known.get(k, k), picked[k], population[k]) for k in order)

        def quick(kind: str, names: Sequence[tuple[str, str]]) -> tuple[QuickFigures, ...]:
            key_of = groups[kind]
            picked: dict[str, list[QuickScored]] = defaultdict(list)
            for s in scores:
                picked[key_of(s.day, s.service, s.counter)].append(s)
            known = dict(names)
            order = [k for k, _ in names if k in picked] + sorted(set(picked) - set(known))
            return tuple(_quick(k, known.get(k, k), picked[k]) for k in order)

        return SkmReport(
            total=_figures("", "", answers, len(self.served)),
            services=figures("service", services),
            counters=figures("counter", counters),
            months=figures("month", ()),
            semesters=figures("semester", ()),
            years=figures("year", ()),
            comments=tuple(
                Comment(a.at, a.ticket_id, a.service, a.counter, a.comment)
                for a in sorted(answers, key=lambda a: a.at)
                if a.comment
            ),
            quick=_quick("", "", scores),
            quick_services=quick("service", services),
            quick_counters=quick("counter", counters),
        )


R = TypeVar("R", SurveyAnswered, QuickScored)


def _by_ticket(ratings: list[R]) -> list[R]:
    """One rating per ticket (the hub refuses a second; a log edited by hand may not):
    the first one counts."""
    seen: set[str] = set()
    kept = []
    for rating in ratings:
        if rating.ticket_id not in seen:
            seen.add(rating.ticket_id)
            kept.append(rating)
    return kept


def _figures(key: str, name: str, answers: Sequence[SurveyAnswered], population: int) -> SkmFigures:
    totals = tuple(sum(a.answers.get(element, 0) for a in answers) for element in ELEMENTS)
    return SkmFigures(key, name, len(answers), population, totals)


def _quick(key: str, name: str, scores: Sequence[QuickScored]) -> QuickFigures:
    counts = tuple(sum(1 for s in scores if s.score == score) for score in SCORES)
    return QuickFigures(key, name, counts)  # type: ignore[arg-type]
