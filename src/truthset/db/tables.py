"""The schema, defined once. Alembic migrations in db/migrations are checked against it by a test."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """A person: an admin, a worker, or both (an admin may also be a member of a work team)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # invited (no password yet) | active | disabled
    status: Mapped[str] = mapped_column(String(16))
    # Pseudonymous id written into worker-response files instead of the e-mail address.
    worker_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # "<issuer> <sub>" of the identity provider account that signs in as this user.
    oidc_subject: Mapped[str | None] = mapped_column(String(600), unique=True)
    # A model worker (a member of work teams that is a hook, not a person): the hook as a job
    # option stores one (hooks/targets.py). Null for people.
    model_hook: Mapped[str | None] = mapped_column(Text)
    # The worker's choice: e-mail when a job with work for them starts (notifications/).
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63))
    # Names are unique ignoring case, as Ground Truth's are.
    name_key: Mapped[str] = mapped_column(String(63), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Set when a team that ended jobs were sent to is deleted: the row stays for those jobs.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Ground Truth's NotificationConfiguration.NotificationTopicArn; set: members are e-mailed
    # when a job with work for them starts ("smtp" when set through the REST API).
    notification_topic: Mapped[str | None] = mapped_column(String(256))


class TeamGroup(Base):
    """An identity-provider group a team follows (OIDC): its members are the team's members."""

    __tablename__ = "team_groups"
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    group_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_team_members_user", "user_id"),)


class Invitation(Base):
    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Only a hash of the token is stored: a database leak does not leak usable links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class PasswordReset(Base):
    """A single-use link to set a new password, e-mailed or handed out by an admin."""

    __tablename__ = "password_resets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class OidcLogin(Base):
    """A sign-in through the identity provider under way: state, nonce and PKCE verifier,
    usable once, for a few minutes."""

    __tablename__ = "oidc_logins"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(1024), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class WorkforceConfig(Base):
    """The workforce as SageMaker's CreateWorkforce/UpdateWorkforce set it (one row at most;
    without it the settings describe the workforce `default`)."""

    __tablename__ = "workforce_config"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63))
    # OidcConfig as JSON without ClientSecret, which is kept encrypted under the secret key.
    oidc: Mapped[str | None] = mapped_column(Text)
    oidc_secret: Mapped[str | None] = mapped_column(Text)
    cidrs: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class AuthToken(Base):
    """An API bearer token or a browser session, stored as a hash so it can be revoked."""

    __tablename__ = "auth_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # api | session | oidc
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_auth_tokens_user", "user_id"),)


class LoginFailure(Base):
    """Failed logins, kept in the database so the limit holds across server processes."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)


class Job(Base):
    """A labeling job. Status follows Ground Truth: Initializing, InProgress, Completed, Failed,
    Stopping, Stopped."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63))
    name_key: Mapped[str] = mapped_column(String(63), unique=True)
    label_attribute_name: Mapped[str] = mapped_column(String(127))
    task_type: Mapped[str] = mapped_column(String(64))
    label_config: Mapped[str] = mapped_column(Text)  # Ground Truth label category JSON
    manifest_uri: Mapped[str] = mapped_column(String(1024))
    output_uri: Mapped[str] = mapped_column(String(1024))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    workers_per_object: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(String(255))
    instructions: Mapped[str] = mapped_column(Text, default="")
    ui_template: Mapped[str | None] = mapped_column(Text)
    task_time_limit: Mapped[int] = mapped_column(Integer)
    task_availability: Mapped[int] = mapped_column(Integer)
    max_concurrent_tasks: Mapped[int] = mapped_column(Integer)
    # Everything else a front door was given (SageMaker fields, stopping conditions), as JSON.
    options: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(String(1024))
    reference_code: Mapped[str] = mapped_column(String(64))
    object_count: Mapped[int] = mapped_column(Integer, default=0)
    # Objects out with workers now; never above max_concurrent_tasks.
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped whenever a label changes; the output is rewritten while written_version lags.
    label_version: Mapped[int] = mapped_column(Integer, default=0)
    written_version: Mapped[int] = mapped_column(Integer, default=0)
    # Which process's background runner works on this job now (several servers may run).
    runner_owner: Mapped[str | None] = mapped_column(String(64))
    runner_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Streaming jobs: when an object last arrived (the idle stop counts from here).
    last_input_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (Index("ix_jobs_status", "status"),)


