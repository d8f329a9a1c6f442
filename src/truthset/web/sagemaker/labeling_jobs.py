"""CreateLabelingJob, DescribeLabelingJob, ListLabelingJobs, StopLabelingJob and
ListLabelingJobsForWorkteam, on top of the same `truthset.jobs` the console and CLI use."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from truthset import jobs, task_uis, workforce
from truthset.background.autolabeling import final_model
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound, StorageError
from truthset.hooks import targets
from truthset.intake.options import streaming_options
from truthset.job_requests import check_warm_start
from truthset.jobs import JobInfo, JobRequest
from truthset.names import check_label_attribute_name
from truthset.review.flows import FLOW_OPTION
from truthset.storage.base import join
from truthset.tasktypes.base import TaskType
from truthset.tasktypes.registry import task_type
from truthset.taskui import (
    MAX_ASSET_BYTES,
    MAX_ASSETS,
    MAX_TEMPLATE_CHARS,
    check_template,
    relative_assets,
)
from truthset.web.sagemaker import arns
from truthset.web.sagemaker.errors import invalid
from truthset.web.sagemaker.pagination import page

MAX_TASK_TIME = 28_800  # 8 hours: Ground Truth's limit for image and text tasks
MAX_AVAILABILITY = 2_592_000  # 30 days: the private-workforce limit
DEFAULT_AVAILABILITY = 2_592_000
DEFAULT_CONCURRENT = 1000
_REQUEST_FIELDS = (
    "LabelAttributeName",
    "InputConfig",
    "OutputConfig",
    "RoleArn",
    "LabelCategoryConfigS3Uri",
    "StoppingConditions",
    "LabelingJobAlgorithmsConfig",
    "HumanTaskConfig",
    "Tags",
)
_ENDED_WITH_OUTPUT = ("Completed", "Stopped")


def epoch(moment: datetime) -> float:
    """Epoch seconds, as SageMaker sends timestamps (botocore would misread milliseconds)."""
    return moment.replace(tzinfo=UTC).timestamp()


def _s3_uri(value: str, field: str) -> str:
    if not value.startswith("s3://"):
        raise invalid(f"{field}: {value} is not an s3:// URI; use s3://bucket/key")
    return value


def _refuse_unsupported(params: dict[str, Any]) -> None:
    source = params["InputConfig"]["DataSource"]
    if "S3DataSource" not in source and "SnsDataSource" not in source:
        raise invalid(
            "InputConfig.DataSource: give S3DataSource.ManifestS3Uri, or SnsDataSource.SnsTopicArn "
            "for a streaming job"
        )
    if "SnsTopicArn" in params["OutputConfig"] and "SnsDataSource" not in source:
        raise invalid(
            "OutputConfig.SnsTopicArn: output topics are for streaming jobs (SnsDataSource)"
        )


def _source(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The starting manifest ("" for none) and the streaming option of an SnsDataSource job
    (section 9.2: StoppingConditions are ignored and automated labeling is not offered)."""
    source = params["InputConfig"]["DataSource"]
    manifest = source.get("S3DataSource", {}).get("ManifestS3Uri", "")
    if manifest:
        manifest = _s3_uri(manifest, "InputConfig.DataSource.S3DataSource.ManifestS3Uri")
    if "SnsDataSource" not in source:
        return manifest, {**_stopping(params.get("StoppingConditions", {}))}
    if not manifest and "S3DataSource" in source:
        raise invalid("InputConfig.DataSource.S3DataSource.ManifestS3Uri: give the manifest")
    stream = {"input_topic": source["SnsDataSource"]["SnsTopicArn"]}
    if output := params["OutputConfig"].get("SnsTopicArn"):
        stream["output_topic"] = output
    return manifest, {"streaming": stream}


_PRE = "HumanTaskConfig.PreHumanTaskLambdaArn"
_ACS = "HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn"
_UI = "HumanTaskConfig.UiConfig.HumanTaskUiArn"


