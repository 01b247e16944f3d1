"""EM on synthetic comparison data: m, u and the prior come back near the truth without labels."""

from __future__ import annotations

import numpy as np
import pytest

from ddj_desktop.linkage import compare
from ddj_desktop.linkage.model import Model, ModelOutdated


def _simulate(rng, n, m, comps):
    return np.stack([rng.choice(len(c.levels), size=n, p=m[c.name]) for c in comps], axis=1).astype(np.int8)


def test_em_recovers_m_and_the_prior_from_unlabelled_pairs():
    rng = np.random.default_rng(7)
    comps = (compare.FIRST, compare.LAST, compare.DOB, compare.SSN)
    true_m = {
        "first_name": [0.80, 0.08, 0.05, 0.02, 0.03, 0.02],
        "last_name": [0.85, 0.01, 0.04, 0.05, 0.03, 0.005, 0.015],
        "dob": [0.90, 0.03, 0.01, 0.02, 0.01, 0.01, 0.01, 0.01],
        "ssn": [0.88, 0.02, 0.07, 0.005, 0.025],
    }
    true_u = {
        "first_name": [0.01, 0.002, 0.01, 0.001, 0.05, 0.927],
        "last_name": [0.005, 0.0001, 0.001, 0.005, 0.04, 0.0001, 0.9488],
        "dob": [0.0001, 0.0001, 0.0001, 0.0005, 0.002, 0.01, 0.001, 0.9862],
        "ssn": [0.00001, 0.00001, 0.0001, 0.0001, 0.99978],
    }
    matches, others = _simulate(rng, 4_000, true_m, comps), _simulate(rng, 16_000, true_u, comps)
    # Candidates met on an exact DOB or exact names, like blocking does: take those agreeing on something.
    candidates = np.vstack([matches, others])
    met = (candidates[:, 2] == 0) | ((candidates[:, 0] == 0) & (candidates[:, 1] == 0)) | (candidates[:, 3] == 0)
    candidates = candidates[met | (np.arange(len(candidates)) < 4_000)]
    random_pairs = _simulate(rng, 200_000, true_u, comps)
    model = Model.estimate(candidates, random_pairs, all_pairs=10_000_000, comparisons=comps)
    for c in comps:
        assert np.allclose(model.u[c.name], true_u[c.name], atol=0.01)
        assert abs(model.m[c.name][0] - true_m[c.name][0]) < 0.08, (c.name, model.m[c.name])
    # Nearly every simulated match lands above 0.5, nearly every other pair below.
    probabilities = 1 / (1 + 2.0 ** -model.match_weights(np.vstack([matches, others])))
    assert (probabilities[:4_000] > 0.5).mean() > 0.95
    assert (probabilities[4_000:] < 0.5).mean() > 0.99


def test_reviewer_labels_re_estimate_m_and_sibling_ssn_never_counts_for_a_match():
    comps = (compare.SSN,)
    model = Model(m={"ssn": [0.5, 0.1, 0.1, 0.2, 0.1]}, u={"ssn": [0.001, 0.001, 0.01, 0.001, 0.987]}, prior=0.01,
                  comparisons=comps)
    assert model.level_weights("ssn")[3] == model.level_weights("ssn")[4]  # one digit apart: as "different"
    labelled = np.array([[0], [0], [0], [2]], dtype=np.int8)
    relearned = model.with_labels(labelled, np.array([True, True, True, True]), strength=1.0)
    assert relearned.m["ssn"][0] > model.m["ssn"][0]
    assert "reviewer-labelled" in relearned.history[-1]
    again = Model.from_json(relearned.to_json())
    assert again.m == relearned.m and again.prior == relearned.prior


def test_different_dobs_are_refused_only_where_the_data_shows_dobs_to_be_reliable():
    from ddj_desktop.linkage.engine import LinkSettings, dob_is_reliable

    reliable = Model(m={"dob": [0.9, 0.05, 0.02, 0.01, 0.01, 0.005, 0.002, 0.003]}, u={}, prior=0.01)
    noisy = Model(m={"dob": [0.8, 0.04, 0.02, 0.01, 0.01, 0.01, 0.01, 0.1]}, u={}, prior=0.01)
    settings = LinkSettings()
    assert dob_is_reliable(reliable, settings) and not dob_is_reliable(noisy, settings)
    assert dob_is_reliable(noisy, LinkSettings(dob_conflict_max_m=0.2))


def test_a_model_stored_by_a_version_with_other_levels_is_refused_with_what_to_do():
    model = Model.from_json(_stored_model())
    data = model.to_json()
    data["m"]["zip"] = data["m"]["zip"][:2]  # an earlier version: ZIP had two levels
    data["u"]["zip"] = data["u"]["zip"][:2]
    data["levels"]["zip"] = ["same", "different"]
    with pytest.raises(ModelOutdated, match="earlier version") as caught:
        Model.from_json(data)
    assert "Run Link again" in str(caught.value)


def _stored_model() -> dict:
    from ddj_desktop.linkage.compare import COMPARISONS
    return {"prior": 0.01, "m": {c.name: [1 / len(c.levels)] * len(c.levels) for c in COMPARISONS},
            "u": {c.name: [1 / len(c.levels)] * len(c.levels) for c in COMPARISONS},
            "levels": {c.name: list(c.levels) for c in COMPARISONS}}
