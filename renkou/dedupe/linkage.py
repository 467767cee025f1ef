"""The probabilistic record-linkage model of duplicate detection (splink, DuckDB backend).

A Fellegi–Sunter model as splink builds it: each pair of records is compared field
by field (name through characters *and* pypinyin spelling, resident ID number, birth
date, sex, the mother's and father's names, org unit); each comparison level carries
an m probability (among true matches) and a u probability (among non-matches), and
the pair's match weight is the sum of log2(m/u) plus the prior log-odds λ.

Training needs no labels: u by random sampling of record pairs, λ from deterministic
rules with an assumed recall, m by expectation maximisation over blocked pairs.
Prediction scores only the pairs that some blocking rule admits; the rules fit
Chinese names (same pinyin and birth year, same initials and birth date, same
surname and birth date, same birth date, sex and township, same ID number).

Rule of the register: two records with different *valid* ID numbers are different
people; such pairs are never generated (every blocking rule excludes them).

This module works on a DuckDB connection and imports nothing from Django.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

__all__ = ["FIELDS", "LEVELS", "LinkageResult", "PERSONS_TABLE", "prepare_persons", "link"]

#: The DuckDB table the caller loads the records into (columns: see :func:`prepare_persons`).
PERSONS_TABLE = "dedupe_persons"

#: Two different valid ID numbers: different people (excluded from every blocking rule).
_DIFFERENT_VALID_IDS = ("(l.id_valid AND r.id_valid AND l.id_number <> r.id_number)")

_JW = "jaro_winkler_similarity"
#: Both born 16 or more years ago (the age of the first resident ID card); ``adult`` is
#: computed by :func:`prepare_persons` against the clock's today, not DuckDB's.
_ADULTS = "adult_l AND adult_r"


@dataclass(frozen=True)
class Level:
    code: str
    agreement: str  # agree | partial | disagree | missing
    sql: str
    #: splink options of the level: a fixed prior m, term-frequency adjustment
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def _fixed_m(m: float) -> dict[str, Any]:
    return {"m_probability": m, "fix_m_probability": True}


def _fixed(m: float, u: float) -> dict[str, Any]:
    return {"m_probability": m, "fix_m_probability": True,
            "u_probability": u, "fix_u_probability": True}


def _null(col: str) -> Level:
    return Level("missing", "missing", f'"{col}_l" IS NULL OR "{col}_r" IS NULL')


def _parent_levels(column: str) -> list[Level]:
    """A parent's name speaks against a match only: twins and siblings share parents, so
    the same parent says little; a different parent speaks against (fixed m and u, not
    trained)."""
    return [
        _null(column),
        Level("same_pinyin", "agree", f"{column}_l = {column}_r", _fixed(0.78, 0.78)),
        Level("similar_pinyin", "partial", f"{_JW}({column}_l, {column}_r) >= 0.9",
              _fixed(0.2, 0.2)),
        Level("different", "disagree", "ELSE", _fixed(0.02, 0.98)),
    ]


#: Comparison levels, most specific first, per field. The codes are what the
#: explanation of a pair stores; their labels are in :mod:`renkou.dedupe.services`.
FIELDS: dict[str, list[Level]] = {
    "name": [
        # m is a prior (EM over blocks of records without an ID converges on families, whose
        # members share surnames and pinyin syllables); u comes from random sampling
        _null("name"),
        Level("exact", "agree", "name_l = name_r",
              {"tf_adjustment_column": "name", **_fixed_m(0.7)}),
        Level("same_pinyin", "agree", "pinyin_l = pinyin_r",
              {"tf_adjustment_column": "pinyin", **_fixed_m(0.2)}),
        Level("similar_pinyin", "partial", f"{_JW}(pinyin_l, pinyin_r) >= 0.92", _fixed_m(0.05)),
        Level("same_surname", "partial",
              f"substr(name_l, 1, 1) = substr(name_r, 1, 1) AND {_JW}(pinyin_l, pinyin_r) >= 0.8",
              _fixed_m(0.03)),
        Level("different", "disagree", "ELSE", _fixed_m(0.02)),
    ],
    "id_number": [
        Level("missing", "missing", "id_number_l IS NULL AND id_number_r IS NULL"),
        # the same ID number is near proof (u from sampling is ~0); m is a prior: the
        # training rules exclude pairs of valid IDs, so EM cannot learn the ID levels
        Level("exact", "agree", "id_number_l = id_number_r", _fixed_m(0.04)),
        # one record without an ID: common among children, rare among adults (a second
        # registration is typically made without one), so the two weigh differently
        Level("one_missing_adult", "missing",
              f"(id_number_l IS NULL OR id_number_r IS NULL) AND {_ADULTS}", _fixed_m(0.75)),
        Level("one_missing", "missing", "id_number_l IS NULL OR id_number_r IS NULL",
              _fixed_m(0.2)),
        Level("different", "disagree", "ELSE", _fixed_m(0.01)),
    ],
    "birth_date": [
        _null("birth_date"),
        # term frequencies: a heaped date (1 January, a default) says less than a rare one
        Level("exact", "agree", "birth_date_l = birth_date_r",
              {"tf_adjustment_column": "birth_date"}),
        Level("day_month_swapped", "partial",
              "year(birth_date_l) = year(birth_date_r) AND month(birth_date_l) = day(birth_date_r)"
              " AND day(birth_date_l) = month(birth_date_r)"),
        Level("within_31_days", "partial",
              "abs(date_diff('day', birth_date_l, birth_date_r)) <= 31"),
        Level("different", "disagree", "ELSE"),
    ],
    "sex": [
        _null("sex"),
        # a prior: one record in fifty miscoded; EM blocks rich in twins would learn less
        Level("exact", "agree", "sex_l = sex_r", _fixed_m(0.98)),
        Level("different", "disagree", "ELSE", _fixed_m(0.02)),
    ],
    "mother_name": _parent_levels("mother_pinyin"),
    "father_name": _parent_levels("father_pinyin"),
    "org": [
        _null("village"),
        Level("same_village", "agree", "village_l = village_r"),
        Level("same_township", "partial", "township_l = township_r"),
        Level("other", "disagree", "ELSE"),
    ],
}

#: Every (field, code) → agreement, for explanations.
LEVELS: dict[tuple[str, str], str] = {
    (name, lv.code): lv.agreement for name, levels in FIELDS.items() for lv in levels
}


def _blocking(condition: str) -> str:
    return f"({condition}) AND NOT {_DIFFERENT_VALID_IDS}"


#: Which pairs are scored at all (each admits a pair; a pair met by several is scored once).
PREDICTION_RULES = [
    _blocking("l.pinyin = r.pinyin AND l.birth_year = r.birth_year"),
    _blocking("l.initials = r.initials AND l.birth_date = r.birth_date"),
    _blocking("l.surname = r.surname AND l.birth_date = r.birth_date"),
    _blocking("l.birth_date = r.birth_date AND l.sex = r.sex AND l.township = r.township"),
    _blocking("l.id_number = r.id_number"),
]

#: Rules for expectation maximisation (each leaves some fields out of its estimates).
#: Excluding pairs with two valid IDs (different people) leaves blocks rich in matches.
TRAINING_RULES = [
    _blocking("l.pinyin = r.pinyin AND l.birth_date = r.birth_date"),  # learns org, parents
    _blocking("l.pinyin = r.pinyin"),  # learns birth date
]

#: Nearly certain matches, for the prior λ (probability that two random records match).
DETERMINISTIC_RULES = [
    "l.pinyin = r.pinyin AND l.birth_date = r.birth_date AND l.sex = r.sex",
    "l.id_number = r.id_number",
]
DETERMINISTIC_RECALL = 0.7


def prepare_persons(con: duckdb.DuckDBPyConnection, source: str, *, today: dt.date) -> int:
    """Create :data:`PERSONS_TABLE` from ``source`` (a table or view with the columns
    ``unique_id, name, pinyin, initials, sex, birth_date, id_number, org_path,
    mother_pinyin, father_pinyin, id_valid``, the last from
    :func:`renkou.register.identity.id_number_is_valid`); return its row count.

    Adds the surname (first character), birth year, township and village (from the
    org path) and whether the person was born 16 or more calendar years before
    ``today`` (``adult``).
    """
    con.execute(f"""
        CREATE OR REPLACE TABLE {PERSONS_TABLE} AS
        SELECT unique_id, name, NULLIF(pinyin, '') AS pinyin, initials, sex,
               CAST(birth_date AS DATE) AS birth_date, NULLIF(id_number, '') AS id_number,
               NULLIF(mother_pinyin, '') AS mother_pinyin,
               NULLIF(father_pinyin, '') AS father_pinyin,
               substr(name, 1, 1) AS surname, year(CAST(birth_date AS DATE)) AS birth_year,
               split_part(org_path, '/', 2) AS township,
               array_to_string(list_slice(string_split(org_path, '/'), 1, 3), '/') AS village,
               date_diff('year', CAST(birth_date AS DATE), DATE '{today.isoformat()}') >= 16 AS adult,
               COALESCE(id_valid, FALSE) AS id_valid
        FROM {source}
    """).fetchall()
    return con.execute(f"SELECT count(*) FROM {PERSONS_TABLE}").fetchall()[0][0]


@dataclass
class LinkageResult:
    """The scored pairs (a DuckDB table ``pairs_table``) and what it took."""

    pairs_table: str
    blocked_pairs: int
    timings: dict[str, float] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)


#: Term-frequency adjustments (a common name or a heaped birth date weighs less) only
#: from this many records: in a small area a duplicate's own two records dominate the
#: frequency of their name and birth date, and the adjustment would hide it.
TF_MIN_RECORDS = 50_000


def _settings(n: int) -> dict[str, Any]:
    comparisons = []
    for name, levels in FIELDS.items():
        spec = []
        for lv in levels:
            if lv.code == "missing":
                spec.append({"sql_condition": lv.sql, "label_for_charts": lv.code,
                             "is_null_level": True})
            else:
                options = dict(lv.options)
                if n < TF_MIN_RECORDS:
                    options.pop("tf_adjustment_column", None)
                spec.append({"sql_condition": lv.sql, "label_for_charts": lv.code, **options})
        comparisons.append({"output_column_name": name, "comparison_levels": spec})
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": PREDICTION_RULES,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "max_iterations": 20,
        "em_convergence": 0.001,
    }


def link(con: duckdb.DuckDBPyConnection, *, floor: float, seed: int = 1,
         step: Callable[[str], None] | None = None) -> LinkageResult:
    """Train the model on :data:`PERSONS_TABLE` and score the blocked pairs.

    Returns the pairs with ``match_probability >= floor`` in the DuckDB table
    ``dedupe_scored`` (``unique_id_l < unique_id_r``, ``match_probability``,
    ``match_weight`` and per field the chosen level code ``<field>`` and its
    weight ``mw_<field>``).
    """
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.WARNING)
    say = step or (lambda _msg: None)
    timings: dict[str, float] = {}
    db_api = DuckDBAPI(con)
    n = con.execute(f"SELECT count(*) FROM {PERSONS_TABLE}").fetchall()[0][0]
    table = db_api.register(PERSONS_TABLE)
    linker = Linker(table, _settings(n), log_level=None)

    started = time.perf_counter()
    say("training")
    all_pairs = n * (n - 1) / 2
    linker.training.estimate_probability_two_random_records_match(
        DETERMINISTIC_RULES, recall=DETERMINISTIC_RECALL)
    # a register with no certain match at all (a small one) still gets a usable prior:
    # about one record in two hundred duplicated
    floor_prior = 0.005 * n / all_pairs
    if linker._settings_obj._probability_two_random_records_match < floor_prior:
        linker._settings_obj._probability_two_random_records_match = floor_prior
    linker.training.estimate_u_using_random_sampling(max_pairs=min(5e6, all_pairs), seed=seed)
    sample = min(1.0, max(0.05, 250_000 / n))
    for rule in TRAINING_RULES:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, record_sample_proportion=sample)
        except Exception as exc:  # noqa: BLE001 - too few pairs to learn from: keep the priors
            logging.getLogger(__name__).warning("EM over %s skipped: %s", rule, exc)
    timings["training"] = time.perf_counter() - started

    started = time.perf_counter()
    say("blocking")
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    blocked_pairs = con.execute(f"SELECT count(*) FROM {blocked.physical_name}").fetchall()[0][0]
    timings["blocking"] = time.perf_counter() - started

    started = time.perf_counter()
    say("prediction")
    predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    con.execute(f"""
        CREATE OR REPLACE TABLE dedupe_scored AS
        SELECT least(unique_id_l, unique_id_r) AS unique_id_l,
               greatest(unique_id_l, unique_id_r) AS unique_id_r,
               match_probability, match_weight, {_weights(con, predictions.physical_name)}
        FROM {predictions.physical_name}
    """).fetchall()
    _level_codes(con)
    timings["prediction"] = time.perf_counter() - started
    model = linker.misc.save_model_to_json()
    return LinkageResult("dedupe_scored", blocked_pairs, timings, _compact(model))


def _weights(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Each field's match weight, term-frequency adjustment included (splink leaves out
    the columns of a comparison it could not weigh, e.g. when no level was trained)."""
    have = {c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()}
    parts = []
    for name in FIELDS:
        terms = [f'COALESCE("{c}", 0)' for c in (f"mw_{name}", f"mw_tf_{name}") if c in have]
        parts.append(f'CAST({" + ".join(terms) or "0"} AS DOUBLE) AS "mw_{name}"')
    return ", ".join(parts)


