"""manifest and job commands."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from truthset import jobs, manifests, quality
from truthset.background import leases
from truthset.background.runner import run_job
from truthset.cli import exports, failures, remote, send_back
from truthset.cli.context import deployment, err, out
from truthset.cli.templates import custom_job_options, load_template
from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.failures import failed_objects
from truthset.intake import publish
from truthset.labels import labels_from_list

manifest_app = typer.Typer(help="Input manifests (JSON Lines).", no_args_is_help=True)
job_app = typer.Typer(help="Labeling jobs.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(manifest_app, name="manifest")
    app.add_typer(job_app, name="job")
    exports.register(job_app)
    send_back.register(job_app)
    failures.register(job_app)


def _storage_path(value: str) -> str:
    """Local paths given on the command line may be relative; storage wants absolute ones."""
    return value if "://" in value else str(Path(value).expanduser().resolve())


def _show_job(dep: Deployment, job: jobs.JobInfo) -> None:
    table = Table(box=None, show_header=False)
    for key, value in (
        ("name", job.name),
        ("status", job.status),
        ("task type", job.task_type),
        ("team", job.team),
        ("labels", ", ".join(job.labels)),
        ("label attribute", job.label_attribute_name),
        ("workers per object", str(job.workers_per_object)),
        ("objects", str(job.object_count)),
        ("manifest", job.manifest_uri),
        ("output manifest", job.output_manifest),
        ("created", f"{job.created_at:%Y-%m-%d %H:%M:%S} UTC"),
    ):
        table.add_row(key, value)
    for counter, count in job.counters.as_ground_truth().items():
        table.add_row(counter, str(count))
    if job.failure_reason:
        table.add_row("failure", job.failure_reason)
    for failed in failed_objects(dep, job.id) if job.counters.failed else []:
        table.add_row(f"object {failed.object_id} failed", failed.reason)
    count, lines = publish.undelivered(dep, job.id)
    if count:
        table.add_row("output lines not delivered", str(count))
    for line in lines:
        table.add_row(
            f"object {line.object_id} not sent to the {line.destination}",
            f"{line.reason} (after {line.attempts} attempts)",
        )
    out.print(table)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _show_quality(report: quality.JobQuality) -> None:
    alpha = "-" if report.alpha is None else f"{report.alpha:.3f}"
    out.print(f"job {report.job}: Krippendorff's alpha {alpha}")
    table = Table(
        "worker", "answers", "agreement", "estimated", "gold", "gold accuracy", "median s", box=None
    )
    for w in report.workers:
        seconds = "-" if w.median_seconds is None else f"{w.median_seconds:.1f}"
        table.add_row(
            w.email,
            str(w.answers),
            _share(w.agreement),
            _share(w.estimated_accuracy),
            f"{w.gold_answers} ({w.gold_unscored} unscored)"
            if w.gold_unscored
            else str(w.gold_answers),
            _share(w.gold_accuracy),
            seconds,
        )
    out.print(table)
    for w in report.workers:
        if w.per_class:  # a model worker: how it agrees with the people, class by class
            shown = ", ".join(
                f"{c.label} {_share(c.agreement)} of {c.answers}" for c in w.per_class
            )
            out.print(f"model {w.email} against the people's labels: {shown}")


@manifest_app.command("create")
def manifest_create(
    ctx: typer.Context,
    source: str,
    output: Annotated[str, typer.Option("-o", "--output", help="Manifest to write.")],
    column: Annotated[
        str | None,
        typer.Option(help="The .csv column that holds the text (default: text)."),
    ] = None,
) -> None:
    """Write a manifest from a folder of images (one {"source-ref": ...} line per
    .jpg/.jpeg/.png/.dcm, and per DICOM file of another name such as IM0001, told by its
    Part 10 preamble), a .txt file (one {"source": ...} line per line of text) or a .csv file
    (one {"source": ...} line per row, from the column named by --column; the first row
    names the columns)."""
    count = manifests.create_manifest(
        deployment(ctx).storage, _storage_path(source), _storage_path(output), column
    )
    out.print(f"{count} objects written to {output}")


@manifest_app.command("validate")
def manifest_validate(ctx: typer.Context, path: str) -> None:
    """Check a manifest; print every problem with its line number; exit 1 if any. Counts the
    objects that are DICOM files (by name, or else by their first 132 bytes)."""
    report = manifests.validate(deployment(ctx).storage, _storage_path(path), media=True)
    for problem in report.problems:
        err.print(problem, soft_wrap=True)
    if report.problem_count > len(report.problems):
        err.print(f"... and {report.problem_count - len(report.problems)} more problems")
    if report.problem_count or not report.objects:
        if not report.objects and not report.problem_count:
            err.print(f"{path}: the manifest is empty")
        raise typer.Exit(1)
    dicom = f" ({report.dicom} DICOM)" if report.dicom else ""
    out.print(f"{path}: {report.objects} objects{dicom}, no problems")


def _create_job(dep: Deployment, request: jobs.JobRequest) -> jobs.JobInfo:
    """Creates the job; on a terminal, shows how far the manifest check and import have got."""
    if not out.is_terminal:
        return jobs.create_job(dep, request)
    columns = (TextColumn("{task.description}"), TextColumn("{task.completed} lines"))
    with Progress(*columns, console=out, transient=True) as bar:
        step = bar.add_task("checking manifest", total=None)
        return jobs.create_job(
            dep,
            request,
            progress=lambda phase, n: bar.update(
                step, completed=n, description=f"{phase} manifest"
            ),
        )


# The options of `job create`, one alias each, so that its signature reads as name: type = default.
ManifestOpt = Annotated[str, typer.Option("--manifest", help="Input manifest (path or s3://).")]
OutputOpt = Annotated[str, typer.Option("--output", help="Output folder (path or s3://).")]
TeamOpt = Annotated[str, typer.Option(help="Work team to send the job to.")]
TaskTypeOpt = Annotated[str, typer.Option(help="Task type.")]
LabelsOpt = Annotated[str | None, typer.Option(help="Comma-separated labels.")]
LabelConfigOpt = Annotated[str | None, typer.Option(help="Ground Truth label category file.")]
WorkersPerObjectOpt = Annotated[int | None, typer.Option(help="Workers per object (1-9).")]
TitleOpt = Annotated[str | None, typer.Option(help="Title shown to workers.")]
DescriptionOpt = Annotated[str | None, typer.Option(help="Short instructions shown to workers.")]
InstructionsOpt = Annotated[Path | None, typer.Option(help="HTML file with the full instructions.")]
LabelAttributeNameOpt = Annotated[
    str | None, typer.Option(help="Output key; defaults to the job name.")
]
TaskTimeLimitOpt = Annotated[int | None, typer.Option(help="Seconds a worker has per task.")]
TaskAvailabilityOpt = Annotated[int, typer.Option(help="Seconds an object stays available.")]
MaxConcurrentTasksOpt = Annotated[int, typer.Option(help="Objects out with workers at once.")]
AuditLabelAttributeNameOpt = Annotated[
    str | None,
    typer.Option(
        help="Verification and adjustment jobs: the label attribute name of the earlier "
        "labels to audit (the input manifest is that job's output manifest)."
    ),
]
AutoLabelOpt = Annotated[
    bool,
    typer.Option(
        "--auto-label",
        help="Automated labeling: a model labels what it can label safely (single-label "
        "image and text classification).",
    ),
]
AutoLabelTargetOpt = Annotated[
    float, typer.Option(help="Accuracy machine labels must keep (lower 95% bound).")
]
InitialModelJobOpt = Annotated[
    str | None, typer.Option(help="Warm-start the model from this earlier job's model.")
]
TemplateOpt = Annotated[
    str | None,
    typer.Option(
        "--template",
        help="Worker template: a Liquid file (files it refers to by relative name are stored "
        "with it) or the name of a stored template (truthset template create). Custom jobs "
        "need one.",
    ),
]
PreHookOpt = Annotated[
    str | None,
    typer.Option(
        help="Custom jobs: pre-annotation hook, a FILE.py, an http(s) URL or a Lambda ARN."
    ),
]
PostHookOpt = Annotated[
    str | None,
    typer.Option(
        help="Custom jobs: post-annotation hook, a FILE.py, an http(s) URL or a Lambda ARN."
    ),
]
GoldHookOpt = Annotated[
    str | None,
    typer.Option(
        help="Custom jobs: gold hook scoring answers to gold questions (0-1), a FILE.py, an "
        "http(s) URL or a Lambda ARN."
    ),
]
AllowOriginOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-origin",
        help="An origin the template may load scripts, styles and media from (repeatable).",
    ),
]
MinWorkersOpt = Annotated[
    int | None,
    typer.Option(
        help="Adaptive workers per object: offer each object to this many workers first, then "
        "one more at a time while its label is unsure, up to --workers-per-object "
        "(image and text classification, single- and multi-label, and custom jobs whose "
        "post-annotation hook returns a confidence; see docs/adaptive.md)."
    ),
]
TargetConfidenceOpt = Annotated[
    float | None,
    typer.Option(
        help="Adaptive workers per object: an object is done once its label's confidence "
        "reaches this (default 0.95 when --min-workers-per-object is given)."
    ),
]
ShowDicomTagsOpt = Annotated[
    str | None,
    typer.Option(
        help="DICOM images: comma-separated tag keywords workers may see (e.g. "
        "ViewPosition,ImageLaterality); no tag is shown otherwise."
    ),
]
StreamingOpt = Annotated[
    bool,
    typer.Option(
        "--streaming",
        help="A streaming job: open-ended, objects added while it runs (truthset job add, "
        "REST, an SNS topic); --manifest is then optional.",
    ),
]
InputTopicOpt = Annotated[
    str | None,
    typer.Option(help="Streaming: SNS topic ARN whose messages (and S3 events) become objects."),
]
OutputTopicOpt = Annotated[
    str | None, typer.Option(help="Streaming: SNS topic ARN each labeled object's line goes to.")
]
WebhookOpt = Annotated[
    str | None,
    typer.Option(help="Streaming: URL each labeled object's line is POSTed to (HMAC-signed)."),
]
GoldRatioOpt = Annotated[
    float | None,
    typer.Option(help="Share of each worker's tasks that are gold questions (default 0.1)."),
]


@job_app.command("create")
def job_create(
    ctx: typer.Context,
    name: str,
    output: OutputOpt,
    team: TeamOpt,
    manifest_path: Annotated[
        str, typer.Option("--manifest", help="Input manifest (path or s3://).")
    ] = "",
    task_type: TaskTypeOpt = "image-classification",
    labels: LabelsOpt = None,
    label_config: LabelConfigOpt = None,
    workers_per_object: WorkersPerObjectOpt = None,
    title: TitleOpt = None,
    description: DescriptionOpt = None,
    instructions: InstructionsOpt = None,
    label_attribute_name: LabelAttributeNameOpt = None,
    task_time_limit: TaskTimeLimitOpt = None,
    task_availability: TaskAvailabilityOpt = 2_592_000,
    max_concurrent_tasks: MaxConcurrentTasksOpt = 1000,
    audit_label_attribute_name: AuditLabelAttributeNameOpt = None,
    auto_label: AutoLabelOpt = False,
    auto_label_target: AutoLabelTargetOpt = 0.95,
    initial_model_job: InitialModelJobOpt = None,
    gold_ratio: GoldRatioOpt = None,
    min_workers_per_object: MinWorkersOpt = None,
    target_confidence: TargetConfidenceOpt = None,
    template: TemplateOpt = None,
    pre_hook: PreHookOpt = None,
    post_hook: PostHookOpt = None,
    gold_hook: GoldHookOpt = None,
    allow_origin: AllowOriginOpt = None,
    show_dicom_tags: ShowDicomTagsOpt = None,
    streaming: StreamingOpt = False,
    input_topic: InputTopicOpt = None,
    output_topic: OutputTopicOpt = None,
    webhook: WebhookOpt = None,
) -> None:
    """Create a labeling job from a manifest and start it (--streaming: open-ended). With
    --url the manifest, output and label config paths are the server's (or s3:// URIs)."""
    if instructions is not None and not instructions.is_file():
        raise Invalid(f"{instructions}: no such file")
    options = jobs.job_options(
        audit_label_attribute_name, auto_label, auto_label_target, initial_model_job, gold_ratio
    )
    options.update(jobs.adaptive_options(min_workers_per_object, target_confidence))
    if show_dicom_tags:
        options["show_dicom_tags"] = [t.strip() for t in show_dicom_tags.split(",") if t.strip()]
    options.update(_streaming(streaming, input_topic, output_topic, webhook))
    fields: dict[str, Any] = {
        "name": name,
        "task_type": task_type,
        "team": team,
        "labels": labels_from_list(labels) if labels else None,
        "workers_per_object": workers_per_object,
        "title": title,
        "description": description,
        "instructions": instructions.read_text() if instructions else "",
        "label_attribute_name": label_attribute_name,
        "task_time_limit": task_time_limit,
        "task_availability": task_availability,
        "max_concurrent_tasks": max_concurrent_tasks,
        "options": options,
    }
    paths: dict[str, Any] = {
        "manifest": manifest_path,
        "output": output,
        "label_config": label_config,
    }
    if (server := remote.client(ctx)) is not None:
        if template or pre_hook or post_hook or gold_hook or allow_origin:
            raise Invalid("--template, hooks and --allow-origin are not available with --url")
        return remote.job_create(server, fields | paths)
    dep = deployment(ctx)
    ui_template, assets = load_template(dep, template) if template else (None, {})
    fields["options"] = options | custom_job_options(
        dep, (pre_hook, post_hook, gold_hook), allow_origin
    )
    # Local paths may be relative; storage wants absolute ones.
    resolved: dict[str, Any] = {k: _storage_path(v) if v else None for k, v in paths.items()}
    resolved["manifest"] = resolved["manifest"] or ""  # a streaming job may start empty
    request = jobs.JobRequest(
        **fields,
        **resolved,
        ui_template=ui_template,
        template_assets=assets,
    )
    created = _create_job(dep, request)
    out.print(
        f"job {created.name} created with {created.object_count} objects; status {created.status}"
    )


