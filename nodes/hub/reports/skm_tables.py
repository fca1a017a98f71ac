"""The SKM section's tables (reports/skm.py's figures), in the shape every renderer draws:
the regulation's table of NRR per element with the IKM and its grade, the IKM per service,
counter, month, semester and year with respondents beside the sample size, the comments,
and the counter's quick score on its own."""

from __future__ import annotations

import math
from typing import Final

from common.bahasa import Lang
from common.skm import ELEMENTS, NAMES
from nodes.hub.reports.figures import Report
from nodes.hub.reports.skm import REGULATION_WEIGHT, QuickFigures, SkmFigures, SkmReport
from nodes.hub.reports.tables import Cell, Column, Kind, Table

WORDS: Final[dict[str, dict[Lang, str]]] = {
    "heading": {"id": "Hasil Survei Kepuasan Masyarakat (SKM)",
                "en": "Public Satisfaction Survey (SKM) results"},
    "basis": {"id": "Menurut PermenPAN-RB Nomor 14 Tahun 2017",
              "en": "As PermenPAN-RB 14/2017 computes it"},
    "elements": {"id": "SKM – nilai per unsur", "en": "SKM – score per element"},
    "groups": {"id": "SKM – IKM per kelompok", "en": "SKM – IKM per group"},
    "comments": {"id": "SKM – saran dan masukan", "en": "SKM – comments"},
    "quick": {"id": "Nilai cepat di loket (bukan IKM)",
              "en": "Quick score at the counter (not the IKM)"},
    "no": {"id": "No", "en": "No"},
    "element": {"id": "Unsur pelayanan", "en": "Element"},
    "sum": {"id": "Jumlah nilai", "en": "Sum of scores"},
    "nrr": {"id": "NRR", "en": "NRR"},
    "weighted": {"id": "NRR tertimbang (× 1/9)", "en": "Weighted NRR (× 1/9)"},
    "weighted_reg": {"id": "NRR × 0,111", "en": "NRR × 0.111"},
    "total_weighted": {"id": "Jumlah NRR tertimbang", "en": "Sum of weighted NRR"},
    "ikm": {"id": "IKM (× 25)", "en": "IKM (× 25)"},
    "grade": {"id": "Mutu pelayanan", "en": "Grade"},
    "group": {"id": "Kelompok", "en": "Group"},
    "name": {"id": "Nama", "en": "Name"},
    "respondents": {"id": "Responden", "en": "Respondents"},
    "population": {"id": "Populasi (dilayani)", "en": "Population (served)"},
    "sample_col": {"id": "Sampel minimum", "en": "Minimum sample"},
    "grade_col": {"id": "Mutu", "en": "Grade"},
    "performance_col": {"id": "Kinerja", "en": "Performance"},
    "ikm_col": {"id": "IKM", "en": "IKM"},
    "ikm_reg_col": {"id": "IKM 0,111", "en": "IKM 0.111"},
    "sample": {"id": "Sampel minimum (Krejcie-Morgan)", "en": "Minimum sample (Krejcie-Morgan)"},
    "office": {"id": "Kantor", "en": "Office"},
    "all": {"id": "Seluruh layanan", "en": "All services"},
    "service": {"id": "Layanan", "en": "Service"},
    "counter": {"id": "Loket", "en": "Counter"},
    "month": {"id": "Bulan", "en": "Month"},
    "semester": {"id": "Semester", "en": "Semester"},
    "year": {"id": "Tahun", "en": "Year"},
    "time": {"id": "Waktu", "en": "Time"},
    "ticket": {"id": "Nomor antrian", "en": "Ticket"},
    "comment": {"id": "Saran", "en": "Comment"},
    "mean": {"id": "Rata-rata (1-4)", "en": "Mean (1-4)"},
    "score_n": {"id": "Nilai {n}", "en": "Score {n}"},
    "none": {"id": "Belum ada responden survei pada periode ini.",
             "en": "No survey respondents in this period."},
    "method": {
        "id": "IKM = Σ (NRR × 1/9) × 25 dengan bobot tepat 1/9, dibulatkan dua desimal; mutu"
              " A 88,31–100 Sangat Baik, B 76,61–88,30 Baik, C 65,00–76,60 Kurang Baik, D"
              " 25,00–64,99 Tidak Baik. Kolom bobot 0,111 mengikuti contoh perhitungan"
              " peraturan. Sampel minimum: tabel Krejcie-Morgan (taraf kesalahan 5%) untuk"
              " jumlah warga yang dilayani pada periode itu.",
        "en": "IKM = Σ (NRR × 1/9) × 25 with the exact weight 1/9, rounded to two decimals;"
              " grade A 88.31–100 Very good, B 76.61–88.30 Good, C 65.00–76.60 Poor, D"
              " 25.00–64.99 Bad. The 0.111 column follows the regulation's worked example."
              " Minimum sample: Krejcie-Morgan's table (5% margin of error) for the citizens"
              " served in the period.",
    },
}  # fmt: skip


