"""Splink 5 as a skilled user would set it up for county person data: the peer our linkage is measured against.

Committed before our own linkage was tuned on the generated counties (our engine had been tried only on the
1,500-person committed sample county). Same normalized fields as ours, read from the same store.
"""

from __future__ import annotations

import splink.comparison_library as cl
from splink import SettingsCreator, block_on

BLOCKING_RULES = [
    block_on("dob"),
    block_on("first_name", "surname"),
    block_on("ssn"),
    block_on("ssn_last4", "substr(dob, 1, 4)"),
    block_on("substr(surname, 1, 3)", "substr(dob, 1, 4)"),
]

SETTINGS = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="unique_id",
    blocking_rules_to_generate_predictions=BLOCKING_RULES,
    comparisons=[
        cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.ExactMatch("middle_initial"),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.LevenshteinAtThresholds("ssn", [1, 2]),
        cl.ExactMatch("ssn_last4"),
        cl.ExactMatch("sex"),
    ],
    retain_intermediate_calculation_columns=False,
)

# Training, as Splink's tutorials do it.
DETERMINISTIC_RULES = [block_on("first_name", "surname", "dob"), block_on("ssn", "dob")]
DETERMINISTIC_RECALL = 0.7
U_MAX_PAIRS = 5_000_000
EM_SESSIONS = [block_on("dob"), block_on("first_name", "surname")]
LINK_THRESHOLD = 0.95  # same as ours
REVIEW_THRESHOLD = 0.50
