"""The SKM figures of PermenPAN-RB 14/2017 worked through by hand for the hand-built day
(tests/reports/handbuilt.py), read back from the JSON, the PDF and the XLSX.

Five citizens answer (A-001..A-004 at counter 1, C-002 at counter 3); the six tickets served
that day are the population. Their answers, one column per respondent:

    U1 3 3 3 3 3 = 15   NRR 3,00   U6 4 3 4 3 4 = 18   NRR 3,60
    U2 2 2 2 2 2 = 10   NRR 2,00   U7 2 3 2 3 2 = 12   NRR 2,40
    U3 4 4 4 4 4 = 20   NRR 4,00   U8 1 2 3 4 2 = 12   NRR 2,40
    U4 1 1 1 1 1 =  5   NRR 1,00   U9 3 2 3 2 2 = 12   NRR 2,40
    U5 3 2 3 2 3 = 13   NRR 2,60
    Σ NRR = 23,4;  IKM = 23,4 × 1/9 × 25 = 65,00 (C, Kurang Baik: on the boundary)
    with the regulation's 0,111: 23,4 × 0,111 × 25 = 64,935 -> 64,94
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from nodes.hub.events import Event
from nodes.hub.reports.figures import compute
from nodes.hub.reports.render import render
from nodes.hub.reports.skm import sample_size
from tests.reports.handbuilt import OFFICE, hand_day, row
from tests.reports.readers import pdf_text, xlsx_sheets

DAY = date(2026, 11, 28)
COLUMNS = {
    "U1": (3, 3, 3, 3, 3), "U2": (2, 2, 2, 2, 2), "U3": (4, 4, 4, 4, 4),
    "U4": (1, 1, 1, 1, 1), "U5": (3, 2, 3, 2, 3), "U6": (4, 3, 4, 3, 4),
    "U7": (2, 3, 2, 3, 2), "U8": (1, 2, 3, 4, 2), "U9": (3, 2, 3, 2, 2),
}  # fmt: skip
RESPONDENTS = (("A-001", "1"), ("A-002", "1"), ("A-003", "1"), ("A-004", "1"), ("C-002", "3"))
COMMENT = "Antrian cepat, tetapi ruang tunggu panas."


def answered(number: str, counter: str, answers: dict[str, int], comment: str = "") -> Event:
    return row("survey_answered", "16:00", number, None, counter, node="web-1",
               answers=answers, comment=comment)  # fmt: skip


def scored(number: str, counter: str, score: int) -> Event:
    return row("quick_scored", "15:40", number, None, counter, node="loket", score=score)


def surveyed_day() -> list[Event]:
    surveys = [
        answered(number, counter, {k: v[i] for k, v in COLUMNS.items()},
                 COMMENT if number == "A-002" else "")
        for i, (number, counter) in enumerate(RESPONDENTS)
    ]  # fmt: skip
    return [*hand_day(), *surveys, scored("A-001", "1", 4), scored("C-002", "3", 2)]


def test_the_ikm_worked_by_hand() -> None:
    skm = compute(surveyed_day(), OFFICE, DAY).skm
    total = skm.total
    assert total.respondents == 5 and total.population == 6 and total.sample_size == 6
    assert total.totals == (15, 10, 20, 5, 13, 18, 12, 12, 12)
    assert total.nrr == pytest.approx((3.0, 2.0, 4.0, 1.0, 2.6, 3.6, 2.4, 2.4, 2.4))
    assert total.nrr_weighted == pytest.approx(tuple(n / 9 for n in total.nrr or ()))
    assert total.ikm == 65.00 and total.grade == "C" and total.grade_words("id") == "Kurang Baik"
    assert total.ikm_regulation == 64.94
    services = {g.key: (g.respondents, g.population, g.ikm) for g in skm.services}
    # A: the first four columns, 94 points: 94 × 25 / 36 = 65,28; B: A-005 was finished in
    # B, unrated; C: the last column, 23 points: 23 × 25 / 9 = 63,89.
    assert services == {"A": (4, 4, 65.28), "B": (0, 1, None), "C": (1, 1, 63.89)}
    assert {g.key: (g.respondents, g.population) for g in skm.counters} == {
        "1": (4, 4), "2": (0, 1), "3": (1, 1)
    }  # fmt: skip
    assert [(g.key, g.respondents, g.population, g.ikm) for g in skm.months] == [
        ("2026-11", 5, 6, 65.0)
    ]
    assert [g.key for g in skm.semesters] == ["2026-S2"] and [g.key for g in skm.years] == ["2026"]
    assert [c.text for c in skm.comments] == [COMMENT]
    assert skm.quick.counts == (0, 1, 0, 1) and skm.quick.mean == 3.0


def test_ratings_do_not_change_the_other_figures() -> None:
    """A rating carries the counter that served the ticket; it is not the counter's
    activity, so the counter's open time must not stretch to the hour of the rating."""
    plain, rated = compute(hand_day(), OFFICE, DAY), compute(surveyed_day(), OFFICE, DAY)
    assert rated.counters == plain.counters and rated.total == plain.total
    assert rated.hours == plain.hours


def answers_summing_to(total: int, respondents: int) -> list[dict[str, int]]:
    """`respondents` questionnaires whose 9 × n scores add up to `total`."""
    scores = [1] * (9 * respondents)
    for i in range(total - len(scores)):
        scores[i % len(scores)] += 1
    return [dict(zip(COLUMNS, scores[9 * r : 9 * r + 9], strict=True)) for r in range(respondents)]


