"""Automated data labeling: machine-label what a model can label safely, send the rest to people.

Pure computation (NumPy, scikit-learn, Pillow; torch only through the optional ``autolabel``
extra): features per object, a calibrated classifier, the threshold rule and the loop policy.
The job runtime owns the state and the I/O; see ``docs/autolabel.md``.
"""

from truthset.autolabel.features import (
    FeatureExtractor,
    Features,
    UnavailableExtractor,
    embeddings_available,
    extract_features,
    image_extractor,
    text_extractor,
)
from truthset.autolabel.images import (
    EfficientNetFeatures,
    FeatureError,
    PixelFeatures,
    decode_image,
)
from truthset.autolabel.iteration import rank_by_uncertainty
from truthset.autolabel.model import LabelModel, ModelError, Training, train_model
from truthset.autolabel.policy import decide
from truthset.autolabel.state import (
    AutoLabelSettings,
    Decision,
    HumanLabel,
    IterationRecord,
    LoopState,
    MachineLabel,
    Step,
)
from truthset.autolabel.texts import MiniLMFeatures, TfidfFeatures
from truthset.autolabel.threshold import (
    ThresholdChoice,
    accuracy_lower_bound,
    choose_threshold,
    smallest_sufficient_size,
)

__all__ = [
    "AutoLabelSettings",
    "Decision",
    "EfficientNetFeatures",
    "FeatureError",
    "FeatureExtractor",
    "Features",
    "HumanLabel",
    "IterationRecord",
    "LabelModel",
    "LoopState",
    "MachineLabel",
    "MiniLMFeatures",
    "ModelError",
    "PixelFeatures",
    "Step",
    "TfidfFeatures",
    "ThresholdChoice",
    "Training",
    "UnavailableExtractor",
    "accuracy_lower_bound",
    "choose_threshold",
    "decide",
    "decode_image",
    "embeddings_available",
    "extract_features",
    "image_extractor",
    "rank_by_uncertainty",
    "smallest_sufficient_size",
    "text_extractor",
    "train_model",
]
