"""Real AWS Lambda functions, invoked with boto3's `lambda` client (Invoke, RequestResponse).

boto3's own configuration applies: credentials from the usual chain, and the endpoint from
AWS_ENDPOINT_URL_LAMBDA (or AWS_ENDPOINT_URL) for a Lambda-compatible server. The region is the
ARN's. Throttling and network errors are retried by botocore's standard retry mode.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from truthset.hooks.base import HookLimits, Outcome


class LambdaHook:
    def __init__(self, arn: str, limits: HookLimits) -> None:
        self.name = arn
        self.arn = arn
        self.limits = limits
        self.client: Any = None

    def __enter__(self) -> LambdaHook:
        region = self.arn.split(":")[3] or "us-east-1"
        config = Config(
            read_timeout=self.limits.seconds,
            connect_timeout=min(10.0, self.limits.seconds),
            retries={"mode": "standard", "max_attempts": 3},
        )
        self.client = boto3.session.Session().client("lambda", region_name=region, config=config)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.client is not None:
            self.client.close()

    def invoke(self, event: dict[str, Any]) -> Outcome:
        try:
            response = self.client.invoke(
                FunctionName=self.arn,
                InvocationType="RequestResponse",
                Payload=json.dumps(event).encode(),
            )
            data = response["Payload"].read(self.limits.max_response + 1)
        except (BotoCoreError, ClientError) as error:
            return Outcome(error=f"Lambda {self.arn}: {error}")
        if len(data) > self.limits.max_response:
            return Outcome(error=f"the response is larger than {self.limits.max_response} bytes")
        try:
            value = json.loads(data) if data else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return Outcome(error=f"Lambda {self.arn} answered something that is not JSON")
        if response.get("FunctionError"):
            message = value.get("errorMessage") if isinstance(value, dict) else value
            return Outcome(
                error=f"Lambda {self.arn} failed ({response['FunctionError']}): {message}"
            )
        return Outcome(value=value)
