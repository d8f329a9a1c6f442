"""A work team's NotificationConfiguration through boto3: stored, described, changed, removed."""

from __future__ import annotations

from tests.sagemaker.conftest import Live, unique
from truthset import workforce

TOPIC = "arn:aws:sns:us-east-1:111122223333:new-work"


def test_notification_configuration(live: Live) -> None:
    sm = live.client()
    name = unique("notified")
    sm.create_workteam(
        WorkteamName=name,
        Description="d",
        MemberDefinitions=[{"OidcMemberDefinition": {"Groups": [name]}}],
        NotificationConfiguration={"NotificationTopicArn": TOPIC},
    )
    team = sm.describe_workteam(WorkteamName=name)["Workteam"]
    assert team["NotificationConfiguration"] == {"NotificationTopicArn": TOPIC}
    assert workforce.get_team(live.dep, name)[0].notification_topic == TOPIC
    sm.update_workteam(WorkteamName=name, NotificationConfiguration={})
    assert "NotificationConfiguration" not in sm.describe_workteam(WorkteamName=name)["Workteam"]
    sm.delete_workteam(WorkteamName=name)
