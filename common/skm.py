"""The SKM questionnaire of PermenPAN-RB 14/2017 (Survei Kepuasan Masyarakat): its nine
elements, their questions and four answers, in Indonesian and English.

One place for the web form (`nodes/hub/web/survey.py`), the wire's check of the answers
(`common.wire`) and the report (`nodes/hub/reports/skm.py`). The order is the regulation's
(U1 persyaratan ... U9 sarana dan prasarana); each answer is 1 (worst) to 4 (best).
"""

from __future__ import annotations

from typing import Final

from common.bahasa import Lang

#: The elements' keys on the wire and in the log, in the regulation's order.
ELEMENTS: Final = ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9")
SCORES: Final = (1, 2, 3, 4)

#: Each element's short name (report columns), as the regulation names it.
NAMES: Final[dict[Lang, tuple[str, ...]]] = {
    "id": (
        "Persyaratan",
        "Sistem, mekanisme dan prosedur",
        "Waktu penyelesaian",
        "Biaya/tarif",
        "Produk spesifikasi jenis pelayanan",
        "Kompetensi pelaksana",
        "Perilaku pelaksana",
        "Penanganan pengaduan, saran dan masukan",
        "Sarana dan prasarana",
    ),
    "en": (
        "Requirements",
        "Systems, mechanisms and procedures",
        "Completion time",
        "Fees/tariffs",
        "Product specification of the service",
        "Competence of the staff",
        "Conduct of the staff",
        "Handling of complaints, suggestions and feedback",
        "Facilities and infrastructure",
    ),
}

#: The question a citizen reads, in plain words, and its four answers (1..4).
QUESTIONS: Final[dict[Lang, tuple[tuple[str, tuple[str, str, str, str]], ...]]] = {
    "id": (
        (
            "Bagaimana pendapat Anda tentang kesesuaian persyaratan pelayanan dengan jenis"
            " pelayanannya?",
            ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
        ),
        (
            "Bagaimana pemahaman Anda tentang kemudahan prosedur pelayanan di unit ini?",
            ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
        ),
        (
            "Bagaimana pendapat Anda tentang kecepatan waktu dalam memberikan pelayanan?",
            ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
        ),
        (
            "Bagaimana pendapat Anda tentang kewajaran biaya/tarif dalam pelayanan?",
            ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
        ),
        (
            "Bagaimana pendapat Anda tentang kesesuaian hasil pelayanan yang tercantum dalam"
            " standar pelayanan dengan hasil yang diberikan?",
            ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
        ),
        (
            "Bagaimana pendapat Anda tentang kompetensi/kemampuan petugas dalam pelayanan?",
            ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
        ),
        (
            "Bagaimana pendapat Anda tentang perilaku petugas dalam pelayanan terkait kesopanan"
            " dan keramahan?",
            (
                "Tidak sopan dan ramah",
                "Kurang sopan dan ramah",
                "Sopan dan ramah",
                "Sangat sopan dan ramah",
            ),
        ),
        (
            "Bagaimana pendapat Anda tentang penanganan pengaduan, saran dan masukan di unit ini?",
            (
                "Tidak ada",
                "Ada tetapi tidak berfungsi",
                "Berfungsi kurang maksimal",
                "Dikelola dengan baik",
            ),
        ),
        (
            "Bagaimana pendapat Anda tentang kualitas sarana dan prasarana?",
            ("Buruk", "Cukup", "Baik", "Sangat baik"),
        ),
    ),
    "en": (
        (
            "How well do the requirements of the service fit the kind of service?",
            ("Do not fit", "Fit poorly", "Fit", "Fit very well"),
        ),
        (
            "How easy are the procedures of this office to follow?",
            ("Not easy", "Not very easy", "Easy", "Very easy"),
        ),
        ("How fast were you served?", ("Not fast", "Not very fast", "Fast", "Very fast")),
        (
            "How fair are the fees of the service?",
            ("Very expensive", "Rather expensive", "Cheap", "Free"),
        ),
        (
            "Does what you received match what the published service standard promises?",
            ("Does not match", "Matches poorly", "Matches", "Matches fully"),
        ),
        (
            "How competent were the staff who served you?",
            ("Not competent", "Not very competent", "Competent", "Very competent"),
        ),
        (
            "How polite and friendly were the staff?",
            (
                "Not polite or friendly",
                "Not very polite or friendly",
                "Polite and friendly",
                "Very polite and friendly",
            ),
        ),
        (
            "How does this office handle complaints, suggestions and feedback?",
            (
                "There is no way to complain",
                "There is one, but it does not work",
                "It works, not fully",
                "It is handled well",
            ),
        ),
        (
            "How good are the facilities (waiting room, toilets, parking)?",
            ("Poor", "Fair", "Good", "Very good"),
        ),
    ),
}

#: Longest comment kept (characters): a few sentences; the payload limit is far above it.
MAX_COMMENT: Final = 1000
