"""Consolidation: turn several workers' annotations of one data object into one label.

Classification (single and multi-label) lives in this package's ``answers``, ``majority``,
``dawid_skene``, ``bayes_ds``, ``multilabel``, ``agreement`` and ``calibration`` modules; the
names below are its public surface (methods are picked by name: ``consolidate(method=...)`` or
``METHODS``). Pure computation: NumPy in, NumPy out.
"""

from truthset.consolidation.agreement import krippendorff_alpha, worker_agreement
from truthset.consolidation.answers import Answers, AnswersError, encode_answers, encode_gold
from truthset.consolidation.bayes_ds import BayesSettings
from truthset.consolidation.calibration import (
    Reliability,
    expected_calibration_error,
    reliability,
)
from truthset.consolidation.majority import majority_vote
from truthset.consolidation.methods import (
    DEFAULT_METHOD,
    METHODS,
    Method,
    UnknownMethod,
    consolidate,
    method_named,
)
from truthset.consolidation.multilabel import MultiLabelResult, consolidate_multilabel
from truthset.consolidation.result import Result

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "Answers",
    "AnswersError",
    "BayesSettings",
    "Method",
    "MultiLabelResult",
    "Reliability",
    "Result",
    "UnknownMethod",
    "consolidate",
    "consolidate_multilabel",
    "encode_answers",
    "encode_gold",
    "expected_calibration_error",
    "krippendorff_alpha",
    "majority_vote",
    "method_named",
    "reliability",
    "worker_agreement",
]
