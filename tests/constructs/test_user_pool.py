"""SecureUserPool: the default, each option, each refusal, and the cdk-nag verdict.

Templates are synthesized once per module: the default pool alone, and one stack holding one
pool per option (each test reads its own pool by logical id).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_cognito as cognito

from cdk_support import StackResources, nag_report, new_app, open_findings, resources, template
from secure_serverless import ConfigurationError, SecureUserPool

ESSENTIALS_REASON = "Workshop pool for throw-away accounts; Plus pricing is not justified for it."
OPTIONAL_MFA_REASON = "Pilot users enrol their TOTP device in the first week; REQUIRED after the pilot."


class Built(StackResources):
    """A synthesized template plus the constructs that produced it."""

    def __init__(self, tmpl: assertions.Template, stack: cdk.Stack, pools: dict[str, SecureUserPool]) -> None:
        self.template = tmpl
        self.pools = pools
        super().__init__(stack, tmpl.to_json()["Resources"])

    def pool(self, name: str) -> dict[str, Any]:
        return self.resource(self.pools[name].user_pool)

    def pool_properties(self, name: str) -> dict[str, Any]:
        return self.pool(name)["Properties"]  # type: ignore[no-any-return]

    def client_properties(self, name: str) -> dict[str, Any]:
        return self.resource(self.pools[name].client)["Properties"]  # type: ignore[no-any-return]


def _build(**pools_options: dict[str, Any]) -> Built:
    made: dict[str, Any] = {}

    def build(stack: cdk.Stack) -> None:
        made["stack"] = stack
        made["pools"] = {name: SecureUserPool(stack, name, **options) for name, options in pools_options.items()}

    tmpl = template(build)
    return Built(tmpl, made["stack"], made["pools"])


@pytest.fixture(scope="module")
def default() -> Built:
    return _build(Users={})


@pytest.fixture(scope="module")
def options() -> Built:
    return _build(
        LongPasswords={"password_minimum_length": 20},
        ManyGroups={"groups": ["admins", "read-only", "editors"]},
        NoGroups={"groups": []},
        ShortTokens={
            "access_token_validity": cdk.Duration.minutes(15),
            "id_token_validity": cdk.Duration.minutes(10),
            "refresh_token_validity": cdk.Duration.hours(8),
        },
        OpenSignUp={"self_sign_up_enabled": True},
        Essentials={"feature_plan": cognito.FeaturePlan.ESSENTIALS, "essentials_reason": ESSENTIALS_REASON},
        OptionalMfa={"mfa": cognito.Mfa.OPTIONAL, "optional_mfa_reason": OPTIONAL_MFA_REASON},
        Named={"user_pool_name": "notes-users"},
        Disposable={"deletion_protection": False, "removal_policy": cdk.RemovalPolicy.DESTROY},
    )


# ---------------------------------------------------------------------------- defaults
def test_default_pool_is_invitation_only_with_strong_passwords_totp_and_threat_protection(default: Built) -> None:
    pool = default.pool("Users")
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert props["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 14,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 3,
    }
    assert props["MfaConfiguration"] == "ON"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["UserPoolTier"] == "PLUS"
    assert props["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}  # threat protection FULL_FUNCTION
    assert props["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
    assert props["UsernameAttributes"] == ["email"]
    assert props["UsernameConfiguration"] == {"CaseSensitive": False}
    assert props["AutoVerifiedAttributes"] == ["email"]
    assert props["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    assert props["Schema"] == [{"Name": "email", "Required": True, "Mutable": True}]
    assert props["DeletionProtection"] == "ACTIVE"
    assert pool["DeletionPolicy"] == "Retain"
    assert pool["UpdateReplacePolicy"] == "Retain"
    assert "SmsConfiguration" not in props
    assert "UserPoolName" not in props


def test_default_client_is_public_srp_only_without_oauth_with_short_revocable_tokens(default: Built) -> None:
    client = default.client_properties("Users")
    assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
    assert client.get("GenerateSecret", False) is False
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True
    assert client["AccessTokenValidity"] == 60
    assert client["IdTokenValidity"] == 60
    assert client["RefreshTokenValidity"] == 24 * 60
    assert client["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"}
    assert client["AllowedOAuthFlowsUserPoolClient"] is False
    for oauth_setting in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs"):
        assert oauth_setting not in client
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert sorted(client["ReadAttributes"]) == ["email", "email_verified"]
    assert client["WriteAttributes"] == ["email"]  # users may not mark their own e-mail verified
    assert client["UserPoolId"] == default.ref(default.pools["Users"].user_pool)


def test_default_groups_and_exposed_attributes(default: Built) -> None:
    pool = default.pools["Users"]
    assert list(pool.groups) == ["admins"]
    assert pool.groups["admins"].node.id == "GroupAdmins"
    groups = resources(default.template, "AWS::Cognito::UserPoolGroup")
    assert [group["Properties"]["GroupName"] for group in groups.values()] == ["admins"]
    pool_ref = default.ref(pool.user_pool)
    assert next(iter(groups.values()))["Properties"]["UserPoolId"] == pool_ref
    assert default.stack.resolve(pool.user_pool_id) == pool_ref
    assert default.stack.resolve(pool.client_id) == default.ref(pool.client)
    assert pool.client.node.id == "Client"
    assert pool.user_pool.node.id == "Resource"
    assert len(resources(default.template, "AWS::Cognito::UserPoolClient")) == 1
    assert resources(default.template, "AWS::Cognito::IdentityPool") == {}


# ---------------------------------------------------------------------------- options
def test_password_minimum_length(options: Built) -> None:
    assert options.pool_properties("LongPasswords")["Policies"]["PasswordPolicy"]["MinimumLength"] == 20


def test_groups(options: Built) -> None:
    pool = options.pools["ManyGroups"]
    assert {name: group.node.id for name, group in pool.groups.items()} == {
        "admins": "GroupAdmins",
        "read-only": "GroupReadOnly",
        "editors": "GroupEditors",
    }
    for name, group in pool.groups.items():
        assert options.resource(group)["Properties"]["GroupName"] == name


def test_no_groups(options: Built) -> None:
    assert options.pools["NoGroups"].groups == {}
    pool_ref = options.ref(options.pools["NoGroups"].user_pool)
    groups = resources(options.template, "AWS::Cognito::UserPoolGroup").values()
    assert [g for g in groups if g["Properties"]["UserPoolId"] == pool_ref] == []


def test_token_validity(options: Built) -> None:
    client = options.client_properties("ShortTokens")
    assert (client["AccessTokenValidity"], client["IdTokenValidity"], client["RefreshTokenValidity"]) == (15, 10, 480)


def test_self_sign_up_enabled(options: Built) -> None:
    assert options.pool_properties("OpenSignUp")["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": False}


def test_essentials_feature_plan_has_no_threat_protection(options: Built) -> None:
    props = options.pool_properties("Essentials")
    assert props["UserPoolTier"] == "ESSENTIALS"
    assert "UserPoolAddOns" not in props
    assert props["MfaConfiguration"] == "ON"  # nothing else is weakened


def test_optional_mfa_keeps_totp_only(options: Built) -> None:
    props = options.pool_properties("OptionalMfa")
    assert props["MfaConfiguration"] == "OPTIONAL"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["UserPoolTier"] == "PLUS"


def test_user_pool_name(options: Built) -> None:
    assert options.pool_properties("Named")["UserPoolName"] == "notes-users"


def test_deletion_protection_and_removal_policy(options: Built) -> None:
    pool = options.pool("Disposable")
    assert pool["Properties"]["DeletionProtection"] == "INACTIVE"
    assert pool["DeletionPolicy"] == "Delete"


def test_add_client_has_the_same_protections() -> None:
    made: dict[str, Any] = {}

    def build(stack: cdk.Stack) -> None:
        made["pool"] = SecureUserPool(stack, "Users")
        made["mobile"] = made["pool"].add_client("Mobile", refresh_token_validity=cdk.Duration.days(30))

    tmpl = template(build)
    assert made["mobile"].node.path.endswith("Users/Mobile")
    clients = resources(tmpl, "AWS::Cognito::UserPoolClient")
    assert len(clients) == 2
    mobile = next(c["Properties"] for c in clients.values() if c["Properties"]["RefreshTokenValidity"] == 30 * 24 * 60)
    assert sorted(mobile["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
    assert mobile["PreventUserExistenceErrors"] == "ENABLED"
    assert mobile["EnableTokenRevocation"] is True
    assert mobile["AllowedOAuthFlowsUserPoolClient"] is False
    assert mobile["AccessTokenValidity"] == 60


# ---------------------------------------------------------------------------- failures
def _problems(**options: Any) -> list[str]:
    stack = cdk.Stack(new_app(), "Test")
    with pytest.raises(ConfigurationError) as raised:
        SecureUserPool(stack, "Users", **options)
    assert raised.value.construct_path == "Test/Users"
    return raised.value.problems


def test_fails_if_password_is_too_short() -> None:
    [problem] = _problems(password_minimum_length=6)
    assert problem.startswith("password_minimum_length=6:")
    assert "between 8 and 99" in problem


def test_fails_if_refresh_token_expires_before_access_token() -> None:
    [problem] = _problems(
        access_token_validity=cdk.Duration.minutes(120), refresh_token_validity=cdk.Duration.minutes(90)
    )
    assert problem.startswith("refresh_token_validity=")
    assert "longer than access_token_validity (120 minutes)" in problem


def test_fails_if_token_validity_is_out_of_range() -> None:
    problems = _problems(
        access_token_validity=cdk.Duration.minutes(2),
        id_token_validity=cdk.Duration.days(2),
        refresh_token_validity=cdk.Duration.days(7),
    )
    assert [p.split("=")[0] for p in problems] == ["access_token_validity", "id_token_validity"]


def test_fails_if_token_validity_is_not_whole_minutes() -> None:
    [problem] = _problems(access_token_validity=cdk.Duration.seconds(330))
    assert "whole number of minutes" in problem


def test_fails_if_essentials_has_no_reason() -> None:
    [problem] = _problems(feature_plan=cognito.FeaturePlan.ESSENTIALS)
    assert problem.startswith("feature_plan=<FeaturePlan.ESSENTIALS: 'ESSENTIALS'>:")
    assert "AwsSolutions-COG8" in problem
    assert "essentials_reason=" in problem


def test_fails_if_essentials_reason_is_not_a_real_reason() -> None:
    [problem] = _problems(feature_plan=cognito.FeaturePlan.ESSENTIALS, essentials_reason="cheaper")
    assert "at least 20 characters" in problem


def test_fails_if_optional_mfa_has_no_reason() -> None:
    [problem] = _problems(mfa=cognito.Mfa.OPTIONAL)
    assert problem.startswith("mfa=<Mfa.OPTIONAL: 'OPTIONAL'>:")
    assert "AwsSolutions-COG2" in problem


def test_fails_if_a_reason_is_given_without_weakening_anything() -> None:
    problems = _problems(essentials_reason=ESSENTIALS_REASON, optional_mfa_reason=OPTIONAL_MFA_REASON)
    assert [p.split("=")[0] for p in problems] == ["optional_mfa_reason", "essentials_reason"]


def test_fails_if_mfa_is_off_or_feature_plan_is_lite() -> None:
    problems = _problems(mfa=cognito.Mfa.OFF, feature_plan=cognito.FeaturePlan.LITE)
    assert problems[0].startswith("mfa=<Mfa.OFF: 'OFF'>: must be one of Mfa.REQUIRED, Mfa.OPTIONAL")
    assert problems[1].startswith(
        "feature_plan=<FeaturePlan.LITE: 'LITE'>: must be one of FeaturePlan.PLUS, FeaturePlan.ESSENTIALS"
    )


def test_fails_if_mfa_or_feature_plan_is_a_string() -> None:
    problems = _problems(mfa="REQUIRED", feature_plan="PLUS")
    assert problems[0].startswith("mfa='REQUIRED': must be one of Mfa.REQUIRED, Mfa.OPTIONAL (the aws_cognito enum")
    assert problems[1].startswith("feature_plan='PLUS': must be one of FeaturePlan.PLUS")


def test_fails_if_a_group_is_duplicated() -> None:
    [problem] = _problems(groups=["admins", "editors", "admins"])
    assert problem.startswith("groups='admins':")
    assert "unique" in problem


def test_fails_if_group_names_are_invalid() -> None:
    problems = _problems(groups=["", "   ", "x" * 129, "read only", "read-only", "read_only", "!!"])
    assert [p.split(":")[0] for p in problems] == [
        "groups=''",
        "groups='   '",
        f"groups='{'x' * 129}'",
        "groups='read only'",
        "groups='read_only'",  # same construct id as read-only
        "groups='!!'",
    ]


def test_fails_if_groups_is_a_single_string() -> None:
    [problem] = _problems(groups="admins")
    assert "list of group names" in problem


def test_fails_with_every_problem_at_once() -> None:
    problems = _problems(
        password_minimum_length=6,
        feature_plan=cognito.FeaturePlan.ESSENTIALS,
        groups=["admins", "admins"],
        access_token_validity=cdk.Duration.minutes(120),
        refresh_token_validity=cdk.Duration.minutes(90),
    )
    assert [p.split("=")[0] for p in problems] == [
        "password_minimum_length",
        "feature_plan",
        "groups",
        "refresh_token_validity",
    ]


def test_add_client_fails_if_tokens_are_invalid() -> None:
    stack = cdk.Stack(new_app(), "Test")
    pool = SecureUserPool(stack, "Users")
    with pytest.raises(ConfigurationError) as raised:
        pool.add_client("Mobile", refresh_token_validity=cdk.Duration.days(3651))
    assert raised.value.construct_path == "Test/Users/Mobile"
    assert raised.value.problems[0].startswith("refresh_token_validity=")


# ---------------------------------------------------------------------------- cdk-nag
@pytest.mark.slow
def test_nag_default_pool_has_no_open_findings_and_acknowledges_nothing(tmp_path: Path) -> None:
    report = nag_report(lambda stack: SecureUserPool(stack, "Users"), tmp_path)
    # No validation-report.json is written when nothing fires; the next test proves the packs run.
    assert report.findings == [], open_findings(report)
    assert report.acknowledged == []


@pytest.mark.slow
def test_nag_weakened_pools_record_exactly_the_findings_they_trigger(tmp_path: Path) -> None:
    def build(stack: cdk.Stack) -> None:
        SecureUserPool(
            stack, "Essentials", feature_plan=cognito.FeaturePlan.ESSENTIALS, essentials_reason=ESSENTIALS_REASON
        )
        SecureUserPool(stack, "OptionalMfa", mfa=cognito.Mfa.OPTIONAL, optional_mfa_reason=OPTIONAL_MFA_REASON)

    report = nag_report(build, tmp_path)
    assert report.findings == [], open_findings(report)
    assert sorted((f.rule, f.path, f.reason) for f in report.acknowledged) == [
        ("AwsSolutions-COG2", "Test/OptionalMfa/Resource/Resource", OPTIONAL_MFA_REASON),
        ("AwsSolutions-COG8", "Test/Essentials/Resource/Resource", ESSENTIALS_REASON),
    ]
