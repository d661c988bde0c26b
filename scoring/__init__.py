"""Psychometrics for the exam platform: pure numpy/scipy, no web framework, no database.

Orientation everywhere: ``responses`` has shape (n_persons, n_items); persons are rows.
Dichotomous items are scored 1.0/0.0, polytomous items 0..K-1, NaN means "not administered".

Parameterisation (logistic metric, D = 1), quoted in every docstring that uses it::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

Modules of the IRT engine (issue 3); import from them directly, e.g.
``from scoring.calibration import MMLCalibrator``:

* :mod:`scoring.models`: item models (Rasch, 1PL, 2PL, 3PL, GRM, GPCM), ``ItemParameters``
  (the bank representation, params.json), ``LatentDistribution``, ``probabilities``.
* :mod:`scoring.quadrature`: quadrature rules over θ.
* :mod:`scoring.calibration`: MML-EM calibration (``MMLCalibrator``, ``calibrate``).
* :mod:`scoring.ability`: EAP/MAP/MLE/WLE, sum-score tables, reporting scales, subscores.
* :mod:`scoring.fit`: S-X2, lz, lz*.
* :mod:`scoring.information`: item/test information, conditional SEM, reliability.
* :mod:`scoring.classical`: p-values, point-biserials, distractors, alpha / KR-20.
* :mod:`scoring.simulate`: simulated parameters and responses.
* :mod:`scoring.cli`: ``python -m scoring calibrate|score|simulate|simulate-cat|dif``.

Adaptive testing, linking and fairness (issue 4):

* :mod:`scoring.cat`: the item ``Bank``, ``CATRules`` (registries of selection, exposure,
  content and stopping rules, among them shadow-test content constraints solved with
  ``scipy.optimize.milp``) and the stateless step ``next_item``.
* :mod:`scoring.cat_simulation`: ``simulate_cat`` and ``fit_sympson_hetter``.
* :mod:`scoring.linking`: mean-mean, mean-sigma, Haebara and Stocking-Lord linking, drift check.
* :mod:`scoring.dif`: Mantel-Haenszel DIF with ETS classes and IRT likelihood-ratio DIF.
"""
