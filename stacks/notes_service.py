"""The reference stack: the article's architecture as a deployable notes service.

Three services, one Lambda per DynamoDB table, each in its own perimeter (role, key, log group,
dead-letter queue; notes and files also their idempotency table); a Cognito user pool; a REST
API with WAF, a Cognito authorizer on every method, request validation and access logs; alarms
to an encrypted topic and a dashboard. The routes, the admin group and the body limit come from
the service contract (stacks/contract.py, docs/contract.md). On the regulated profile (``-c profile=regulated``)
the functions also run in an isolated VPC with endpoints, with reserved concurrency, and every
table is in an AWS Backup plan. The stack only composes library constructs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from secure_serverless import (
    ApiGatewayAccountLogging,
    Invocation,
    PrefixAccess,
    SecureBucket,
    SecureRestApi,
    SecureTable,
    SecureUserPool,
    SecurityAlarms,
    ServiceDashboard,
    TableAccess,
    TableFunction,
)
from secure_serverless._log_retention import retention_from_days
from secure_serverless._validation import ConfigurationError
from secure_serverless.regulated_findings import acknowledge_api_findings, acknowledge_bucket_findings

from .config import AppConfig
from .contract import CONTRACT, LAMBDAS, request_schema, table_access

if TYPE_CHECKING:  # the regulated profile's constructs are imported where it uses them (not on every synth)
    from secure_serverless import IsolatedNetwork, TableBackup
    from secure_serverless.bucket_replication import ReplicaTarget

_ASSET_EXCLUDE = ["__pycache__", "*.pyc", ".pytest_cache"]
ADMIN_GROUP = CONTRACT.admin_group
FILES_PREFIX = "files/"


def _string_key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def _check_contract() -> None:
    if not re.fullmatch(CONTRACT.group_name_pattern, CONTRACT.admin_group):
        raise ConfigurationError(
            "kit_common/contract.json",
            [f"adminGroup={CONTRACT.admin_group!r}: use a name matching {CONTRACT.group_name_pattern!r}"],
        )


class ApiGatewayAccountStack(cdk.Stack):
    """The account-level API Gateway CloudWatch role (one per account and region)."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.account_logging = ApiGatewayAccountLogging(self, "ApiGatewayAccount")


class FilesReplicaStack(cdk.Stack):
    """The cross-region replica of the files bucket: its own bucket and key, pinned to the replica region."""

    def __init__(self, scope: Construct, construct_id: str, *, target: ReplicaTarget, **kwargs: Any) -> None:
        from secure_serverless.bucket_replication import BucketReplica

        super().__init__(scope, construct_id, env=cdk.Environment(region=target.region), **kwargs)
        self.replica = BucketReplica(self, "FilesReplica", target=target)