def _streaming(
    streaming: bool, input_topic: str | None, output_topic: str | None, webhook: str | None
) -> dict[str, object]:
    settings = {
        key: value
        for key, value in (
            ("input_topic", input_topic),
            ("output_topic", output_topic),
            ("webhook", webhook),
        )
        if value
    }
    if settings and not streaming:
        raise Invalid("--input-topic, --output-topic and --webhook are for --streaming jobs")
    return {"streaming": settings or True} if streaming else {}


@job_app.command("list")
def job_list(ctx: typer.Context) -> None:
    """List jobs with status and progress."""
    if (server := remote.client(ctx)) is not None:
        return remote.job_list(server)
    table = Table("job", "status", "task type", "team", "labeled", "failed", "objects", box=None)
    for item in jobs.list_jobs(deployment(ctx)):
        c = item.counters
        table.add_row(
            item.name,
            item.status,
            item.task_type,
            item.team,
            str(c.total_labeled),
            str(c.failed),
            str(item.object_count),
        )
    out.print(table)


@job_app.command("describe")
def job_describe(ctx: typer.Context, name: str) -> None:
    """Show a job: settings, status and Ground Truth's label counters."""
    if (server := remote.client(ctx)) is not None:
        return remote.show_job(server.job(name))
    dep = deployment(ctx)
    _show_job(dep, jobs.describe_job(dep, name))