def word(key: str, lang: Lang, **values: object) -> str:
    entry = WORDS[key][lang]
    return entry.format(**values) if values else entry


def skm_tables(report: Report, lang: Lang = "id") -> list[Table]:
    """The SKM tables in reading order (comments only when there are any); none at all for
    a period without a single rating (an office that does not run the survey)."""
    skm = report.skm
    if not skm.total.respondents and not skm.quick.respondents:
        return []
    tables = [elements_table(skm.total, lang), groups_table(skm, lang), quick_table(skm, lang)]
    if skm.comments:
        tables.insert(2, comments_table(skm, lang))
    return tables


def _columns(lang: Lang, *specs: tuple[str, Kind]) -> tuple[Column, ...]:
    return tuple(Column(word(key, lang), kind) for key, kind in specs)


def elements_table(total: SkmFigures, lang: Lang) -> Table:
    """The regulation's layout: per element the sum, NRR and weighted NRR; then the sum of
    the weighted NRR, the IKM and the grade."""
    nrr: tuple[float | None, ...] = total.nrr or (None,) * len(ELEMENTS)
    weighted: tuple[float | None, ...] = total.nrr_weighted or (None,) * len(ELEMENTS)
    rows: list[tuple[Cell, ...]] = []
    for i, (key, name) in enumerate(zip(ELEMENTS, NAMES[lang], strict=True)):
        value = nrr[i]
        literal_i = None if value is None else value * REGULATION_WEIGHT
        summed = total.totals[i] if total.respondents else None
        rows.append((key, name, summed, value, weighted[i], literal_i))
    exact = None if total.nrr_weighted is None else math.fsum(total.nrr_weighted)
    literal = None if total.nrr is None else math.fsum(total.nrr) * REGULATION_WEIGHT
    rows.append(("", word("total_weighted", lang), None, None, exact, literal))
    rows.append(("", word("ikm", lang), None, None, total.ikm, total.ikm_regulation))
    rows.append(("", word("grade", lang), None, None, total.grade, total.grade_words(lang)))
    return Table(
        "skm_elements",
        word("elements", lang),
        _columns(lang, ("no", "text"), ("element", "text"), ("sum", "int"), ("nrr", "score"),
                 ("weighted", "weight"), ("weighted_reg", "weight")),
        tuple(rows),
    )  # fmt: skip


def _group_row(kind: str, group: SkmFigures, lang: Lang) -> tuple[Cell, ...]:
    return (word(kind, lang), _name(group, lang), group.respondents, group.population,
            group.sample_size, group.ikm, group.ikm_regulation, group.grade,
            group.grade_words(lang))  # fmt: skip


def groups_table(skm: SkmReport, lang: Lang) -> Table:
    rows = [_group_row("office", skm.total, lang)]
    for kind, groups in (("service", skm.services), ("counter", skm.counters),
                         ("month", skm.months), ("semester", skm.semesters),
                         ("year", skm.years)):  # fmt: skip
        rows += [_group_row(kind, g, lang) for g in groups]
    return Table(
        "skm_groups",
        word("groups", lang),
        _columns(lang, ("group", "text"), ("name", "text"), ("respondents", "int"),
                 ("population", "int"), ("sample_col", "int"), ("ikm_col", "score"),
                 ("ikm_reg_col", "score"), ("grade_col", "text"), ("performance_col", "text")),
        tuple(rows),
    )  # fmt: skip


def comments_table(skm: SkmReport, lang: Lang) -> Table:
    return Table(
        "skm_comments",
        word("comments", lang),
        _columns(lang, *((key, "text") for key in ("time", "ticket", "service", "counter",
                                                    "comment"))),
        tuple(
            (c.at.strftime("%d-%m-%Y %H.%M" if lang == "id" else "%Y-%m-%d %H:%M"),
             c.ticket_id.split("-", 1)[1], c.service, c.counter, c.text)
            for c in skm.comments
        ),
    )  # fmt: skip


def _quick_row(kind: str, q: QuickFigures, lang: Lang) -> tuple[Cell, ...]:
    return (word(kind, lang), _name(q, lang), q.respondents, q.mean, *q.counts)


def _name(group: SkmFigures | QuickFigures, lang: Lang) -> str:
    """ "A – Layanan KTP" for a group with a name of its own, "Seluruh layanan" for all."""
    if not group.key:
        return group.name or word("all", lang)
    return group.name if group.name == group.key else f"{group.key} – {group.name}"


def quick_table(skm: SkmReport, lang: Lang) -> Table:
    rows = [_quick_row("office", skm.quick, lang)]
    rows += [_quick_row("service", q, lang) for q in skm.quick_services]
    rows += [_quick_row("counter", q, lang) for q in skm.quick_counters]
    scores = tuple(Column(word("score_n", lang, n=n), "int") for n in (1, 2, 3, 4))
    return Table(
        "skm_quick",
        word("quick", lang),
        _columns(
            lang, ("group", "text"), ("name", "text"), ("respondents", "int"), ("mean", "score")
        )
        + scores,
        tuple(rows),
    )
