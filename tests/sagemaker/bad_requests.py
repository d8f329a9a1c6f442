"""Bad requests and the text their ValidationException must contain, one per line of a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.sagemaker.conftest import ACS

CUSTOM = "arn:aws:lambda:us-east-1:111122223333:function:my-pre-annotation"
AL_ARN = "arn:aws:sagemaker:us-east-1:027400017018:labeling-job-algorithm-specification/image-classification"
GT_UI = "arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/"
Mutation = Callable[[dict[str, Any]], Any]


def setter(path: str, value: Any) -> Mutation:
    def mutate(request: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            request = request.setdefault(part, {})
        request[last] = value

    return mutate


def both(first: Mutation, second: Mutation) -> Mutation:
    def mutate(request: dict[str, Any]) -> None:
        first(request)
        second(request)

    return mutate


def human(field: str, value: Any) -> Mutation:
    return setter(f"HumanTaskConfig.{field}", value)


def remove(*path: str) -> Mutation:
    def mutate(request: dict[str, Any]) -> None:
        for part in path[:-1]:
            request = request[part]
        request.pop(path[-1])

    return mutate


MANIFEST = "InputConfig.DataSource.S3DataSource.ManifestS3Uri"
OIDC = [{"OidcMemberDefinition": {"Groups": ["g"]}}]
ROLE = "arn:aws:iam::111122223333:role/GtRole"
TEAM = "arn:aws:sagemaker:us-east-1:111122223333:workteam/private-crowd/"

# fmt: off
# (what is wrong, mutation of a valid CreateLabelingJob request, text the message must contain)
BAD_JOBS: list[tuple[str, Mutation, str]] = [
    ("name too long", setter("LabelingJobName", "a" * 64), "LabelingJobName must be at most 63"),
    ("name pattern", setter("LabelingJobName", "cats_dogs"), "LabelingJobName 'cats_dogs' must match"),
    ("attribute pattern", setter("LabelAttributeName", "my label"), "LabelAttributeName 'my label' must match"),
    ("attribute too long", setter("LabelAttributeName", "a" * 128), "LabelAttributeName must be at most 127"),
    ("attribute -metadata", setter("LabelAttributeName", "x-metadata"), "LabelAttributeName: label attribute name 'x-metadata' must not end in '-metadata'"),
    ("attribute reserved", setter("LabelAttributeName", "source-ref"), "LabelAttributeName: label attribute name 'source-ref' is reserved"),
    ("attribute -ref", setter("LabelAttributeName", "label-ref"), "LabelAttributeName: label attribute name 'label-ref' must not end in '-ref'"),
    ("manifest pattern", setter(MANIFEST, "/data/in.manifest"), f"{MANIFEST} '/data/in.manifest' must match"),
    ("manifest https", setter(MANIFEST, "https://bkt.s3.amazonaws.com/in.manifest"), "ManifestS3Uri: https://bkt.s3.amazonaws.com/in.manifest is not an s3:// URI"),
    ("manifest too long", setter(MANIFEST, "s3://b/" + "k" * 1024), f"{MANIFEST} must be at most 1024"),
    ("classifier enum", setter("InputConfig.DataAttributes", {"ContentClassifiers": ["FreeOfCats"]}), "InputConfig.DataAttributes.ContentClassifiers[0] must be one of FreeOfPersonallyIdentifiableInformation, FreeOfAdultContent"),
    ("streaming with automated labeling", both(setter("InputConfig.DataSource", {"SnsDataSource": {"SnsTopicArn": "arn:aws:sns:us-east-1:111122223333:in"}}), setter("LabelingJobAlgorithmsConfig", {"LabelingJobAlgorithmSpecificationArn": AL_ARN})), "automated labeling is not available for streaming jobs"),
    ("sns topic pattern", setter("OutputConfig.SnsTopicArn", "topic"), "OutputConfig.SnsTopicArn 'topic' must match"),
    ("sns output", setter("OutputConfig.SnsTopicArn", "arn:aws:sns:us-east-1:111122223333:out"), "OutputConfig.SnsTopicArn: output topics are for streaming jobs (SnsDataSource)"),
    ("output pattern", setter("OutputConfig.S3OutputPath", "output/"), "OutputConfig.S3OutputPath 'output/' must match"),
    ("kms pattern", setter("OutputConfig.KmsKeyId", "my key!"), "OutputConfig.KmsKeyId 'my key!' must match"),
    ("role pattern", setter("RoleArn", "arn:aws:iam::123:role/GtRoleXYZ"), "RoleArn 'arn:aws:iam::123:role/GtRoleXYZ' must match"),
    ("labels pattern", setter("LabelCategoryConfigS3Uri", "labels.json"), "LabelCategoryConfigS3Uri 'labels.json' must match"),
    ("labels missing", remove("LabelCategoryConfigS3Uri"), "LabelCategoryConfigS3Uri is required"),
    ("percentage", setter("StoppingConditions", {"MaxPercentageOfInputDatasetLabeled": 101}), "StoppingConditions.MaxPercentageOfInputDatasetLabeled must be at most 100, got 101"),
    ("active learning of another kind", setter("LabelingJobAlgorithmsConfig", {"LabelingJobAlgorithmSpecificationArn": AL_ARN.replace("image-classification", "object-detection")}), "automated labeling supports image-classification and text-classification"),
    ("a model from elsewhere", setter("LabelingJobAlgorithmsConfig", {"LabelingJobAlgorithmSpecificationArn": AL_ARN, "InitialActiveLearningModelArn": "arn:aws:sagemaker:us-east-1:111122223333:model/some-model"}), "is not the FinalActiveLearningModelArn of a truthset job"),
    ("vpc groups", setter("LabelingJobAlgorithmsConfig", {"LabelingJobAlgorithmSpecificationArn": AL_ARN, "LabelingJobResourceConfig": {"VpcConfig": {"SecurityGroupIds": ["sg"] * 6, "Subnets": ["s"]}}}), "LabelingJobAlgorithmsConfig.LabelingJobResourceConfig.VpcConfig.SecurityGroupIds must have at most 5 items"),
    ("team pattern", human("WorkteamArn", "arn:aws:sagemaker:us-east-1:1:workteam/x"), "HumanTaskConfig.WorkteamArn 'arn:aws:sagemaker:us-east-1:1:workteam/x' must match"),
    ("team too long", human("WorkteamArn", TEAM + "t" * 200), "HumanTaskConfig.WorkteamArn must be at most 256"),
    ("public crowd", human("WorkteamArn", "arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default"), "HumanTaskConfig.WorkteamArn: only private work teams are supported"),
    ("unknown team", human("WorkteamArn", TEAM + "nobody"), "no work team named 'nobody'"),
    ("template pattern", human("UiConfig", {"UiTemplateS3Uri": "ui.html"}), "HumanTaskConfig.UiConfig.UiTemplateS3Uri 'ui.html' must match"),
    ("template missing", human("UiConfig", {"UiTemplateS3Uri": "s3://no-such-bucket-here/ui.html"}), "HumanTaskConfig.UiConfig.UiTemplateS3Uri: cannot read s3://no-such-bucket-here/ui.html: the bucket 'no-such-bucket-here' does not exist"),
    ("ui both", human("UiConfig", {"UiTemplateS3Uri": "s3://b0b/ui.html", "HumanTaskUiArn": GT_UI + "ImageMultiClass"}), "HumanTaskConfig.UiConfig: give either UiTemplateS3Uri or HumanTaskUiArn"),
    ("ui arn pattern", human("UiConfig", {"HumanTaskUiArn": "ui"}), "HumanTaskConfig.UiConfig.HumanTaskUiArn 'ui' must match"),
    ("ui unsupported", human("UiConfig", {"HumanTaskUiArn": GT_UI + "PointCloudObjectTracking"}), "HumanTaskConfig.UiConfig.HumanTaskUiArn: the worker UI PointCloudObjectTracking is not supported"),
    ("pre pattern", human("PreHumanTaskLambdaArn", "PRE-ImageMultiClass"), "HumanTaskConfig.PreHumanTaskLambdaArn 'PRE-ImageMultiClass' must match"),
    ("custom pre with built-in acs", human("PreHumanTaskLambdaArn", CUSTOM), f"HumanTaskConfig.PreHumanTaskLambdaArn: {CUSTOM} is a custom function, but HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn names the built-in task type ImageMultiClass"),
    ("pre unsupported", human("PreHumanTaskLambdaArn", "arn:aws:lambda:us-west-2:081040173940:function:PRE-3DPointCloudObjectTracking"), "the task type 3DPointCloudObjectTracking is not supported by truthset"),
    ("acs for pre", human("PreHumanTaskLambdaArn", ACS), "is not a built-in PRE-<TaskType> Lambda"),
    ("custom acs with built-in pre", human("AnnotationConsolidationConfig", {"AnnotationConsolidationLambdaArn": CUSTOM}), f"HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn: {CUSTOM} is a custom function, but HumanTaskConfig.PreHumanTaskLambdaArn names the built-in task type ImageMultiClass"),
    ("custom job without a template", lambda r: (r["HumanTaskConfig"].pop("PreHumanTaskLambdaArn"), r["HumanTaskConfig"].pop("AnnotationConsolidationConfig"), r["HumanTaskConfig"].update(UiConfig={"HumanTaskUiArn": "arn:aws:sagemaker:us-east-1:111122223333:human-task-ui/none-such"})), "the worker UI none-such is not supported"),
    ("keywords count", human("TaskKeywords", ["a", "b", "c", "d", "e", "f"]), "HumanTaskConfig.TaskKeywords must have at most 5 items, got 6"),
    ("keyword length", human("TaskKeywords", ["k" * 31]), "HumanTaskConfig.TaskKeywords[0] must be at most 30 characters"),
    ("keyword pattern", human("TaskKeywords", ["cats", "dogs!"]), "HumanTaskConfig.TaskKeywords[1] 'dogs!' must match"),
    ("title length", human("TaskTitle", "t" * 129), "HumanTaskConfig.TaskTitle must be at most 128 characters"),
    ("description length", human("TaskDescription", "d" * 256), "HumanTaskConfig.TaskDescription must be at most 255 characters"),
    ("description pattern", human("TaskDescription", "two\nlines"), "HumanTaskConfig.TaskDescription 'two\\nlines' must match"),
    ("workers", human("NumberOfHumanWorkersPerDataObject", 10), "HumanTaskConfig.NumberOfHumanWorkersPerDataObject must be at most 9, got 10"),
    ("time limit", human("TaskTimeLimitInSeconds", 28_801), "HumanTaskConfig.TaskTimeLimitInSeconds must be at most 28800 (8 hours)"),
    ("availability", human("TaskAvailabilityLifetimeInSeconds", 2_592_001), "HumanTaskConfig.TaskAvailabilityLifetimeInSeconds must be at most 2592000 (30 days)"),
    ("concurrency", human("MaxConcurrentTaskCount", 5001), "HumanTaskConfig.MaxConcurrentTaskCount must be at most 5000, got 5001"),
    ("price", human("PublicWorkforceTaskPrice", {"AmountInUsd": {"Dollars": 3, "Cents": 100, "TenthFractionsOfACent": 10}}), "3 validation errors detected: HumanTaskConfig.PublicWorkforceTaskPrice.AmountInUsd.Dollars must be at most 2, got 3"),
    ("tags count", setter("Tags", [{"Key": f"k{i}", "Value": "v"} for i in range(51)]), "Tags must have at most 50 items, got 51"),
    ("tag key", setter("Tags", [{"Key": "k" * 129, "Value": "v"}]), "Tags[0].Key must be at most 128 characters"),
    ("tag value", setter("Tags", [{"Key": "k", "Value": "v" * 257}]), "Tags[0].Value must be at most 256 characters"),
    ("tag pattern", setter("Tags", [{"Key": "semi;colon", "Value": "v"}]), "Tags[0].Key 'semi;colon' must match"),
]

# (operation, parameters, text the message must contain) for the other operations
BAD_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("create_workteam", {"WorkteamName": "a_b", "Description": "d", "MemberDefinitions": OIDC}, "WorkteamName 'a_b' must match"),
    ("create_workteam", {"WorkteamName": "ok", "Description": "d" * 201, "MemberDefinitions": OIDC}, "Description must be at most 200 characters"),
    ("create_workteam", {"WorkteamName": "ok", "Description": "d", "MemberDefinitions": OIDC * 11}, "MemberDefinitions must have at most 10 items"),
    ("create_workteam", {"WorkteamName": "ok", "Description": "d", "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["g" * 64]}}]}, "MemberDefinitions[0].OidcMemberDefinition.Groups[0] must be at most 63"),
    ("create_workteam", {"WorkteamName": "ok", "Description": "d", "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["g"] * 11}}]}, "MemberDefinitions[0].OidcMemberDefinition.Groups must have at most 10 items"),
    ("create_workteam", {"WorkteamName": "ok", "Description": "d", "MemberDefinitions": [{"CognitoMemberDefinition": {"UserPool": "pool", "UserGroup": "g", "ClientId": "c"}}]}, "MemberDefinitions[0].CognitoMemberDefinition.UserPool 'pool' must match"),
    ("create_workteam", {"WorkteamName": "ok", "Description": "d", "MemberDefinitions": OIDC, "WorkerAccessConfiguration": {"S3Presign": {"IamPolicyConstraints": {"SourceIp": "On"}}}}, "WorkerAccessConfiguration.S3Presign.IamPolicyConstraints.SourceIp must be one of Enabled, Disabled"),
    ("update_workteam", {"WorkteamName": "ok", "Description": "d" * 201}, "Description must be at most 200"),
    ("list_workteams", {"SortBy": "Size"}, "SortBy must be one of Name, CreateDate"),
    ("list_workteams", {"NameContains": "a_b"}, "NameContains 'a_b' must match"),
    ("list_labeling_jobs", {"SortBy": "Size"}, "SortBy must be one of Name, CreationTime, Status"),
    ("list_labeling_jobs", {"StatusEquals": "Done"}, "StatusEquals must be one of Initializing"),
    ("list_labeling_jobs", {"NameContains": "a b"}, "NameContains 'a b' must match"),
    ("list_labeling_jobs", {"SortOrder": "Up"}, "SortOrder must be one of Ascending, Descending"),
    ("list_labeling_jobs_for_workteam", {"WorkteamArn": "team"}, "WorkteamArn 'team' must match"),
    ("list_labeling_jobs_for_workteam", {"WorkteamArn": TEAM + "t", "SortBy": "Name"}, "SortBy must be one of CreationTime"),
    ("list_workforces", {"MaxResults": 500}, "MaxResults must be at most 100, got 500"),
    ("describe_labeling_job", {"LabelingJobName": "x" * 64}, "LabelingJobName must be at most 63"),
    ("describe_workforce", {"WorkforceName": "-x"}, "WorkforceName '-x' must match"),
    ("render_ui_template", {"UiTemplate": {"Content": "c" * 128_001}, "Task": {"Input": "{}"}, "RoleArn": ROLE}, "UiTemplate.Content must be at most 128000 characters"),
]
# fmt: on