@job_app.command("stop")
def job_stop(ctx: typer.Context, name: str) -> None:
    """Stop a job: no new tasks; results so far are written to the output."""
    if (server := remote.client(ctx)) is not None:
        return remote.job_stop(server, name)
    dep = deployment(ctx)
    stopped = jobs.stop_job(dep, name)
    # A running server does the rest; without one, do it here.
    run_job(dep, stopped.id, leases.new_owner("cli"))
    out.print(f"job {name} is {jobs.describe_job(dep, name).status}")


@job_app.command("quality")
def job_quality(
    ctx: typer.Context,
    name: str,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Also write the report as CSV here.")
    ] = None,
) -> None:
    """Worker quality: answers, agreement, estimated and gold accuracy, time per task."""
    report = quality.job_quality(deployment(ctx), name)
    _show_quality(report)
    if csv_out is not None:
        csv_out.write_text(quality.quality_csv(report))
        out.print(f"wrote {csv_out}")


def _done(info: jobs.JobInfo) -> int:
    return info.counters.total_labeled + info.counters.failed


def _follow_bar(dep: Deployment, name: str, interval: float) -> jobs.JobInfo:
    info = jobs.describe_job(dep, name)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out) as bar:
        step = bar.add_task(name, total=info.object_count or None, status=info.status)
        while True:
            info = jobs.describe_job(dep, name)
            bar.update(
                step, total=info.object_count or None, completed=_done(info), status=info.status
            )
            if info.status in jobs.ENDED:
                return info
            time.sleep(interval)


def _follow_lines(dep: Deployment, name: str, interval: float) -> jobs.JobInfo:
    """Off a terminal (a log, a pipe, CI) a progress bar would print nothing until the end."""
    shown = None
    while True:
        info = jobs.describe_job(dep, name)
        figures = (info.status, _done(info), info.object_count)
        if figures != shown:
            out.print(
                f"{info.name}: {_done(info)} of {info.object_count} objects done, {info.status}"
            )
            shown = figures
        if info.status in jobs.ENDED:
            return info
        time.sleep(interval)


@job_app.command("wait")
def job_wait(
    ctx: typer.Context,
    name: str,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
) -> None:
    """Show how many objects are done until the job ends (the server must be running): a
    progress bar on a terminal, else a line each time the figures change."""
    if (server := remote.client(ctx)) is not None:
        return remote.job_wait(server, name, interval)
    dep = deployment(ctx)
    follow = _follow_bar if out.is_terminal else _follow_lines
    info = follow(dep, name, interval)
    _show_job(dep, info)
    if info.status == "Failed":
        raise typer.Exit(1)