@pytest.mark.parametrize(
    ("total", "respondents", "ikm", "grade"),
    [
        (128, 4, 88.89, "A"),  # 128 × 25 / 36
        (127, 4, 88.19, "B"),
        (111, 4, 77.08, "B"),
        (110, 4, 76.39, "C"),
        (117, 5, 65.00, "C"),  # exactly on the boundary: 64,94 with the weight 0,111
        (116, 5, 64.44, "D"),
    ],
)
def test_each_grade_boundary_from_both_sides(
    total: int, respondents: int, ikm: float, grade: str
) -> None:
    numbers = [("A-001", "1"), ("A-002", "1"), ("A-003", "1"), ("A-004", "1"), ("C-002", "3")]
    surveys = [
        answered(number, counter, answers)
        for (number, counter), answers in zip(
            numbers, answers_summing_to(total, respondents), strict=False
        )
    ]
    model = json.loads(render(compute([*hand_day(), *surveys], OFFICE, DAY), "json"))
    assert (model["skm"]["respondents"], model["skm"]["ikm"], model["skm"]["grade"]) == (
        respondents, ikm, grade
    )  # fmt: skip


def test_krejcie_morgan_sample_sizes() -> None:
    """Values of the published table (population -> sample)."""
    table = {0: 0, 1: 1, 10: 10, 15: 14, 30: 28, 50: 44, 100: 80, 200: 132, 500: 217,
             1000: 278, 2000: 322, 10000: 370, 20000: 377, 50000: 381, 75000: 382,
             1000000: 384}  # fmt: skip
    assert {n: sample_size(n) for n in table} == table


def test_json_carries_every_skm_figure() -> None:
    model = json.loads(render(compute(surveyed_day(), OFFICE, DAY), "json"))
    skm = model["skm"]
    assert skm["respondents"] == 5 and skm["population"] == 6 and skm["sample_size"] == 6
    assert skm["nrr"] == pytest.approx(
        {"U1": 3.0, "U2": 2.0, "U3": 4.0, "U4": 1.0, "U5": 2.6, "U6": 3.6, "U7": 2.4,
         "U8": 2.4, "U9": 2.4}
    )  # fmt: skip
    assert skm["ikm"] == 65.0 and skm["grade"] == "C" and skm["ikm_regulation"] == 64.94
    assert [(g["key"], g["respondents"]) for g in skm["counters"]] == [("1", 4), ("2", 0), ("3", 1)]
    assert skm["comments"][0]["comment"] == COMMENT and skm["comments"][0]["service"] == "A"
    assert skm["quick"]["mean"] == 3.0 and skm["quick"]["counts"] == {"1": 0, "2": 1, "3": 0,
                                                                       "4": 1}  # fmt: skip
    # The rest of the model is there too: the day's figures the other formats print.
    assert model["total"]["issued"] == 10 and model["total"]["served"] == 6
    assert model["first_day"] == "2026-11-28"


def test_pdf_prints_the_regulations_table(tmp_path: Path) -> None:
    path = tmp_path / "laporan.pdf"
    path.write_bytes(render(compute(surveyed_day(), OFFICE, DAY), "pdf", "id"))
    words = " ".join(pdf_text(path).split())
    assert "HASIL SURVEI KEPUASAN MASYARAKAT (SKM)" in words
    assert "IKM 65,00 · Mutu pelayanan C (Kurang Baik) · Responden 5" in words
    assert "U1 Persyaratan 15 3,00 0,333 0,333" in words
    assert "U5 Produk spesifikasi jenis pelayanan 13 2,60 0,289 0,289" in words
    assert "U6 Kompetensi pelaksana 18 3,60 0,400 0,400" in words
    assert "Jumlah NRR tertimbang - - 2,600 2,597" in words
    assert "IKM (× 25) - - 65,000 64,940" in words
    assert "Kantor Seluruh layanan 5 6 6 65,00 64,94 C Kurang Baik" in words
    assert "Layanan A – Kartu Keluarga 4 4 4 65,28 65,21 C Kurang Baik" in words
    assert "Loket 3 – Loket 3 1 1 1 63,89 63,83 D Tidak Baik" in words
    assert COMMENT in words
    assert "Nilai cepat di loket (bukan IKM)" in words


def test_xlsx_keeps_the_skm_as_numbers() -> None:
    sheets = xlsx_sheets(render(compute(surveyed_day(), OFFICE, DAY), "xlsx", "id"))
    elements: list[tuple[Any, ...]] = sheets["SKM – nilai per unsur"]
    assert elements[1][:4] == ("U1", "Persyaratan", 15, 3.0)
    assert elements[5][3] == pytest.approx(2.6) and elements[5][4] == pytest.approx(2.6 / 9)
    assert elements[10][4] == pytest.approx(2.6) and elements[11][4:] == (65.0, 64.94)
    assert elements[12][4:] == ("C", "Kurang Baik")
    groups = sheets["SKM – IKM per kelompok"]
    assert groups[1] == ("Kantor", "Seluruh layanan", 5, 6, 6, 65.0, 64.94, "C", "Kurang Baik")
    assert ("Bulan", "2026-11", 5, 6, 6, 65.0, 64.94, "C", "Kurang Baik") in groups
    assert sheets["SKM – saran dan masukan"][1][-1] == COMMENT


def test_a_day_without_ratings_has_no_skm_section() -> None:
    sheets = xlsx_sheets(render(compute(hand_day(), OFFICE, DAY), "xlsx", "id"))
    assert not [name for name in sheets if name.startswith("SKM")]