class DataObject(Base):
    """One manifest line. State: queued -> open -> answered -> labeled, or failed (refused: a
    streaming job's queue message the intake refused)."""

    __tablename__ = "data_objects"
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    line: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    answers: Mapped[int] = mapped_column(Integer, default=0)
    leased: Mapped[int] = mapped_column(Integer, default=0)
    declines: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    label: Mapped[str | None] = mapped_column(Text)  # {attr: value, attr-metadata: {...}} as JSON
    # A known answer (gold question) as JSON; gold objects are scored, not labeled.
    gold: Mapped[str | None] = mapped_column(Text)
    machine_labeled: Mapped[bool] = mapped_column(Boolean, default=False)
    failure_reason: Mapped[str | None] = mapped_column(String(1024))
    # When the object failed (or was refused), for the failure listings; NULL before 0014.
    failed_at: Mapped[datetime | None] = mapped_column(DateTime)
    labeled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Automated labeling: the order objects go to humans in (lowest first), and whether the
    # object is in the human-labeled validation set.
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    validation: Mapped[bool] = mapped_column(Boolean, default=False)
    # Custom jobs: the pre-annotation hook's taskInput (JSON), what task.input is instead of
    # the manifest line; and how often a hook failed on this object (retries are bounded).
    task_input: Mapped[str | None] = mapped_column(Text)
    hook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # An admin chose the label (results explorer): consolidation leaves it alone.
    overridden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Adaptive workers per object: the answers the object is offered for now (the minimum,
    # then one more after each answer that left it unsure, up to workers_per_object); NULL in
    # a job with a fixed number of workers, which then offers it to workers_per_object.
    wanted: Mapped[int | None] = mapped_column(Integer)
    # Reads of the object's media that failed other than as missing (denied, unreachable, not
    # a file, outside the roots); at TRUTHSET_MEDIA_READ_ATTEMPTS the object fails.
    media_failures: Mapped[int] = mapped_column(Integer, default=0)
    # Streaming jobs: a hash of the object's de-duplication id (one object per id), and whether
    # its output line was queued in the outbox for the output topic and webhook (None: the job
    # publishes nothing; intake/publish.py).
    dedup_key: Mapped[str | None] = mapped_column(String(64))
    published: Mapped[bool | None] = mapped_column(Boolean)
    __table_args__ = (
        Index("ix_data_objects_job_state", "job_id", "state", "priority", "object_id"),
        Index("ix_data_objects_job_dedup", "job_id", "dedup_key", unique=True),
        Index("ix_data_objects_job_published", "job_id", "published"),
    )


class Task(Base):
    """One data object offered to one worker, holding a lease until `expires_at`."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    object_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # leased | submitted | declined | released | expired
    status: Mapped[str] = mapped_column(String(16))
    leased_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (
        # A worker never gets the same object twice, whatever happened to the first task.
        UniqueConstraint("job_id", "object_id", "user_id", name="uq_tasks_object_worker"),
        Index("ix_tasks_status_expires", "status", "expires_at"),
        # A worker's leases in a job (three equalities, so no planner prefers the sweep's index).
        Index("ix_tasks_user_status_job", "user_id", "status", "job_id"),
        # The last task a worker was given in a job (the gold-question draw): max(id) read at
        # the end of the index, whatever the worker's history.
        Index("ix_tasks_job_user", "job_id", "user_id", "id"),
    )


class Annotation(Base):
    """One worker's answer to one task: the `answerContent` Ground Truth stores."""

    __tablename__ = "annotations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), unique=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    object_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content: Mapped[str] = mapped_column(Text)
    # The task type's compact form of the answer (a class index, sorted indices), so that
    # consolidation over a whole job reads numbers instead of parsing every answer.
    code: Mapped[str | None] = mapped_column(String(1024))
    # A custom job's gold hook: the score (0-1) it gave this answer to a gold question, or why
    # it gave none (the answer then counts as unknown); both NULL until it has been asked.
    gold_score: Mapped[float | None] = mapped_column(Float)
    gold_error: Mapped[str | None] = mapped_column(String(1024))
    accepted_at: Mapped[datetime] = mapped_column(DateTime)
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_annotations_job_object", "job_id", "object_id"),)


class AccessKey(Base):
    """SigV4 access keys for the SageMaker-compatible API. The secret is not stored: it is an
    HMAC of the key id under the deployment's secret key, so a database leak reveals none."""

    __tablename__ = "access_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_key_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ObjectFeature(Base):
    """A data object's feature vector for automated labeling, computed once (float32 bytes)."""

    __tablename__ = "object_features"
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    extractor: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class AutolabelIteration(Base):
    """One decision of automated labeling (numbered in order): what it decided and why, and
    for an iteration the model it trained."""

    __tablename__ = "autolabel_iterations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    iteration: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    record: Mapped[str] = mapped_column(Text)
    model: Mapped[bytes | None] = mapped_column(LargeBinary)
    __table_args__ = (UniqueConstraint("job_id", "iteration", name="uq_autolabel_iterations_job"),)


class Hook(Base):
    """A registered pre- or post-annotation hook: the SageMaker API maps the Lambda ARN
    `arn:aws:lambda:<region>:<account>:function:<name>` to it. A Python file's source is stored,
    so every server runs the same code and an edited file changes nothing until registered again."""

    __tablename__ = "hooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # python | http
    source: Mapped[str | None] = mapped_column(Text)  # the Python file
    url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class HumanTaskUi(Base):
    """A worker template stored as a resource (SageMaker CreateHumanTaskUi)."""

    __tablename__ = "human_task_uis"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63))
    name_key: Mapped[str] = mapped_column(String(63), unique=True)
    template: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class HumanTaskUiAsset(Base):
    """A file a stored template refers to by relative name (its own script, style, image),
    uploaded with it; jobs and flows made from the template get a copy."""

    __tablename__ = "human_task_ui_assets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_ui_id: Mapped[int] = mapped_column(ForeignKey("human_task_uis.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    __table_args__ = (UniqueConstraint("task_ui_id", "name", name="uq_task_ui_assets_name"),)