def _task_type(dep: Deployment, human: dict[str, Any]) -> TaskType:
    """The built-in task type the PRE-/ACS- Lambdas and the Ground Truth UI ARN name; the
    custom task type when they name none (PassThrough, other functions, or no Lambdas at all,
    as Ground Truth allows since October 2024)."""
    chosen: list[tuple[str, TaskType]] = []
    pre = human.get("PreHumanTaskLambdaArn")
    acs = human.get("AnnotationConsolidationConfig", {}).get("AnnotationConsolidationLambdaArn")
    for field, arn, stage in ((_PRE, pre, "PRE"), (_ACS, acs, "ACS")):
        if arn and (kind := arns.built_in_task_type(arn, stage, field)) is not None:
            chosen.append((field, kind))
    ui = human["UiConfig"].get("HumanTaskUiArn")
    if ui and not _own_task_ui(dep, ui):
        chosen.append((_UI, arns.task_type_of_ui(ui, _UI)))
    if not chosen:
        return task_type("custom")
    first_field, kind = chosen[0]
    for field, other in chosen[1:]:
        if other.name != kind.name:
            raise invalid(
                f"{field} names the task type {other.lambda_suffix}, but {first_field} "
                f"names {kind.lambda_suffix}"
            )
    for field, arn in ((_PRE, pre), (_ACS, acs)):
        if arn and field not in (f for f, _ in chosen) and field != _UI:
            raise invalid(
                f"{field}: {arn} is a custom function, but {first_field} names the built-in task "
                f"type {kind.lambda_suffix}; a custom job uses custom (or PassThrough) Lambdas "
                "for both"
            )
    return kind


def _own_task_ui(dep: Deployment, arn: str) -> task_uis.TaskUiInfo | None:
    """The truthset template a human-task-ui ARN names (CreateHumanTaskUi), if it is one."""
    name = arns.task_ui_name(arn)
    if name is None:
        return None
    try:
        return task_uis.get_task_ui(dep, name)
    except NotFound:
        return None


def _hooks(dep: Deployment, human: dict[str, Any]) -> dict[str, Any]:
    """A custom job's Lambdas as its hooks: registered hooks, or real Lambda functions."""
    hooks: dict[str, Any] = {}
    pre = human.get("PreHumanTaskLambdaArn")
    acs = human.get("AnnotationConsolidationConfig", {}).get("AnnotationConsolidationLambdaArn")
    for key, field, arn in (("pre_hook", _PRE, pre), ("post_hook", _ACS, acs)):
        if arn:
            try:
                spec = targets.from_arn(dep, arn, field)
            except Invalid as error:
                raise invalid(error.message) from None
            if spec is not None:
                hooks[key] = spec
    return hooks


def _ui_template(dep: Deployment, ui: dict[str, Any]) -> tuple[str | None, dict[str, bytes]]:
    """The worker template named by UiTemplateS3Uri (with the files beside it that it refers
    to) or by a truthset HumanTaskUiArn, checked; None for a Ground Truth UI."""
    if ("UiTemplateS3Uri" in ui) == ("HumanTaskUiArn" in ui):
        raise invalid("HumanTaskConfig.UiConfig: give either UiTemplateS3Uri or HumanTaskUiArn")
    if "HumanTaskUiArn" in ui:
        own = _own_task_ui(dep, ui["HumanTaskUiArn"])
        if own is None:
            return None, {}
        return own.template, task_uis.task_ui_assets(dep, own.name)
    field = "HumanTaskConfig.UiConfig.UiTemplateS3Uri"
    uri = _s3_uri(ui["UiTemplateS3Uri"], field)
    try:
        template = dep.storage.read_bytes(uri).decode("utf-8")
    except StorageError as error:
        raise invalid(f"{field}: {error.message}") from None
    except UnicodeDecodeError:
        raise invalid(f"{field}: {uri} is not UTF-8 text") from None
    if len(template) > MAX_TEMPLATE_CHARS:
        raise invalid(f"{field}: {uri} is longer than {MAX_TEMPLATE_CHARS} characters")
    if problems := check_template(template):
        raise invalid(f"{field}: {uri} is not a valid Liquid template: {problems[0]}")
    return template, _assets_beside(dep, uri)


