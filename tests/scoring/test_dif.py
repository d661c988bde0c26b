"""DIF (scoring.dif): Mantel-Haenszel with ETS classes, IRT likelihood ratio, power and type I error."""

import numpy as np
import pytest

from scoring.dif import ets_class, likelihood_ratio_dif, mantel_haenszel, simulate_dif_study, split_groups
from scoring.simulate import simulate_parameters, simulate_responses


def _data(seed, n_items=20, n_per_group=800, shift=0.7, n_dif=3, impact=-0.5, model="2pl"):
    rng = np.random.default_rng(seed)
    params = simulate_parameters(n_items, model, rng=rng, n_categories=3)
    dif = np.arange(n_items) < n_dif
    focal = params.replace(b=params.b + shift * dif, thresholds=params.thresholds + (shift * dif)[:, None])
    x = np.concatenate(
        [
            simulate_responses(params, rng.normal(0, 1, n_per_group), rng=rng),
            simulate_responses(focal, rng.normal(impact, 1, n_per_group), rng=rng),
        ]
    )
    groups = np.array(["urban"] * n_per_group + ["remote"] * n_per_group)
    return x, groups, list(params.ids), dif


def _mh_by_hand(x, g, j):
    """Holland & Thayer (1988) formulas, stratum by stratum, without purification."""
    total = x.sum(axis=1)
    num = den = sum_a = sum_e = sum_v = 0.0
    rbg = [0.0, 0.0, 0.0]
    r_tot = s_tot = 0.0
    for k in np.unique(total):
        m = total == k
        a = np.sum(m & (g == 0) & (x[:, j] == 1))
        b = np.sum(m & (g == 0) & (x[:, j] == 0))
        c = np.sum(m & (g == 1) & (x[:, j] == 1))
        d = np.sum(m & (g == 1) & (x[:, j] == 0))
        t = a + b + c + d
        if t < 2:
            continue
        num += a * d / t
        den += b * c / t
        sum_a += a
        sum_e += (a + b) * (a + c) / t
        sum_v += (a + b) * (c + d) * (a + c) * (b + d) / (t * t * (t - 1))
        p, q, r, s = (a + d) / t, (b + c) / t, a * d / t, b * c / t
        rbg[0] += p * r
        rbg[1] += p * s + q * r
        rbg[2] += q * s
        r_tot += r
        s_tot += s
    alpha = num / den
    var = rbg[0] / (2 * r_tot**2) + rbg[1] / (2 * r_tot * s_tot) + rbg[2] / (2 * s_tot**2)
    chi = (abs(sum_a - sum_e) - 0.5) ** 2 / sum_v
    return alpha, -2.35 * np.log(alpha), 2.35 * np.sqrt(var), chi


def test_mantel_haenszel_matches_the_published_formulas():
    from scipy.stats import chi2

    x, groups, ids, _ = _data(1)
    result = mantel_haenszel(x, groups, reference="urban", item_ids=ids, purify=False)
    codes = (groups == "remote").astype(int)
    for j in (0, 5, 11):
        alpha, delta, se, chi = _mh_by_hand(x, codes, j)
        assert result.alpha[j] == pytest.approx(alpha, rel=1e-10)
        assert result.delta[j] == pytest.approx(delta, rel=1e-10)
        assert result.se[j] == pytest.approx(se, rel=1e-10)
        assert result.chi_square[j] == pytest.approx(chi, rel=1e-10)
        assert result.p_value[j] == pytest.approx(chi2.sf(chi, 1), rel=1e-8)
    assert result.n_reference.tolist() == [800] * 20 and result.focal == "remote"


def test_mantel_haenszel_flags_planted_items_in_the_right_direction():
    x, groups, ids, dif = _data(2, shift=0.8)
    result = mantel_haenszel(x, groups, reference="urban", item_ids=ids)
    assert set(result.flagged()) == {ids[j] for j in np.flatnonzero(dif)}
    assert (result.delta[dif] < -1.0).all()  # harder for the focal (remote) group: negative D
    assert result.favours()[0] == "urban" and result.favours()[10] == ""
    assert (np.abs(result.delta[~dif]) < 1.0).all()