class AuditEntry(Base):
    """One line of the audit trail (audit/). Written by one INSERT beside the action it records;
    `seq`, `prev_hash` and `hash` are filled once, by the sealer (audit/chain.py), in seq order."""

    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    # The signed-in person's e-mail address, or "system" / "cli" for work nobody signed in for.
    actor: Mapped[str] = mapped_column(String(320))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    job: Mapped[str | None] = mapped_column(String(63))
    object_id: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    # Position in the chain; NULL until sealed.
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_action", "action"),
        Index("ix_audit_entries_actor", "actor"),
        Index("ix_audit_entries_job", "job"),
    )


class AuditAnchor(Base):
    """Where the chain starts after retention pruned older entries: the last pruned seq and hash."""

    __tablename__ = "audit_anchor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    pruned_at: Mapped[datetime] = mapped_column(DateTime)


class RunnerHeartbeat(Base):
    """When each background runner last finished a pass (the runner-lag metric reads it)."""

    __tablename__ = "runner_heartbeats"
    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(DateTime)


class OutboxMessage(Base):
    """A notification to deliver (webhook POST or e-mail), written in the transaction of the
    change it tells of and delivered by the background runner with retries (notifications/)."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # webhook | email; sns | stream-webhook: a streaming job's output line (intake/publish.py)
    kind: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(2048))  # URL or e-mail address
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_at"),)


class Export(Base):
    """An export started from the REST API or the console: made in the background into a zip
    file under the job's output folder, then downloaded by an admin (any server can serve it).
    Status: Running, Completed, Failed."""

    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(16))
    min_confidence: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    objects: Mapped[int] = mapped_column(Integer, default=0)
    uri: Mapped[str | None] = mapped_column(String(1024))
    error: Mapped[str | None] = mapped_column(String(1024))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Touched as the export makes progress: a Running export left untouched for long was
    # abandoned by a server that stopped, and is reported Failed.
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (Index("ix_exports_job", "job_id"),)


class FlowDefinition(Base):
    """An Augmented AI flow definition (SageMaker CreateFlowDefinition). Its human loops are
    the data objects of an open-ended job of the same name (`job_id`), so they reach the work
    team through the same dispatch, portal and worker quality as labeling jobs."""

    __tablename__ = "flow_definitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    # The request as given (HumanLoopConfig, OutputConfig, RoleArn, HumanLoopActivationConfig,
    # HumanLoopRequestSource), returned by DescribeFlowDefinition.
    config: Mapped[str] = mapped_column(Text)
    output_path: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_flow_definitions_created", "created_at"),)


class HumanLoop(Base):
    """One human loop: one data object of its flow's job. Status: InProgress, Stopping (asked to
    stop; the background runner ends it), Completed, Failed, Stopped."""

    __tablename__ = "human_loops"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Loop names are unique in the account, as in A2I (DescribeHumanLoop takes only the name).
    name: Mapped[str] = mapped_column(String(63), unique=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flow_definitions.id", ondelete="CASCADE"))
    object_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # A repeated StartHumanLoop with the same name and input is the same loop (a retry).
    input_sha256: Mapped[str] = mapped_column(String(64))
    failure_reason: Mapped[str | None] = mapped_column(String(1024))
    output_uri: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (
        Index("ix_human_loops_flow_created", "flow_id", "created_at"),
        Index("ix_human_loops_flow_status", "flow_id", "status", "created_at"),
        Index("ix_human_loops_flow_object", "flow_id", "object_id"),
    )