def _assets_beside(dep: Deployment, template_uri: str) -> dict[str, bytes]:
    """Files the template refers to by relative name that exist beside it in S3."""
    folder = template_uri.rsplit("/", 1)[0]
    assets = {}
    for name in relative_assets(dep.storage.read_bytes(template_uri).decode())[:MAX_ASSETS]:
        uri = join(folder, name)
        if dep.storage.exists(uri):
            assets[name] = dep.storage.read_bytes(uri)[: MAX_ASSET_BYTES + 1]
            if len(assets[name]) > MAX_ASSET_BYTES:
                raise invalid(f"{uri}: template files may be at most {MAX_ASSET_BYTES} bytes")
    return assets


def _check_limits(params: dict[str, Any], kind: TaskType) -> None:
    try:
        check_label_attribute_name(params["LabelAttributeName"], kind.needs_ref, kind.name)
    except Invalid as error:
        raise invalid(f"LabelAttributeName: {error.message}") from None
    human = params["HumanTaskConfig"]
    if human["TaskTimeLimitInSeconds"] > MAX_TASK_TIME:
        raise invalid(
            f"HumanTaskConfig.TaskTimeLimitInSeconds must be at most {MAX_TASK_TIME} (8 hours) "
            f"for {kind.lambda_suffix} jobs, got {human['TaskTimeLimitInSeconds']}"
        )
    lifetime = human.get("TaskAvailabilityLifetimeInSeconds", DEFAULT_AVAILABILITY)
    if lifetime > MAX_AVAILABILITY:
        raise invalid(
            "HumanTaskConfig.TaskAvailabilityLifetimeInSeconds must be at most "
            f"{MAX_AVAILABILITY} (30 days) for a private work team, got {lifetime}"
        )


