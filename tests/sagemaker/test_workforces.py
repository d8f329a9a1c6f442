"""The workforce through boto3: CreateWorkforce with an OidcConfig for a real provider on
loopback, then sign-in through it; Describe/List never return the secret; UpdateWorkforce and
DeleteWorkforce follow Ground Truth's rules about existing work teams."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import httpx
import pytest

from tests.sagemaker.conftest import Live, live_server
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider


@pytest.fixture
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("provider")) as running:
        yield running


@pytest.fixture
def fresh(
    database_url: str, tmp_path: Path, s3_endpoint: str, provider: Provider
) -> Iterator[Live]:
    with live_server(
        database_url, tmp_path, s3_endpoint, oidc_ca_file=str(provider.ca_file)
    ) as env:
        yield env


def oidc_config(provider: Provider, **changes: Any) -> dict[str, Any]:
    return {
        "ClientId": CLIENT_ID,
        "ClientSecret": CLIENT_SECRET,
        "Issuer": provider.url,
        "AuthorizationEndpoint": f"{provider.url}/authorize",
        "TokenEndpoint": f"{provider.url}/token",
        "UserInfoEndpoint": f"{provider.url}/userinfo",
        "LogoutEndpoint": f"{provider.url}/logout",
        "JwksUri": f"{provider.url}/jwks",
        "Scope": "openid email",
        "AuthenticationRequestExtraParams": {"prompt": "login"},
        **changes,
    }


def error_code(call: Any) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_create_workforce_then_sign_in_through_it(fresh: Live, provider: Provider) -> None:
    sm = fresh.client()
    arn = sm.create_workforce(
        WorkforceName="hospital",
        OidcConfig=oidc_config(provider),
        SourceIpConfig={"Cidrs": ["127.0.0.0/8"]},
    )["WorkforceArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:workforce/hospital"
    described = sm.describe_workforce(WorkforceName="hospital")["Workforce"]
    expected = {k: v for k, v in oidc_config(provider).items() if k != "ClientSecret"}
    assert described["OidcConfig"] == expected
    assert "ClientSecret" not in str(sm.list_workforces()) and CLIENT_SECRET not in str(described)
    assert described["SourceIpConfig"] == {"Cidrs": ["127.0.0.0/8"]}
    assert error_code(lambda: sm.create_workforce(WorkforceName="again"))[0] == (
        "ResourceLimitExceeded"
    )

    sm.create_workteam(
        WorkteamName="readers",
        WorkforceName="hospital",
        Description="Breast imaging",
        MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["radiology"]}}],
    )
    provider.add_user("doc-7", "doc7@hospital.example", ["radiology"])
    provider.auto_user = "doc-7"
    context = ssl.create_default_context(cafile=provider.ca_file)
    with httpx.Client(base_url=fresh.url) as browser, httpx.Client(verify=context) as to_provider:
        started = browser.get("/oidc/login")
        assert "prompt=login" in started.headers["location"]
        back = to_provider.get(started.headers["location"])
        signed_in = browser.get(back.headers["location"])
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portal"
        assert browser.get("/api/v1/me").json()["email"] == "doc7@hospital.example"
    team = sm.describe_workteam(WorkteamName="readers")["Workteam"]
    assert team["WorkforceArn"] == arn
    assert team["MemberDefinitions"] == [{"OidcMemberDefinition": {"Groups": ["radiology"]}}]

    # Ground Truth: the provider changes only while there are no work teams.
    code, message = error_code(
        lambda: sm.update_workforce(WorkforceName="hospital", OidcConfig=oidc_config(provider))
    )
    assert code == "ConflictException" and "no work teams" in message
    code, _ = error_code(lambda: sm.delete_workforce(WorkforceName="hospital"))
    assert code == "ResourceInUse"
    sm.delete_workteam(WorkteamName="readers")
    sm.delete_workforce(WorkforceName="hospital")
    assert sm.describe_workforce(WorkforceName="default")["Workforce"]["SourceIpConfig"] == {
        "Cidrs": []
    }


def test_bad_workforce_requests(fresh: Live, provider: Provider) -> None:
    sm = fresh.client()
    code, message = error_code(
        lambda: sm.create_workforce(
            WorkforceName="w", CognitoConfig={"UserPool": "us-east-1_x", "ClientId": "c"}
        )
    )
    assert code == "ValidationException" and "Cognito" in message
    code, message = error_code(
        lambda: sm.create_workforce(
            WorkforceName="w", OidcConfig=oidc_config(provider, Issuer="http://plain.example")
        )
    )
    assert code == "ValidationException" and "OidcConfig.Issuer" in message
    code, message = error_code(
        lambda: sm.update_workforce(
            WorkforceName="default", SourceIpConfig={"Cidrs": ["10.0.0.0/33"]}
        )
    )
    assert code == "ValidationException" and "SourceIpConfig.Cidrs[0]" in message
    assert error_code(lambda: sm.describe_workforce(WorkforceName="w"))[0] == "ResourceNotFound"
    sm.update_workforce(WorkforceName="default", OidcConfig=oidc_config(provider))
    assert "OidcConfig" in sm.describe_workforce(WorkforceName="default")["Workforce"]