def test_ets_classification_boundaries():
    delta = np.array([0.5, -1.2, 1.6, -1.6, 1.2, -2.0, np.nan])
    se = np.array([0.1, 0.1, 0.2, 0.5, 0.1, 0.2, np.nan])
    p = np.array([0.001, 0.001, 0.001, 0.001, 0.2, 0.001, np.nan])
    # small | moderate | large | large but not significantly above 1 | not significant | large | undefined
    assert ets_class(delta, se, p).tolist() == ["A", "B", "C", "B", "A", "C", ""]


def test_likelihood_ratio_dif_detects_planted_items_for_2pl_and_grm():
    from scipy.stats import chi2

    x, groups, ids, dif = _data(3, n_items=12, n_per_group=700, shift=0.7, n_dif=2)
    result = likelihood_ratio_dif(x, groups, reference="urban", item_ids=ids)
    assert set(result.flagged_ids()) == {ids[0], ids[1]}
    assert (result.df == 2).all()
    assert result.g2[:2].min() > chi2.ppf(0.99, 2)
    shift = result.focal_params.b - result.reference_params.b
    assert shift[0] == pytest.approx(0.7, abs=0.25)  # item 2 has a slope of 0.46: its b is far less precise
    assert shift[1] > 0
    assert result.focal_mean == pytest.approx(-0.5, abs=0.15)  # impact is estimated, not called DIF
    assert ids[0] not in result.anchors and ids[5] in result.anchors
    xg, groups_g, ids_g, _ = _data(4, n_items=8, n_per_group=600, shift=0.6, n_dif=1, model="grm")
    grm = likelihood_ratio_dif(xg, groups_g, reference="urban", model="grm", item_ids=ids_g)
    assert grm.flagged_ids() == (ids_g[0],) and (grm.df == 3).all()


def test_power_and_type_one_error_from_simulation():
    study = simulate_dif_study(2, n_items=15, n_dif=3, n_per_group=600, shift=0.7, methods=("mh", "lr"), rng=5)
    assert study["mh_p"][0] >= 0.8 and study["lr"][0] >= 0.8
    assert study["mh_p"][1] <= 0.2 and study["lr"][1] <= 0.2
    assert study["mh_ets"][1] <= study["mh_p"][1]  # ETS B/C is the stricter flag


def test_bad_dif_input():
    x, groups, ids, _ = _data(5, n_items=6, n_per_group=50)
    with pytest.raises(ValueError, match="No person is in the reference group 'rural'"):
        mantel_haenszel(x, groups, reference="rural")
    three = groups.copy()
    three[:10] = "coastal"
    with pytest.raises(ValueError, match="Name the focal group: there are 2 groups besides 'urban'"):
        mantel_haenszel(x, three, reference="urban")
    codes, focal = split_groups(three, "urban", "remote")
    assert focal == "remote" and (codes[:10] == -1).all()
    with pytest.raises(ValueError, match="one group per person"):
        mantel_haenszel(x, groups[:-1], reference="urban")
    with pytest.raises(ValueError, match="studied item 'item99' is not among"):
        likelihood_ratio_dif(x, groups, reference="urban", items=["item99"])


def test_likelihood_ratio_skips_an_item_a_group_never_scores_in_every_category():
    x, groups, ids, _ = _data(6, n_items=6, n_per_group=300, n_dif=0, model="grm")
    x[(groups == "remote") & (x[:, 0] == 2), 0] = 1  # nobody in the focal group reaches the top category
    result = likelihood_ratio_dif(x, groups, reference="urban", model="grm", item_ids=ids, purify=False)
    assert np.isnan(result.g2[0]) and np.isnan(result.p_value[0]) and not result.flagged[0]
    assert np.isfinite(result.g2[1:]).all()
