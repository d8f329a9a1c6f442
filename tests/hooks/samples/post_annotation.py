"""A post-annotation function in the style of Ground Truth's documented sample (the AWS recipe's
annotation_consolidation_lambda): reads the payload file named by payload.s3Uri (with boto3 from
S3, or from the local file a file:// URI names) and labels each object with the answer most
workers gave."""

import json
from collections import Counter
from urllib.parse import urlparse

import boto3


def read_payload(uri):
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        body = boto3.client("s3").get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))
        return json.loads(body["Body"].read())
    with open(parsed.path) as handle:
        return json.load(handle)


def lambda_handler(event, context):
    label_attribute_name = event["labelAttributeName"]
    payload = read_payload(event["payload"]["s3Uri"])
    consolidated = []
    for item in payload:
        answers = [json.loads(a["annotationData"]["content"]) for a in item["annotations"]]
        votes = Counter(json.dumps(answer, sort_keys=True) for answer in answers)
        winner, _count = votes.most_common(1)[0]
        consolidated.append(
            {
                "datasetObjectId": item["datasetObjectId"],
                "consolidatedAnnotation": {"content": {label_attribute_name: json.loads(winner)}},
            }
        )
    return consolidated
