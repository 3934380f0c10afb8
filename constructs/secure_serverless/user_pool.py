"""SecureUserPool: a Cognito user pool that only eligible users get into, with MFA and threat protection.

The article's "authentication" half of function-centred security: only users who were invited
(no self sign-up by default), who know a strong password and hold a TOTP device reach the API.
Plus-tier threat protection blocks risky sign-ins and compromised credentials; the app client
speaks SRP only, so passwords never travel to Cognito in clear, and tokens are short-lived and
revocable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from constructs import Construct

from secure_serverless_checks.access_levels import COGNITO_USER_POOL

from ._tree import path_of
from ._validation import Problems, is_token
from .compliance import acknowledge

#: Feature plans a SecureUserPool accepts. LITE has no threat protection and is not offered.
FEATURE_PLANS = (cognito.FeaturePlan.PLUS, cognito.FeaturePlan.ESSENTIALS)
#: MFA settings a SecureUserPool accepts. OFF is not offered.
MFA_SETTINGS = (cognito.Mfa.REQUIRED, cognito.Mfa.OPTIONAL)

_DEFAULT_TOKEN_VALIDITY = cdk.Duration.minutes(60)
_DEFAULT_REFRESH_TOKEN_VALIDITY = cdk.Duration.days(1)
_TEMPORARY_PASSWORD_VALIDITY = cdk.Duration.days(3)
_TOKEN_MINUTES = (5, 24 * 60)  # what Cognito accepts for access and ID tokens
_REFRESH_MINUTES = (60, 3650 * 24 * 60)  # 60 minutes .. 10 years
_GROUP_NAME_MAX = 128


def _minutes(option: str, value: cdk.Duration, problems: Problems) -> float | None:
    """Whole minutes of ``value``, or None (and a problem) when it is not a whole number of minutes."""
    seconds = value.to_seconds()
    if is_token(seconds):
        return None
    if seconds % 60:
        problems.add(option, value.to_human_string(), "use a whole number of minutes, e.g. cdk.Duration.minutes(30)")
        return None
    return seconds / 60


def _check_token_validity(
    problems: Problems, *, access: cdk.Duration, id_token: cdk.Duration, refresh: cdk.Duration
) -> None:
    """Add a problem for each token lifetime Cognito refuses or that defeats short-lived tokens."""
    access_minutes = _minutes("access_token_validity", access, problems)
    id_minutes = _minutes("id_token_validity", id_token, problems)
    refresh_minutes = _minutes("refresh_token_validity", refresh, problems)
    problems.check_range("access_token_validity", access_minutes, *_TOKEN_MINUTES, "minutes")
    problems.check_range("id_token_validity", id_minutes, *_TOKEN_MINUTES, "minutes")
    problems.check_range("refresh_token_validity", refresh_minutes, *_REFRESH_MINUTES, "minutes")
    if refresh_minutes is not None:
        for option, minutes in (("access_token_validity", access_minutes), ("id_token_validity", id_minutes)):
            if minutes is not None and refresh_minutes <= minutes:
                problems.add(
                    "refresh_token_validity",
                    refresh.to_human_string(),
                    f"must be longer than {option} ({minutes:g} minutes); a refresh token that expires first "
                    "forces users to sign in again for every token",
                )


def _check_enum(problems: Problems, option: str, value: object, allowed: Sequence[object]) -> None:
    if value in allowed:
        return
    names = ", ".join(f"{type(member).__name__}.{member.name}" for member in allowed)  # type: ignore[attr-defined]
    problems.add(option, value, f"must be one of {names} (the aws_cognito enum, not a string)")


def group_construct_id(name: str) -> str:
    """``"admins"`` -> ``"GroupAdmins"``, ``"read-only"`` -> ``"GroupReadOnly"`` (a public contract)."""
    parts = re.split(r"[^A-Za-z0-9]+", name)
    return "Group" + "".join(part[:1].upper() + part[1:] for part in parts)


def _check_groups(problems: Problems, groups: Sequence[str]) -> None:
    if isinstance(groups, str):
        problems.add("groups", groups, "pass a list of group names, e.g. ['admins'], not a single string")
        return
    seen_names: set[str] = set()
    seen_ids: dict[str, str] = {}
    for name in groups:
        if not isinstance(name, str) or not 1 <= len(name) <= _GROUP_NAME_MAX:
            problems.add("groups", name, f"a group name is a string of 1 to {_GROUP_NAME_MAX} characters")
            continue
        if re.search(r"\s", name):
            problems.add("groups", name, "Cognito group names may not contain spaces; use e.g. 'read-only'")
            continue
        if not re.search(r"[A-Za-z0-9]", name):
            problems.add("groups", name, "give the group name at least one letter or digit")
            continue
        if name in seen_names:
            problems.add("groups", name, "group names must be unique; remove the duplicate")
            continue
        seen_names.add(name)
        construct_id = group_construct_id(name)
        if construct_id in seen_ids:
            problems.add(
                "groups",
                name,
                f"maps to the same construct id {construct_id!r} as {seen_ids[construct_id]!r}; rename one of them",
            )
            continue
        seen_ids[construct_id] = name


class SecureUserPool(Construct):
    """A Cognito user pool and its app client, secure by default.

    What the pool always does: sign-in with e-mail (case-insensitive) as the only username; a
    password policy that requires upper and lower case letters, digits and symbols, with
    temporary passwords valid 3 days; TOTP as the only second factor (no SMS, which is open to
    SIM swapping); account recovery by verified e-mail only; the original e-mail kept until a
    new one is verified; only e-mail as a (required, mutable) standard attribute.

    The app client (``self.client``, id "Client"; add more with ``add_client``) is public: no
    secret, SRP only (no USER_PASSWORD_AUTH, no ADMIN_USER_PASSWORD_AUTH), no OAuth flows and so
    no hosted UI, user-existence errors hidden, token revocation on, reads e-mail and
    email_verified, writes e-mail only (users cannot mark their own e-mail verified).

    :param user_pool_name: the pool's name. Default: generated by CloudFormation.
    :param self_sign_up_enabled: let anyone create an account. Default: False (administrators
        invite users; the reference app has no public sign-up).
    :param password_minimum_length: 8..99 characters. Default: 14.
    :param mfa: ``cognito.Mfa.REQUIRED`` or ``cognito.Mfa.OPTIONAL``. Default: REQUIRED. OPTIONAL
        lets users skip the second factor and needs ``optional_mfa_reason``.
    :param optional_mfa_reason: why optional MFA is acceptable; recorded in the cloud assembly as
        the acknowledgment of AwsSolutions-COG2. Default: none (``mfa=Mfa.OPTIONAL`` is a synth error).
    :param feature_plan: ``cognito.FeaturePlan.PLUS`` or ``ESSENTIALS``. Default: PLUS, with
        threat protection in full function mode (risky sign-ins blocked, compromised credentials
        refused). ESSENTIALS has no threat protection and needs ``essentials_reason``.
    :param essentials_reason: why the Essentials plan is acceptable; recorded in the cloud
        assembly as the acknowledgment of AwsSolutions-COG8. Default: none (``feature_plan=
        FeaturePlan.ESSENTIALS`` is a synth error).
    :param groups: names of the user groups to create (ids ``Group<Name>``). Default: ("admins",).
    :param access_token_validity: of the default client, 5 min..1 day. Default: 60 minutes.
    :param id_token_validity: of the default client, 5 min..1 day. Default: 60 minutes.
    :param refresh_token_validity: of the default client, 60 min..3650 days, longer than the
        access and ID tokens. Default: 1 day.
    :param deletion_protection: refuse DeleteUserPool. Default: True.
    :param removal_policy: what happens on stack deletion. Default: RETAIN (deleting a pool
        deletes every user account in it).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        user_pool_name: str | None = None,
        self_sign_up_enabled: bool = False,
        password_minimum_length: int = 14,
        mfa: cognito.Mfa = cognito.Mfa.REQUIRED,
        optional_mfa_reason: str | None = None,
        feature_plan: cognito.FeaturePlan = cognito.FeaturePlan.PLUS,
        essentials_reason: str | None = None,
        groups: Sequence[str] = ("admins",),
        access_token_validity: cdk.Duration | None = None,
        id_token_validity: cdk.Duration | None = None,
        refresh_token_validity: cdk.Duration | None = None,
        deletion_protection: bool = True,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        access_token_validity = access_token_validity or _DEFAULT_TOKEN_VALIDITY
        id_token_validity = id_token_validity or _DEFAULT_TOKEN_VALIDITY
        refresh_token_validity = refresh_token_validity or _DEFAULT_REFRESH_TOKEN_VALIDITY
        problems = Problems(path_of(self))
        problems.check_range("password_minimum_length", password_minimum_length, 8, 99, "characters")
        _check_enum(problems, "mfa", mfa, MFA_SETTINGS)
        _check_enum(problems, "feature_plan", feature_plan, FEATURE_PLANS)
        problems.require_reason(
            option="mfa",
            value=mfa,
            weakened=mfa == cognito.Mfa.OPTIONAL,
            weak_setting="mfa=Mfa.OPTIONAL",
            reason_option="optional_mfa_reason",
            reason=optional_mfa_reason,
            what="weakens a secure default (AwsSolutions-COG2 fires)",
        )
        problems.require_reason(
            option="feature_plan",
            value=feature_plan,
            weakened=feature_plan == cognito.FeaturePlan.ESSENTIALS,
            weak_setting="feature_plan=FeaturePlan.ESSENTIALS",
            reason_option="essentials_reason",
            reason=essentials_reason,
            what="weakens a secure default (AwsSolutions-COG8 fires)",
        )
        _check_groups(problems, groups)
        _check_token_validity(
            problems, access=access_token_validity, id_token=id_token_validity, refresh=refresh_token_validity
        )
        problems.raise_if_any()

        plus = feature_plan == cognito.FeaturePlan.PLUS
        self.user_pool = cognito.UserPool(
            self,
            "Resource",
            user_pool_name=user_pool_name,
            self_sign_up_enabled=self_sign_up_enabled,
            sign_in_aliases=cognito.SignInAliases(email=True, username=False, phone=False),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=password_minimum_length,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=_TEMPORARY_PASSWORD_VALIDITY,
            ),
            mfa=mfa,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False, email=False),
            feature_plan=feature_plan,
            # Threat protection is a Plus feature: Essentials gets none (and CDK refuses the setting).
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION if plus else None,
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
        )
        if mfa == cognito.Mfa.OPTIONAL:
            acknowledge(self.user_pool, "AwsSolutions-COG2", optional_mfa_reason or "")
        if not plus:
            acknowledge(self.user_pool, "AwsSolutions-COG8", essentials_reason or "")

        self.client = self._new_client(
            "Client",
            access_token_validity=access_token_validity,
            id_token_validity=id_token_validity,
            refresh_token_validity=refresh_token_validity,
        )
        self.groups: Mapping[str, cognito.CfnUserPoolGroup] = {
            name: cognito.CfnUserPoolGroup(
                self,
                group_construct_id(name),
                user_pool_id=self.user_pool.user_pool_id,
                group_name=name,
            )
            for name in groups
        }

    def add_client(
        self,
        construct_id: str,
        *,
        access_token_validity: cdk.Duration | None = None,
        id_token_validity: cdk.Duration | None = None,
        refresh_token_validity: cdk.Duration | None = None,
    ) -> cognito.UserPoolClient:
        """Add another public SRP-only app client with the same protections as ``self.client``.

        :param access_token_validity: 5 min..1 day. Default: 60 minutes.
        :param id_token_validity: 5 min..1 day. Default: 60 minutes.
        :param refresh_token_validity: 60 min..3650 days, longer than the access and ID tokens.
            Default: 1 day.
        """
        access_token_validity = access_token_validity or _DEFAULT_TOKEN_VALIDITY
        id_token_validity = id_token_validity or _DEFAULT_TOKEN_VALIDITY
        refresh_token_validity = refresh_token_validity or _DEFAULT_REFRESH_TOKEN_VALIDITY
        problems = Problems(f"{path_of(self)}/{construct_id}")
        _check_token_validity(
            problems, access=access_token_validity, id_token=id_token_validity, refresh=refresh_token_validity
        )
        problems.raise_if_any()
        return self._new_client(
            construct_id,
            access_token_validity=access_token_validity,
            id_token_validity=id_token_validity,
            refresh_token_validity=refresh_token_validity,
        )

    def _new_client(
        self,
        construct_id: str,
        *,
        access_token_validity: cdk.Duration,
        id_token_validity: cdk.Duration,
        refresh_token_validity: cdk.Duration,
    ) -> cognito.UserPoolClient:
        return cognito.UserPoolClient(
            self,
            construct_id,
            user_pool=self.user_pool,
            generate_secret=False,  # a browser or mobile app cannot keep a secret
            auth_flows=cognito.AuthFlow(user_srp=True),  # ALLOW_REFRESH_TOKEN_AUTH is always added
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=access_token_validity,
            id_token_validity=id_token_validity,
            refresh_token_validity=refresh_token_validity,
            # CDK's default client enables the implicit grant with https://example.com as callback.
            disable_o_auth=True,
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            read_attributes=cognito.ClientAttributes().with_standard_attributes(email=True, email_verified=True),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True),
        )

    def grant_read_membership(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read whether a user is enabled and which groups they are in now.

        Exact actions (``cognito-idp:AdminGetUser``, ``cognito-idp:AdminListGroupsForUser``) on this
        pool's ARN only, declared in a kit function's perimeter (level ``read-membership``). For a
        privileged route that must not trust group claims in a token that may be up to an hour old.
        """
        from ._grants import cfn_of, kit_function_of, plain_grant

        function = kit_function_of(grantee)
        if function is None:
            return plain_grant(
                grantee, kind=COGNITO_USER_POOL, access="read-membership", resource_arns=[self.user_pool.user_pool_arn]
            )
        return function.allow(
            kind=COGNITO_USER_POOL,
            resource=cfn_of(self.user_pool),
            access="read-membership",
            resource_arns=[self.user_pool.user_pool_arn],
        )

    def grant_read_status(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read whether a user still exists and is enabled.

        The exact action ``cognito-idp:AdminGetUser`` on this pool's ARN only, declared in a kit
        function's perimeter (level ``read-status``). For writes that must not trust a token of a
        user who was disabled or deleted after it was issued (it stays valid until it expires).
        """
        from ._grants import cfn_of, kit_function_of, plain_grant

        function = kit_function_of(grantee)
        if function is None:
            return plain_grant(
                grantee, kind=COGNITO_USER_POOL, access="read-status", resource_arns=[self.user_pool.user_pool_arn]
            )
        return function.allow(
            kind=COGNITO_USER_POOL,
            resource=cfn_of(self.user_pool),
            access="read-status",
            resource_arns=[self.user_pool.user_pool_arn],
        )

    @property
    def user_pool_id(self) -> str:
        return self.user_pool.user_pool_id

    @property
    def user_pool_arn(self) -> str:
        return self.user_pool.user_pool_arn

    @property
    def client_id(self) -> str:
        return self.client.user_pool_client_id