def _level_codes(con: duckdb.DuckDBPyConnection) -> None:
    """Name each field's comparison level of the scored pairs (the first level whose
    condition holds, as splink chose it) and keep its match weight."""
    columns = [c[0] for c in con.execute(f"DESCRIBE {PERSONS_TABLE}").fetchall()]
    sides = ", ".join(f'l."{c}" AS "{c}_l", r."{c}" AS "{c}_r"' for c in columns)
    parts = []
    for name, levels in FIELDS.items():
        whens = " ".join(f"WHEN {lv.sql} THEN '{lv.code}'" for lv in levels if lv.sql != "ELSE")
        last = levels[-1].code
        parts.append(f"""CASE {whens} ELSE '{last}' END AS "{name}",
                        round("mw_{name}", 2) AS "mw_{name}" """)
    con.execute(f"""
        CREATE OR REPLACE TABLE dedupe_scored AS
        SELECT unique_id_l, unique_id_r, match_probability, match_weight, {", ".join(parts)}
        FROM (SELECT s.*, {sides} FROM dedupe_scored s
              JOIN {PERSONS_TABLE} l ON l.unique_id = s.unique_id_l
              JOIN {PERSONS_TABLE} r ON r.unique_id = s.unique_id_r)
    """).fetchall()


def _compact(model: dict[str, Any]) -> dict[str, Any]:
    """The trained parameters worth keeping with a run: λ and each level's m and u."""
    out: dict[str, Any] = {
        "probability_two_random_records_match": model.get("probability_two_random_records_match"),
        "comparisons": {},
    }
    for comp in model.get("comparisons", []):
        out["comparisons"][comp.get("output_column_name")] = [
            {"level": lv.get("label_for_charts"), "m": lv.get("m_probability"),
             "u": lv.get("u_probability")}
            for lv in comp.get("comparison_levels", []) if not lv.get("is_null_level")
        ]
    return out
