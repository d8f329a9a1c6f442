"""What a job creation request says, and the checks that turn it into a task type and a
JobSpec (shared by the CLI, the console, the REST API and the SageMaker API)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from truthset.db.tables import Job
from truthset.deployment import Deployment
from truthset.dicom.pixels import check_keywords
from truthset.errors import Invalid
from truthset.hooks.targets import check_hook
from truthset.intake.options import check_streaming
from truthset.labels import check_labels, label_names, parse_label_config
from truthset.names import check_label_attribute_name, check_name
from truthset.tasktypes.base import JobSpec, TaskType, label_config_json
from truthset.tasktypes.registry import task_type

MAX_INSTRUCTIONS_CHARS = 100_000


@dataclass
class JobRequest:
    name: str
    manifest: str
    output: str
    task_type: str
    team: str
    labels: list[str] | None = None
    label_config: str | None = None  # URI of a Ground Truth label category file
    workers_per_object: int | None = None
    title: str | None = None
    description: str | None = None
    instructions: str = ""
    label_attribute_name: str | None = None
    task_time_limit: int | None = None
    task_availability: int = 2_592_000
    max_concurrent_tasks: int = 1000
    ui_template: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # A CreateLabelingJob request as sent (SageMaker API only), so DescribeLabelingJob returns it.
    sagemaker_request: dict[str, Any] | None = None
    # A custom template's own scripts, styles and images (relative names it refers to), stored
    # beside it in annotation-tool/assets/ and served from this deployment.
    template_assets: dict[str, bytes] = field(default_factory=dict)


def _check_range(value: int, low: int, high: int, what: str) -> int:
    if not low <= value <= high:
        raise Invalid(f"{what} must be between {low} and {high}, got {value}")
    return value


def _resolve_labels(dep: Deployment, request: JobRequest, kind: TaskType) -> dict[str, Any]:
    if request.label_config and request.labels:
        raise Invalid("give either labels or a label config file, not both")
    if request.label_config:
        config = parse_label_config(
            dep.storage.read_bytes(request.label_config), request.label_config
        )
    elif request.labels:
        config = label_config_json(check_labels(list(request.labels)))
    elif kind.min_labels == 0:
        config = label_config_json([])  # a custom job need not have labels
    else:
        raise Invalid("give the labels (--labels) or a label category file (--label-config)")
    check_labels(label_names(config), "labels", kind.min_labels)
    return config


def _worker_texts(request: JobRequest, kind: TaskType, labels: list[str]) -> tuple[str, str]:
    """The title and short description workers see (defaults from the job and task type)."""
    title = request.title or request.name
    describe: Callable[[list[str]], str] | None = getattr(kind, "default_description", None)
    default = describe(labels) if describe else "Label each item as the instructions describe."
    description = request.description or default
    if not 1 <= len(title) <= 128:
        raise Invalid("title must be 1-128 characters")
    if not 1 <= len(description) <= 255:
        raise Invalid("description must be 1-255 characters")
    if len(request.instructions) > MAX_INSTRUCTIONS_CHARS:
        raise Invalid(f"instructions must be at most {MAX_INSTRUCTIONS_CHARS} characters")
    return title, description


def build_spec(dep: Deployment, request: JobRequest) -> tuple[TaskType, JobSpec]:
    """Checks every field of a job request; raises Invalid naming the first bad one."""
    check_name(request.name, "job name")
    kind = task_type(request.task_type)
    config = _resolve_labels(dep, request, kind)
    # Ground Truth's console names a -ref label after the job too: "<job name>-ref".
    attribute = request.label_attribute_name or (
        f"{request.name}-ref" if kind.needs_ref else request.name
    )
    check_label_attribute_name(attribute, kind.needs_ref, kind.name)
    workers = _check_range(
        request.workers_per_object or kind.default_workers, 1, 9, "workers per object"
    )
    _check_range(
        request.task_time_limit or kind.default_time_limit, 30, 28_800, "task time limit (seconds)"
    )
    _check_range(request.task_availability, 60, 2_592_000, "task availability (seconds)")
    _check_range(request.max_concurrent_tasks, 1, 5000, "max concurrent tasks")
    title, description = _worker_texts(request, kind, label_names(config))
    options = custom_options(dep, kind, request)
    spec = JobSpec(
        name=request.name,
        label_attribute_name=attribute,
        labels=label_names(config),
        label_config=config,
        workers_per_object=workers,
        title=title,
        description=description,
        instructions=request.instructions,
        options=(
            {**options, "sagemaker": request.sagemaker_request}
            if request.sagemaker_request
            else options
        ),
    )
    _check_options(dep, kind, request.options)
    _check_adaptive(kind, request.options, workers)
    check_job: Callable[[JobSpec], None] | None = getattr(kind, "check_job", None)
    if check_job is not None:
        check_job(spec)  # the task type's own rules, e.g. the label an audit job audits
    return kind, spec


def job_options(
    audit: str | None,
    auto_label: bool,
    target: float,
    initial_model_job: str | None,
    gold_ratio: float | None,
) -> dict[str, Any]:
    """Job options from the CLI flags or console fields (the same keys the REST API takes)."""
    options: dict[str, Any] = {}
    if audit:
        options["audit_label_attribute_name"] = audit
    if auto_label:
        options["auto_label"] = {"target_accuracy": target}
        if initial_model_job:
            options["auto_label"]["initial_model_job"] = initial_model_job
    elif initial_model_job:
        raise Invalid("a warm-start job (initial_model_job) needs automated labeling switched on")
    if gold_ratio is not None:
        options["gold_ratio"] = gold_ratio
    return options


def _check_options(dep: Deployment, kind: TaskType, options: dict[str, Any]) -> None:
    """Every job option, however it came (CLI, console, REST, SageMaker): known keys, types
    and ranges, so a bad value is refused at creation instead of failing the job later."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise Invalid(f"unknown job option {unknown[0]!r}; the options are {', '.join(OPTIONS)}")
    audit = options.get("audit_label_attribute_name")
    if audit is not None and not isinstance(audit, str):
        raise Invalid("audit_label_attribute_name must be a label attribute name")
    ratio = options.get("gold_ratio")
    if ratio is not None and (_not_number(ratio) or not 0 <= ratio <= 1):
        raise Invalid(
            f"gold_ratio (the gold question share) must be between 0 and 1, got {ratio!r}"
        )
    for key, high in (("max_human_labeled", 2**31 - 1), ("max_percent_labeled", 100)):
        value = options.get(key)
        if value is not None and (
            _not_number(value) or not 1 <= value <= high or value != int(value)
        ):
            raise Invalid(f"{key} must be a whole number between 1 and {high}, got {value!r}")
    _check_webhook(options.get("webhook_url"))
    _check_auto_label(dep, kind, options.get("auto_label"))
    check_streaming(options.get("streaming"))
    if options.get("streaming") and auto_label_options(options) is not None:
        # Ground Truth: "automated data labeling is not supported for streaming jobs".
        raise Invalid("automated labeling is not available for streaming jobs")