class NotesServiceStack(cdk.Stack):
    """Profiles, notes and files services behind one Cognito-protected REST API."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        _check_contract()
        retention = retention_from_days(config.log_retention_days)
        retention_reason = config.log_retention_reason
        common = lambda_.LayerVersion(
            self,
            "HandlerCommon",
            code=lambda_.Code.from_asset(str(LAMBDAS / "common"), exclude=_ASSET_EXCLUDE),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_14],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="Shared handler code of the notes service (claims, errors, validation)",
        )

        cors = {"CORS_ALLOWED_ORIGINS": ",".join(config.allowed_origins)} if config.allowed_origins else {}
        profile = config.profile
        regulated_options: dict[str, Any] = {}
        self.network: IsolatedNetwork | None = None
        if profile.isolated_network:
            from secure_serverless import InterfaceService, IsolatedNetwork

            self.network = IsolatedNetwork(
                self,
                "Network",
                flow_log_retention=retention,
                short_log_retention_reason=retention_reason,
                # X-Ray (every function traces) and Cognito (the admin route reads current membership).
                interface_services=(InterfaceService.XRAY, InterfaceService.COGNITO_IDP),
            )
            regulated_options.update(self.network.function_options())
        if profile.reserved_concurrency is not None:
            regulated_options["reserved_concurrent_executions"] = profile.reserved_concurrency

        def service(construct_id: str, folder: str, *, environment: dict[str, str], **options: Any) -> TableFunction:
            return TableFunction(
                self,
                construct_id,
                code=lambda_.Code.from_asset(str(LAMBDAS / folder), exclude=_ASSET_EXCLUDE),
                handler="app.handler",
                invocation=Invocation.SYNCHRONOUS,  # API Gateway proxy integrations: no DLQ could fire
                access=table_access(folder),  # the union of the access levels of its contract routes
                function_options={
                    "layers": [common],
                    "log_retention": retention,
                    "short_log_retention_reason": retention_reason,
                    "environment": {**environment, **cors},
                    **regulated_options,
                },
                **options,
            )

        self.users = SecureUserPool(
            self,
            "Users",
            groups=(ADMIN_GROUP,),
            feature_plan=cognito.FeaturePlan[config.feature_plan],
            essentials_reason=config.feature_plan_reason,
        )
        self.profiles = service(
            "Profiles",
            "profiles",
            partition_key=_string_key("userId"),
            environment={"ADMIN_GROUP": ADMIN_GROUP, "USER_POOL_ID": self.users.user_pool.user_pool_id},
        )
        # The admin route reads the caller's current membership from the user pool (issue 11,
        # finding 4): exact actions (AdminGetUser, AdminListGroupsForUser) on this pool only.
        self.users.grant_read_membership(self.profiles.function)
        self.notes = service(
            "Notes",
            "notes",
            partition_key=_string_key("ownerId"),
            sort_key=_string_key("noteId"),
            environment={"MAX_PAGE_SIZE": "50", "USER_POOL_ID": self.users.user_pool.user_pool_id},
        )
        # Writes check that the caller is still an enabled user (issue 25): AdminGetUser only.
        self.users.grant_read_status(self.notes.function)
        self.files_bucket = SecureBucket(self, "FilesBucket", cors_allowed_origins=list(config.allowed_origins))
        self.files = service(
            "Files",
            "files",
            partition_key=_string_key("ownerId"),
            sort_key=_string_key("fileId"),
            environment={
                "BUCKET_NAME": self.files_bucket.bucket_name,
                "OBJECT_PREFIX": FILES_PREFIX,
                "MAX_UPLOAD_BYTES": str(10 * 1024 * 1024),
                "URL_EXPIRY_SECONDS": "300",
                "MAX_PENDING_UPLOADS": "10",
                "USER_QUOTA_BYTES": str(100 * 1024 * 1024),  # ten files of MAX_UPLOAD_BYTES
                "USER_POOL_ID": self.users.user_pool.user_pool_id,
            },
        )
        self.files_bucket.grant_prefix(self.files.function, prefix=FILES_PREFIX, access=PrefixAccess.READ_WRITE_DELETE)
        self.users.grant_read_status(self.files.function)
        self.notes_idempotency = self._idempotency_table(self.notes)
        self.files_idempotency = self._idempotency_table(self.files)

        self.api = SecureRestApi(
            self,
            "Api",
            user_pool=self.users.user_pool,
            stage_name=config.stage,
            throttle_rate_limit=config.throttle_rate_limit,
            throttle_burst_limit=config.throttle_burst_limit,
            cors_allowed_origins=list(config.allowed_origins),
            waf_rate_limit=config.waf_rate_limit,
            waf_unauthenticated_rate_limit=config.waf_unauthenticated_rate_limit,
            waf_token_rate_limit=config.waf_token_rate_limit,
            max_body_bytes=CONTRACT.max_body_bytes,
            log_retention=retention,
            short_log_retention_reason=retention_reason,
        )
        services = (self.profiles, self.notes, self.files)
        functions = {"profiles": self.profiles, "notes": self.notes, "files": self.files}
        # Every route of the contract, with its request model; tests compare these with each
        # handler's own routes and validators.
        for route in CONTRACT.routes:
            self.api.add_route(
                route.method,
                route.path,
                functions[route.service].lambda_function,
                request_schema=request_schema(route),
            )

        self.alarms = SecurityAlarms(self, "Alarms", alarm_email=config.alarm_email)
        self.alarms.watch_api(self.api.api, config.stage)
        for svc in (self.profiles, self.notes, self.files):
            self.alarms.watch_function(svc)  # errors and throttles (no DLQ: invoked synchronously)
            self.alarms.watch_table(svc)
        if self.api.web_acl_name is not None:
            self.alarms.watch_web_acl(self.api.web_acl_name)
        self.alarms.watch_user_pool(self.users.user_pool)  # account takeover, compromised credentials

        self.dashboard = ServiceDashboard(self, "Dashboard")
        self.dashboard.add_api(self.api.api, config.stage)
        if self.api.web_acl is not None and self.api.web_acl_name is not None:
            self.dashboard.add_web_acl(self.api.web_acl_name, rule_names=self.api.web_acl_rule_names)
        for title, svc in (("profiles", self.profiles), ("notes", self.notes), ("files", self.files)):
            self.dashboard.add_function(svc, title=title)
            self.dashboard.add_table(svc, title=title)
        self.dashboard.add_user_pool(self.users.user_pool, self.users.client)

        tables = [svc.table for svc in services] + [self.notes_idempotency, self.files_idempotency]
        if self.network is not None:
            for table in tables:
                self.network.allow_table(table)
            self.network.allow_bucket(self.files_bucket)
        self.backups: TableBackup | None = None
        if profile.backup_retention_days is not None:
            from secure_serverless import TableBackup

            self.backups = TableBackup(self, "Backups", tables=tables, retention_days=profile.backup_retention_days)
        if profile.runs_regulated_packs:
            acknowledge_api_findings(self.api)
            replica = config.files_replica
            if replica is None:
                acknowledge_bucket_findings(self.files_bucket)
            else:
                from secure_serverless.bucket_replication import replicate_bucket

                replicate_bucket(self.files_bucket, target=replica)

        cdk.CfnOutput(self, "ApiUrl", value=self.api.url)
        cdk.CfnOutput(self, "UserPoolId", value=self.users.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.users.client.user_pool_client_id)

    def _idempotency_table(self, service: TableFunction) -> SecureTable:
        """The Powertools Idempotency records of ``service`` (issue 11, finding 7), in its own perimeter."""
        table = SecureTable(
            self,
            f"{service.node.id}IdempotencyTable",
            partition_key=_string_key("id"),
            encryption_key=service.encryption_key,  # the service's own key, which the function already uses
            time_to_live_attribute="expiration",
            point_in_time_recovery_days=1,  # records live an hour at most: nothing worth restoring from weeks ago
        )
        service.function.function.add_environment("IDEMPOTENCY_TABLE_NAME", table.table_name)
        # Powertools Idempotency reads, writes, updates and deletes its records (GetItem, PutItem,
        # UpdateItem, DeleteItem): "read-write" on this one table, no index, no Scan.
        table.grant(service.function, TableAccess.READ_WRITE)
        return table


def build_app(app: cdk.App, config: AppConfig) -> list[cdk.Stack]:
    """Add the reference stacks to ``app``: the account-level logging role (unless switched off) and the service."""
    stacks: list[cdk.Stack] = []
    service = NotesServiceStack(
        app,
        f"{config.stack_prefix}-NotesService",
        config=config,
        description="Secure Serverless Kit reference: notes service behind Cognito, WAF and API Gateway",
    )
    if config.manage_api_gateway_account:
        account = ApiGatewayAccountStack(
            app,
            f"{config.stack_prefix}-ApiGatewayAccount",
            description="Secure Serverless Kit: account-level API Gateway CloudWatch Logs role (one per region)",
        )
        service.add_stack_dependency(account, "API Gateway execution logging needs the account-level CloudWatch role")
        stacks.append(account)
    replica = config.files_replica if config.profile.name == "regulated" else None
    if replica is not None:
        replica_stack = FilesReplicaStack(
            app,
            f"{config.stack_prefix}-FilesReplica",
            target=replica,
            description=f"Secure Serverless Kit: cross-region replica of the files bucket ({replica.region})",
        )
        service.add_stack_dependency(replica_stack, "the files bucket replicates into the replica bucket")
        stacks.append(replica_stack)
    stacks.append(service)
    return stacks
