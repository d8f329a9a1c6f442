"""A streaming job's settings (the job option `streaming`), checked however they came."""

from __future__ import annotations

import re
from typing import Any

from truthset.errors import Invalid

# SnsDataSource.SnsTopicArn / OutputConfig.SnsTopicArn (CreateLabelingJob's pattern).
_TOPIC_ARN = re.compile(r"arn:aws[a-z\-]*:sns:[a-z0-9\-]*:[0-9]{12}:[a-zA-Z0-9_.\-]{1,256}")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*")
KEYS = ("input_topic", "output_topic", "webhook", "queue_url")


def streaming_options(options: dict[str, Any]) -> dict[str, Any] | None:
    """The job's streaming settings, or None for a job over a fixed manifest."""
    value = options.get("streaming")
    if value is None or value is False:
        return None
    return value if isinstance(value, dict) else {}


def check_streaming(value: Any) -> None:
    """`true`, or an object with input_topic, output_topic (SNS topic ARNs) and webhook (URL)."""
    if value is None or isinstance(value, bool):
        return
    if not isinstance(value, dict):
        raise Invalid(
            'streaming must be true or an object, e.g. {"output_topic": "arn:aws:sns:..."}'
        )
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        raise Invalid(
            f"unknown streaming setting {unknown[0]!r}; the settings are input_topic, "
            "output_topic and webhook"
        )
    for key in ("input_topic", "output_topic"):
        topic = value.get(key)
        if topic is not None and (not isinstance(topic, str) or not _TOPIC_ARN.fullmatch(topic)):
            raise Invalid(f"streaming {key}: {topic!r} is not an SNS topic ARN")
    hook = value.get("webhook")
    if hook is not None and (not isinstance(hook, str) or not _URL.fullmatch(hook)):
        raise Invalid(f"streaming webhook: {hook!r} is not an http(s) URL")


def topic_region(arn: str) -> str:
    return arn.split(":")[3]