def _check_webhook(url: Any) -> None:
    """The job's webhook (notifications/): job.status_changed and object.labeled POSTed there."""
    if url is None:
        return
    parts = urlsplit(url) if isinstance(url, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(url) > 2048
    ):
        raise Invalid(f"webhook_url must be an http(s) URL of at most 2048 characters, got {url!r}")


# Adaptive workers per object: classification, where the posterior of each object's label (of
# each class, multi-label) is what the stopping rule reads (truthset.consolidation.adaptive).
ADAPTIVE_TYPES = (
    "image-classification",
    "text-classification",
    "image-classification-multilabel",
    "text-classification-multilabel",
)


def adaptive_options(min_workers: int | None, target: float | None) -> dict[str, Any]:
    """The `adaptive` job option from the CLI flags or console fields (None: a fixed number)."""
    if min_workers is None and target is None:
        return {}
    return {
        "adaptive": {
            "min_workers_per_object": 2 if min_workers is None else min_workers,
            "target_confidence": 0.95 if target is None else target,
        }
    }


def _check_adaptive(kind: TaskType, options: dict[str, Any], workers: int) -> None:
    """`adaptive`: {"min_workers_per_object": 1..workers per object, "target_confidence": (0, 1)}.
    A custom job may have it when its post-annotation hook judges the answers (the hook's
    returned confidence is what reaches the target: truthset.adaptive_custom)."""
    adaptive = options.get("adaptive")
    if adaptive is None:
        return
    if kind.name == "custom" and options.get("post_hook") is None:
        raise Invalid(
            "adaptive workers per object in a custom job need a post-annotation hook that "
            "returns a confidence"
        )
    if kind.name not in ADAPTIVE_TYPES and kind.name != "custom":
        raise Invalid(
            f"adaptive workers per object are for {', '.join(ADAPTIVE_TYPES)} jobs and custom "
            f"jobs with a post-annotation hook, not {kind.name}"
        )
    if not isinstance(adaptive, dict) or set(adaptive) - {
        "min_workers_per_object",
        "target_confidence",
    }:
        raise Invalid("adaptive takes min_workers_per_object and target_confidence")
    low = adaptive.get("min_workers_per_object", 2)
    if _not_number(low) or low != int(low) or not 1 <= low <= workers:
        raise Invalid(
            f"min_workers_per_object must be a whole number between 1 and the workers per "
            f"object ({workers}), got {low!r}"
        )
    target = adaptive.get("target_confidence", 0.95)
    if _not_number(target) or not 0 < target < 1:
        raise Invalid(f"target_confidence must be between 0 and 1 (exclusive), got {target!r}")