def create_labeling_job(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    _refuse_unsupported(params)
    human = params["HumanTaskConfig"]
    kind = _task_type(dep, human)
    _check_limits(params, kind)
    custom = kind.name == "custom"
    if not custom and "LabelCategoryConfigS3Uri" not in params:
        raise invalid(
            "LabelCategoryConfigS3Uri is required: built-in task types take their labels from it"
        )
    template, assets = _ui_template(dep, human["UiConfig"])
    if custom and template is None:
        raise invalid(
            f"{_UI}: a custom job needs its own template (UiTemplateS3Uri, or a "
            "HumanTaskUiArn made by CreateHumanTaskUi)"
        )
    labels = params.get("LabelCategoryConfigS3Uri")
    manifest, source_options = _source(params)
    request = JobRequest(
        name=params["LabelingJobName"],
        manifest=manifest,
        output=_s3_uri(params["OutputConfig"]["S3OutputPath"], "OutputConfig.S3OutputPath"),
        task_type=kind.name,
        team=arns.workteam_name(human["WorkteamArn"], "HumanTaskConfig.WorkteamArn"),
        label_config=_s3_uri(labels, "LabelCategoryConfigS3Uri") if labels else None,
        workers_per_object=human["NumberOfHumanWorkersPerDataObject"],
        title=human["TaskTitle"],
        description=human["TaskDescription"],
        label_attribute_name=params["LabelAttributeName"],
        task_time_limit=human["TaskTimeLimitInSeconds"],
        task_availability=human.get("TaskAvailabilityLifetimeInSeconds", DEFAULT_AVAILABILITY),
        max_concurrent_tasks=human.get("MaxConcurrentTaskCount", DEFAULT_CONCURRENT),
        ui_template=template,
        template_assets=assets,
        options={
            **_stopping(params.get("StoppingConditions", {})),
            **_adaptive(params.get("Tags", [])),
            **source_options,
            **_auto_label(dep, params, kind),
            **(_hooks(dep, human) if custom else {}),
        },
        sagemaker_request=params,
    )
    job = jobs.create_job(dep, request, import_now=False)
    return {"LabelingJobArn": arns.job_arn(dep.settings, job.name)}


# Ground Truth's algorithm ARNs: ...:labeling-job-algorithm-specification/<algorithm>.
_ALGORITHMS = {
    "image-classification": "image-classification",
    "text-classification": "text-classification",
}


def _auto_label(dep: Deployment, params: dict[str, Any], kind: TaskType) -> dict[str, Any]:
    """LabelingJobAlgorithmsConfig as the job's automated-labeling option."""
    config = params.get("LabelingJobAlgorithmsConfig")
    if config is None:
        return {}
    field = "LabelingJobAlgorithmsConfig.LabelingJobAlgorithmSpecificationArn"
    arn = config.get("LabelingJobAlgorithmSpecificationArn", "")
    algorithm = arn.rsplit("/", 1)[-1] if ":labeling-job-algorithm-specification/" in arn else ""
    if algorithm not in (
        "image-classification",
        "text-classification",
        "object-detection",
        "semantic-segmentation",
    ):
        raise invalid(f"{field}: {arn!r} is not a Ground Truth labeling job algorithm ARN")
    if _ALGORITHMS.get(kind.name) != algorithm:
        raise invalid(
            f"{field}: automated labeling supports image-classification and text-classification "
            f"jobs with the matching algorithm; this job is {kind.lambda_suffix} and asks for {algorithm}"
        )
    options: dict[str, Any] = {}
    if initial := config.get("InitialActiveLearningModelArn"):
        field = "LabelingJobAlgorithmsConfig.InitialActiveLearningModelArn"
        options["initial_model_job"] = arns.model_job_name(initial, field)
        check_warm_start(dep, options["initial_model_job"], field)
    return {"auto_label": options}


def _stopping(conditions: dict[str, Any]) -> dict[str, int]:
    """StoppingConditions as the job options the background runner enforces."""
    options = {}
    if "MaxHumanLabeledObjectCount" in conditions:
        options["max_human_labeled"] = int(conditions["MaxHumanLabeledObjectCount"])
    if "MaxPercentageOfInputDatasetLabeled" in conditions:
        options["max_percent_labeled"] = int(conditions["MaxPercentageOfInputDatasetLabeled"])
    return options


# truthset's extension of CreateLabelingJob: adaptive workers per object, asked for by two tags
# (NumberOfHumanWorkersPerDataObject is the maximum). Tags, because SDKs such as boto3 check
# requests against the service model and drop or refuse any field SageMaker does not have.
MIN_WORKERS_TAG = "truthset:min-workers-per-object"
TARGET_TAG = "truthset:target-confidence"


def _adaptive(tags: list[dict[str, str]]) -> dict[str, Any]:
    values = {tag.get("Key"): tag.get("Value", "") for tag in tags}
    if MIN_WORKERS_TAG not in values and TARGET_TAG not in values:
        return {}
    try:
        low = int(values[MIN_WORKERS_TAG]) if MIN_WORKERS_TAG in values else None
        target = float(values[TARGET_TAG]) if TARGET_TAG in values else None
    except ValueError:
        raise invalid(
            f"Tags: {MIN_WORKERS_TAG} must be a whole number and {TARGET_TAG} a number"
        ) from None
    return jobs.adaptive_options(low, target)


def _request_of(dep: Deployment, job: JobInfo) -> dict[str, Any]:
    """The CreateLabelingJob request behind a job; made up from the job when it was created
    by the console or the CLI."""
    kind = task_type(job.task_type)
    human = {
        "WorkteamArn": arns.workteam_arn(dep.settings, job.team),
        "UiConfig": {"UiTemplateS3Uri": join(job.output_folder, "annotation-tool/template.liquid")},
        "PreHumanTaskLambdaArn": _lambda_of(dep, job, "pre_hook", "PRE", kind),
        "TaskTitle": job.title,
        "TaskDescription": job.description,
        "NumberOfHumanWorkersPerDataObject": job.workers_per_object,
        "TaskTimeLimitInSeconds": job.task_time_limit,
        "TaskAvailabilityLifetimeInSeconds": job.task_availability,
        "MaxConcurrentTaskCount": job.max_concurrent_tasks,
        "AnnotationConsolidationConfig": {
            "AnnotationConsolidationLambdaArn": _lambda_of(dep, job, "post_hook", "ACS", kind)
        },
    }
    stored = job.options.get("sagemaker")
    if isinstance(stored, dict):
        # Defaults the job runs with are reported even when the request left them out.
        return {**stored, "HumanTaskConfig": {**human, **stored["HumanTaskConfig"]}}
    return {
        "LabelAttributeName": job.label_attribute_name,
        "InputConfig": {"DataSource": _data_source(job)},
        "OutputConfig": _output_config(job),
        "RoleArn": f"arn:aws:iam::{dep.settings.sagemaker_account_id}:role/truthset",
        "LabelCategoryConfigS3Uri": join(job.output_folder, "annotation-tool/data.json"),
        "HumanTaskConfig": human,
    }


def _data_source(job: JobInfo) -> dict[str, Any]:
    stream = streaming_options(job.options) or {}
    source: dict[str, Any] = {}
    if job.manifest_uri:
        source["S3DataSource"] = {"ManifestS3Uri": job.manifest_uri}
    if stream.get("input_topic"):
        source["SnsDataSource"] = {"SnsTopicArn": stream["input_topic"]}
    return source


def _output_config(job: JobInfo) -> dict[str, Any]:
    stream = streaming_options(job.options) or {}
    config = {"S3OutputPath": job.output_uri}
    if stream.get("output_topic"):
        config["SnsTopicArn"] = stream["output_topic"]
    return config


def _lambda_of(dep: Deployment, job: JobInfo, key: str, stage: str, kind: TaskType) -> str:
    """The Lambda ARN a job's hook answers to: the built-in (PassThrough for a custom job
    without that hook), the real function, or the registered hook's name."""
    spec = job.options.get(key)
    if spec is None:
        return arns.lambda_arn(dep.settings, stage, kind)
    if spec["kind"] == "lambda":
        return str(spec["arn"])
    # A hook given by file or URL (CLI, REST) answers to a name made from the job's.
    name = spec["name"] if spec["kind"] == "registered" else f"{job.name}-{key.replace('_', '-')}"
    return targets.hook_arn(dep, name)


def _status_fields(dep: Deployment, job: JobInfo) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "LabelingJobName": job.name,
        "LabelingJobArn": arns.job_arn(dep.settings, job.name),
        "LabelingJobStatus": job.status,
        "LabelCounters": job.counters.as_ground_truth(),
        "CreationTime": epoch(job.created_at),
        "LastModifiedTime": epoch(job.updated_at),
    }
    if job.failure_reason:
        fields["FailureReason"] = job.failure_reason
    if job.status in _ENDED_WITH_OUTPUT:
        fields["LabelingJobOutput"] = {"OutputDatasetS3Uri": job.output_manifest}
        if final_model(dep, job.id) is not None:
            fields["LabelingJobOutput"]["FinalActiveLearningModelArn"] = arns.model_arn(
                dep.settings, job.name
            )
    return fields