def _not_number(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, int | float)


def check_warm_start(dep: Deployment, name: Any, field: str) -> None:
    """A warm start names an earlier job of this deployment (its model, if it made one)."""
    if not isinstance(name, str) or not name:
        raise Invalid(f"{field}: give the name of an earlier automated-labeling job")
    with dep.db.read() as conn:
        found = conn.scalar(select(Job.id).where(Job.name_key == name.lower()))
    if found is None:
        raise Invalid(f"{field}: no labeling job named {name!r} to warm-start the model from")


AUTO_LABEL_TYPES = ("image-classification", "text-classification")
OPTIONS = (
    "adaptive",
    "audit_label_attribute_name",
    "auto_label",
    "gold_ratio",
    "max_human_labeled",
    "max_percent_labeled",
    "pre_hook",
    "post_hook",
    "gold_hook",
    "allowed_origins",
    "webhook_url",
    "show_dicom_tags",
    "streaming",
)
CUSTOM_OPTIONS = ("pre_hook", "post_hook", "gold_hook")
# A CSP host source: scheme, host (optionally *.domain) and port; nothing that could end the
# directive or add another (no spaces, quotes or semicolons).
_ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?")


def check_origins(value: Any, where: str) -> list[str]:
    """Origins a task frame may load from, e.g. ["https://cdn.jsdelivr.net"]."""
    if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
        raise Invalid(f"{where} must be a list of origins such as https://cdn.example.com")
    for origin in value:
        if not _ORIGIN.fullmatch(origin.rstrip("/")):
            raise Invalid(
                f"{where}: {origin!r} is not an origin; use scheme://host[:port], "
                "e.g. https://code.jquery.com or https://*.example.com"
            )
    return [origin.rstrip("/") for origin in value]


def custom_options(dep: Deployment, kind: TaskType, request: JobRequest) -> dict[str, Any]:
    """The request's options with hooks and origins checked and in their stored form; a custom
    job must bring its worker template."""
    options = dict(request.options)
    for key in CUSTOM_OPTIONS:
        if options.get(key) is not None and kind.name != "custom":
            raise Invalid(f"{key}: hooks are for custom jobs (task type custom), not {kind.name}")
        if key in options:
            options[key] = check_hook(dep, options[key], key)
            if options[key] is None:
                del options[key]  # PassThrough
    if "allowed_origins" in options:
        options["allowed_origins"] = check_origins(options["allowed_origins"], "allowed_origins")
    if options.get("show_dicom_tags"):
        options["show_dicom_tags"] = check_keywords(options["show_dicom_tags"], "show_dicom_tags")
    if kind.name == "custom" and not request.ui_template:
        raise Invalid("a custom job needs its worker template (a Liquid file: --template)")
    if request.template_assets:
        options["template_assets"] = sorted(request.template_assets)
    return options


def auto_label_options(options: dict[str, Any]) -> dict[str, Any] | None:
    """The job's automated-labeling settings (`{}` means on, with defaults), or None when off."""
    value = options.get("auto_label")
    if value is None or value is False:
        return None
    return value if isinstance(value, dict) else {}


def _check_auto_label(dep: Deployment, kind: TaskType, options: Any) -> None:
    """Automated labeling: single-label image and text classification, as in Ground Truth."""
    if options is None or options is False:
        return
    if kind.name not in AUTO_LABEL_TYPES:
        raise Invalid(
            f"automated labeling works for {' and '.join(AUTO_LABEL_TYPES)} jobs, not {kind.name}"
        )
    if not isinstance(options, dict):
        raise Invalid('auto_label must be an object, e.g. {"target_accuracy": 0.95}')
    unknown = sorted(set(options) - {"target_accuracy", "features", "initial_model_job"})
    if unknown:
        raise Invalid(
            f"unknown auto_label setting {unknown[0]!r}; the settings are target_accuracy, "
            "features and initial_model_job"
        )
    target = options.get("target_accuracy", 0.95)
    if not isinstance(target, int | float) or not 0.5 <= float(target) < 1:
        raise Invalid(
            f"auto_label target accuracy must be at least 0.5 and below 1, got {target!r}"
        )
    if options.get("features", "auto") not in ("auto", "embedding", "fallback"):
        raise Invalid("auto_label features must be auto, embedding or fallback")
    if "initial_model_job" in options:
        check_warm_start(dep, options["initial_model_job"], "auto_label initial_model_job")