def _labeling_job(dep: Deployment, name: str) -> JobInfo:
    """A labeling job by name; the job behind a flow definition is not one to this API."""
    job = jobs.describe_job(dep, name)
    if FLOW_OPTION in job.options:
        raise NotFound(f"no labeling job named {name!r} ({name} is a flow definition)")
    return job


def describe_labeling_job(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    job = _labeling_job(dep, params["LabelingJobName"])
    request = _request_of(dep, job)
    described = {key: request[key] for key in _REQUEST_FIELDS if key in request}
    return {**described, **_status_fields(dep, job), "JobReferenceCode": job.reference_code}


def _summary(dep: Deployment, job: JobInfo) -> dict[str, Any]:
    request = _request_of(dep, job)
    human = request["HumanTaskConfig"]
    summary = {**_status_fields(dep, job), "WorkteamArn": human["WorkteamArn"]}
    summary["InputConfig"] = request["InputConfig"]
    if pre := human.get("PreHumanTaskLambdaArn"):
        summary["PreHumanTaskLambdaArn"] = pre
    if acs := human.get("AnnotationConsolidationConfig", {}).get(
        "AnnotationConsolidationLambdaArn"
    ):
        summary["AnnotationConsolidationLambdaArn"] = acs
    return summary


def _in_window(moment: datetime, params: dict[str, Any], after: str, before: str) -> bool:
    return (after not in params or moment > params[after]) and (
        before not in params or moment < params[before]
    )


def list_labeling_jobs(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    contains = params.get("NameContains", "").lower()
    chosen = [
        job
        for job in jobs.list_jobs(dep, status=params.get("StatusEquals"))
        if contains in job.name.lower()
        and FLOW_OPTION not in job.options
        and _in_window(job.created_at, params, "CreationTimeAfter", "CreationTimeBefore")
        and _in_window(job.updated_at, params, "LastModifiedTimeAfter", "LastModifiedTimeBefore")
    ]
    sort_by = params.get("SortBy", "CreationTime")
    keys = {
        "Name": lambda j: (j.name.lower(), j.id),
        "CreationTime": lambda j: (j.created_at, j.id),
        "Status": lambda j: (j.status, j.created_at, j.id),
    }
    chosen.sort(key=keys[sort_by], reverse=params.get("SortOrder") == "Descending")
    shown, more = page(chosen, params, dep.secret_key, "ListLabelingJobs")
    return {"LabelingJobSummaryList": [_summary(dep, job) for job in shown], **more}


def stop_labeling_job(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    """Stopping a job that is already stopping is not an error, as in Ground Truth."""
    job = _labeling_job(dep, params["LabelingJobName"])
    if job.status in jobs.ENDED:
        raise invalid(f"labeling job {job.name!r} has already ended ({job.status})")
    if job.status != "Stopping":
        with suppress(Conflict):  # another request stopped it in the meantime
            jobs.stop_job(dep, job.name)
    return {}


def list_labeling_jobs_for_workteam(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    team, _members = workforce.get_team(
        dep, arns.workteam_name(params["WorkteamArn"], "WorkteamArn")
    )
    contains = params.get("JobReferenceCodeContains", "")
    chosen = [
        job
        for job in jobs.list_jobs(dep)
        if job.team.lower() == team.name.lower()
        and FLOW_OPTION not in job.options
        and contains in job.reference_code
        and _in_window(job.created_at, params, "CreationTimeAfter", "CreationTimeBefore")
    ]
    chosen.sort(key=lambda j: (j.created_at, j.id), reverse=params.get("SortOrder") == "Descending")
    shown, more = page(chosen, params, dep.secret_key, "ListLabelingJobsForWorkteam")
    summaries = [
        {
            "LabelingJobName": job.name,
            "JobReferenceCode": job.reference_code,
            "WorkRequesterAccountId": dep.settings.sagemaker_account_id,
            "CreationTime": epoch(job.created_at),
            "LabelCounters": {
                "HumanLabeled": job.counters.human_labeled,
                "PendingHuman": job.counters.unlabeled,
                "Total": job.object_count,
            },
            "NumberOfHumanWorkersPerDataObject": job.workers_per_object,
        }
        for job in shown
    ]
    return {"LabelingJobSummaryList": summaries, **more}
