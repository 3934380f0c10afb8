"""The embedded AWS emulator: moto's server on loopback, in its own process.

moto keeps its state and its IAM switch (``INITIAL_NO_AUTH_ACTION_COUNT``) in module globals.
Running it in the caller's process would leak both into everything else that process does (a
test session that also runs ``mock_aws`` tests, for example), so the emulator runs in a child
process started with ``spawn``. In that process:

- ``localmode.iam_patch`` makes DynamoDB authorization resource-aware (before the server starts);
- ``moto.server.ThreadedMotoServer`` serves on ``127.0.0.1`` only (never another interface:
  moto's Cognito signs tokens with a private key that ships in the moto package);
- a small command loop on a pipe gives the parent what moto's HTTP API cannot: credentials of
  a role assumed through the STS *backend* (the STS API crashes on a trust policy that names
  only a service principal), as the Lambda service would get them for a function.

The child exits when the parent closes the pipe (even when the parent is killed), and
``Emulator.stop()`` / ``atexit`` stop it otherwise.

``self_test()`` proves the emulator enforces IAM the way the scenarios need (own table allowed,
another table denied) with a canary role; ``localmode`` refuses to start when it does not.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secure_serverless_checks.access_levels import DYNAMODB_TABLE, TableAccess, actions_for

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_REGION",
    "LOOPBACK",
    "MOTO_VERSION",
    "Credentials",
    "Emulator",
    "EmulatorError",
    "SelfTestCheck",
    "SelfTestFailed",
    "SelfTestReport",
    "self_test",
]

LOOPBACK = "127.0.0.1"
ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_REGION = "us-east-1"
MOTO_VERSION = "5.2.5"  # requirements-dev.txt pins exactly this version; the patch was written for it
OPERATOR_USER = "localmode-operator"
REPO_ROOT = Path(__file__).resolve().parents[1]
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"


class EmulatorError(RuntimeError):
    """The emulator could not start or a command failed."""


class SelfTestFailed(EmulatorError):
    """The emulator would not enforce the perimeters; local mode must not start."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    arn: str = ""

    def as_env(self) -> dict[str, str]:
        env = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env


# --------------------------------------------------------------------------- child process


def _quiet_logging() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    for name in ("moto", "moto.cloudformation", "moto.cloudformation.parsing"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore")


def _trust_allows_lambda(document: Any) -> bool:
    policy = json.loads(document) if isinstance(document, str) else document
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        principal = statement.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if statement.get("Effect") == "Allow" and "sts:AssumeRole" in actions and LAMBDA_PRINCIPAL in services:
            return True
    return False


def _assume_role_for_lambda(role_arn: str, session_name: str, region: str) -> dict[str, str]:
    """What the Lambda service does for a function: assume its execution role (STS backend)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    account = role_arn.split(":")[4]
    partition = get_partition(region)
    role = iam_backends[account][partition].get_role_by_arn(role_arn)
    if not _trust_allows_lambda(role.assume_role_policy_document):
        raise EmulatorError(f"role {role_arn} does not trust {LAMBDA_PRINCIPAL}: a Lambda function could not assume it")
    assumed = sts_backends[account][partition].assume_role(
        region_name=region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy=None,  # type: ignore[arg-type]  # moto accepts None: no session policy
        duration=3600,
        external_id=None,  # type: ignore[arg-type]
    )
    return {
        "access_key_id": assumed.access_key_id,
        "secret_access_key": assumed.secret_access_key,
        "session_token": assumed.session_token,
        "arn": assumed.arn,
    }


def _set_stack_output(stack_name: str, key: str, value: str, region: str) -> str:
    """Point a stack output at what local mode serves (the API's URL is the local gateway's)."""
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[ACCOUNT_ID][region]
    for stack in backend.stacks.values():
        output = stack.output_map.get(key) if stack.name == stack_name and stack.status != "DELETE_COMPLETE" else None
        if output is not None:
            output.value = value
            return value
    raise EmulatorError(f"stack {stack_name} has no output {key}")


def _child_main(argv: list[str]) -> int:  # pragma: no cover - runs in the emulator process
    """Entry of the emulator process: ``python -m localmode.emulator <port> <region> <patch 0|1>``.

    Protocol: one JSON object per line. The child writes ``{"ready": {...}}`` (or ``{"error": ...}``)
    once, then answers each command line ``{"command": ..., "arguments": {...}}`` with
    ``{"ok": result}`` or ``{"error": message}``. End of input (the parent closed the pipe or died)
    stops the server.
    """
    port, region, patch = int(argv[0]), argv[1], argv[2] == "1"
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything moto or werkzeug prints goes to the log, never into the protocol
    os.environ["MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"] = "true"  # verify TOTP codes, as Cognito does
    os.environ["AWS_DEFAULT_REGION"] = region
    _quiet_logging()

    def send(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    from moto import __version__ as moto_version

    from localmode import iam_patch

    iam_patch.apply_cognito_public_operations()
    iam_patch.apply_cognito_resource_aware()
    if patch:
        iam_patch.apply()
    from localmode import moto_startup

    moto_startup.apply()  # JSON templates read as JSON, KMS keys' RSA pair made on first use
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    try:
        server.start()
    except OSError as error:
        send({"error": f"cannot bind {LOOPBACK}:{port}: {error}"})
        return 1
    bound_host, bound_port = server.get_host_and_port()
    send(
        {
            "ready": {
                "url": f"http://{bound_host}:{bound_port}",
                "moto_version": moto_version,
                "dynamodb_patch": iam_patch.is_applied(),
            }
        }
    )
    commands: dict[str, Callable[..., Any]] = {
        "assume_role": _assume_role_for_lambda,
        "set_stack_output": _set_stack_output,
        "ping": lambda: "pong",
    }
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            message = json.loads(line)
            command = message.get("command")
            if command == "stop":
                send({"ok": None})
                break
            try:
                send({"ok": commands[command](**message.get("arguments", {}))})
            except Exception as error:  # reported to the parent, which raises EmulatorError
                send({"error": f"{type(error).__name__}: {error}"})
    except BaseException:
        server.stop()
        raise
    # Stopped on purpose: the emulator's state is thrown away, so the process ends at once rather
    # than wait for the server's poll loop and tear down every moto backend object by object.
    sys.stderr.flush()
    protocol.flush()
    os._exit(0)


# --------------------------------------------------------------------------- parent side


@dataclass
class Emulator:
    """A running moto server on loopback (see the module docstring)."""

    url: str
    region: str
    moto_version: str
    dynamodb_patch: bool
    log_path: Path
    _process: Any = field(repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _owns_log_dir: bool = False
    operator: Credentials | None = None
    _clients: dict[tuple[str, Credentials], Any] = field(default_factory=dict, repr=False)
    _session: Any = field(default=None, repr=False)
    _clients_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def start(
        cls,
        *,
        port: int = 0,
        region: str = DEFAULT_REGION,
        patch_dynamodb: bool = True,
        host: str = LOOPBACK,
        log_dir: Path | None = None,
        timeout: float = 60.0,
    ) -> Emulator:
        """Start moto's server in a child process on ``host:port`` (port 0: any free port).

        ``patch_dynamodb=False`` exists only to prove that the self-test catches an emulator that
        does not enforce table-scoped policies.
        """
        if host != LOOPBACK:
            raise EmulatorError(
                f"the emulator binds {LOOPBACK} only (asked for {host!r}): moto's signing keys are public"
            )
        owns_log_dir = log_dir is None
        log_dir = log_dir or Path(tempfile.mkdtemp(prefix="localmode-emulator-"))
        log_path = log_dir / "emulator.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        with log_path.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "localmode.emulator", str(port), region, "1" if patch_dynamodb else "0"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=REPO_ROOT,
                env=env,
                text=True,
                bufsize=1,
                start_new_session=True,  # Ctrl-C reaches the parent only; the parent stops the child
            )
        emulator = cls(
            url="",
            region=region,
            moto_version="",
            dynamodb_patch=False,
            log_path=log_path,
            _process=process,
            _owns_log_dir=owns_log_dir,
        )
        atexit.register(emulator.stop)
        ready = emulator._read(timeout)
        if ready is None or "ready" not in ready:
            emulator.stop()
            reason = (ready or {}).get("error") or f"no answer within {timeout:.0f} s"
            raise EmulatorError(f"moto's server did not start: {reason} (log: {log_path})")
        emulator.url = ready["ready"]["url"]
        emulator.moto_version = ready["ready"]["moto_version"]
        emulator.dynamodb_patch = ready["ready"]["dynamodb_patch"]
        return emulator

    def _read(self, timeout: float) -> dict[str, Any] | None:
        import selectors

        stream = self._process.stdout
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            if not selector.select(timeout):
                return None
        line = stream.readline()
        if not line:
            return None
        answer: dict[str, Any] = json.loads(line)
        return answer

    # -- commands
    def _call(self, command: str, **arguments: Any) -> Any:
        with self._lock:
            if self._process.poll() is not None:
                raise EmulatorError(f"the emulator process is not running (log: {self.log_path})")
            self._process.stdin.write(json.dumps({"command": command, "arguments": arguments}) + "\n")
            self._process.stdin.flush()
            answer = self._read(30)
        if answer is None:
            raise EmulatorError(f"the emulator did not answer {command!r} (log: {self.log_path})")
        if "error" in answer:
            raise EmulatorError(str(answer["error"]))
        return answer["ok"]

    def assume_role_for_lambda(self, role_arn: str, session_name: str) -> Credentials:
        """Credentials of ``role_arn``, as Lambda gets them for a function (trust policy checked)."""
        data = self._call("assume_role", role_arn=role_arn, session_name=session_name[:64], region=self.region)
        return Credentials(data["access_key_id"], data["secret_access_key"], data["session_token"], data["arn"])

    def set_stack_output(self, stack_name: str, key: str, value: str) -> None:
        """Make ``DescribeStacks`` report ``value`` for the output ``key`` (see ``_set_stack_output``)."""
        self._call("set_stack_output", stack_name=stack_name, key=key, value=value, region=self.region)

    def enforce_iam(self) -> None:
        """Switch IAM enforcement on for every later request (moto: POST /moto-api/reset-auth, body 0)."""
        # The body must reach Flask raw: with urllib's default form content type, moto reads "" and fails.
        request = urllib.request.Request(  # noqa: S310 - self.url is http://127.0.0.1:<port>
            f"{self.url}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
        )
        with _loopback_opener().open(request, timeout=10) as response:
            answer = json.loads(response.read())
        if answer.get("status") != "ok":
            raise EmulatorError(f"moto refused to switch IAM enforcement on: {answer}")

    def create_operator(self) -> Credentials:
        """An IAM user allowed everything: the local operator (the account owner's role in this demo).

        Must run before ``enforce_iam()``; later calls reuse it.
        """
        if self.operator is not None:
            return self.operator
        iam = self.client("iam", Credentials("bootstrap", "bootstrap"))
        iam.create_user(UserName=OPERATOR_USER)
        iam.put_user_policy(
            UserName=OPERATOR_USER,
            PolicyName="operator",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        key = iam.create_access_key(UserName=OPERATOR_USER)["AccessKey"]
        self.operator = Credentials(
            key["AccessKeyId"], key["SecretAccessKey"], None, f"arn:aws:iam::{ACCOUNT_ID}:user/{OPERATOR_USER}"
        )
        return self.operator

    def client(self, service: str, credentials: Credentials | None = None) -> Any:
        """A boto3 client of ``service`` against the emulator (default: the operator's credentials)."""
        import boto3
        from botocore.config import Config

        creds = credentials or self.operator
        if creds is None:
            raise EmulatorError("no credentials: call create_operator() first")
        with self._clients_lock:  # a boto3 session is not safe to build clients from in two threads at once
            cached = self._clients.get((service, creds))
            if cached is not None:
                return cached
            if self._session is None:  # one session: its parsed service models serve every client
                self._session = boto3.session.Session()
            client = self._session.client(
                service,
                region_name=self.region,
                endpoint_url=self.url,
                aws_access_key_id=creds.access_key_id,
                aws_secret_access_key=creds.secret_access_key,
                aws_session_token=creds.session_token,
                config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60),
            )
            self._clients[(service, creds)] = client
            return client

    def jwks(self, user_pool_id: str) -> dict[str, Any]:
        """The user pool's JSON Web Key Set, from moto's own JWKS endpoint (as a client would fetch it)."""
        request = urllib.request.Request(  # noqa: S310 - self.url is http://127.0.0.1:<port>
            f"{self.url}/{user_pool_id}/.well-known/jwks.json",
            headers={"Host": f"cognito-idp.{self.region}.amazonaws.com"},
        )
        with _loopback_opener().open(request, timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
        if not data.get("keys"):
            raise EmulatorError(f"moto served no JWKS for {user_pool_id}")
        return data

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the server and its process (idempotent)."""
        process = self._process
        if process is None:
            return
        try:
            if process.poll() is None:
                try:
                    with self._lock:
                        process.stdin.write(json.dumps({"command": "stop"}) + "\n")
                        process.stdin.flush()
                        process.stdin.close()
                except (OSError, ValueError):
                    pass
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
        finally:
            for stream in (process.stdin, process.stdout):
                try:
                    if stream is not None:
                        stream.close()
                except (OSError, ValueError):
                    pass
            if self._owns_log_dir and os.environ.get("LOCALMODE_KEEP_WORKDIR") != "1":
                shutil.rmtree(self.log_path.parent, ignore_errors=True)
            atexit.unregister(self.stop)


def _loopback_opener() -> urllib.request.OpenerDirector:
    """An opener that never uses a proxy: every request of local mode stays on loopback."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --------------------------------------------------------------------------- self-test


@dataclass(frozen=True)
class SelfTestCheck:
    description: str
    expected: str  # "allowed" | "denied"
    observed: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.expected == self.observed


@dataclass(frozen=True)
class SelfTestReport:
    checks: tuple[SelfTestCheck, ...]
    moto_version: str
    dynamodb_patch: bool

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks) and self.moto_version == MOTO_VERSION

    def explain(self) -> str:
        lines = []
        if self.moto_version != MOTO_VERSION:
            lines.append(f"moto is {self.moto_version}, local mode was verified with {MOTO_VERSION} (pin it exactly)")
        for check in self.checks:
            mark = "ok " if check.ok else "BAD"
            lines.append(f"  [{mark}] {check.description}: expected {check.expected}, emulator {check.observed}")
        if not self.ok:
            lines.append(
                "The emulator does not enforce table-scoped IAM policies as AWS does"
                + ("" if self.dynamodb_patch else " (the DynamoDB authorization patch is not active)")
                + ": a handler reaching another service's table would not be stopped, so the scenarios"
                " would prove nothing. Local mode refuses to start."
            )
        return "\n".join(lines)


def _observe(call: Callable[[], Any]) -> tuple[str, str]:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException") or status == 403:
            return "denied", code or str(status)
        return "error", f"{code}: {error}"
    return "allowed", ""


def self_test(emulator: Emulator) -> SelfTestReport:
    """Prove, with a canary role scoped to one table, that the emulator enforces what AWS enforces.

    Needs IAM enforcement on and the operator created. The canary role trusts only
    ``lambda.amazonaws.com`` and has the kit's read level (``TableAccess.READ``: GetItem, Query,
    BatchGetItem, ...) on its own table and that table's index: its own reads must be allowed,
    the other table (and a batch read naming it) denied.
    """
    suffix = uuid.uuid4().hex[:8]
    own, other, index = f"localmode-selftest-own-{suffix}", f"localmode-selftest-other-{suffix}", "byOwner"
    ddb = emulator.client("dynamodb")
    for name in (own, other):
        ddb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "owner", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index,
                    "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
        )
        ddb.put_item(TableName=name, Item={"id": {"S": "canary"}, "owner": {"S": "o"}})
    table_arn = f"arn:aws:dynamodb:{emulator.region}:{ACCOUNT_ID}:table/{own}"
    iam = emulator.client("iam")
    role_name = f"localmode-selftest-{suffix}"
    role_arn = iam.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": LAMBDA_PRINCIPAL}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="own-table",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        # The kit's one access-level model: what TableAccess.READ grants a function.
                        "Action": list(actions_for(DYNAMODB_TABLE, TableAccess.READ)),
                        "Resource": [table_arn, f"{table_arn}/index/{index}"],
                    }
                ],
            }
        ),
    )
    canary = emulator.client("dynamodb", emulator.assume_role_for_lambda(role_arn, "selftest"))
    key = {"id": {"S": "canary"}}
    query = {"IndexName": index, "KeyConditionExpression": "#o = :o", "ExpressionAttributeNames": {"#o": "owner"}}
    values = {":o": {"S": "o"}}
    plan: list[tuple[str, str, Callable[[], Any]]] = [
        ("GetItem on the role's own table", "allowed", lambda: canary.get_item(TableName=own, Key=key)),
        (
            "Query on the own table's index",
            "allowed",
            lambda: canary.query(TableName=own, ExpressionAttributeValues=values, **query),
        ),
        ("GetItem on another table", "denied", lambda: canary.get_item(TableName=other, Key=key)),
        (
            "Query on another table's index",
            "denied",
            lambda: canary.query(TableName=other, ExpressionAttributeValues=values, **query),
        ),
        (
            "BatchGetItem naming the own and another table",
            "denied",
            lambda: canary.batch_get_item(RequestItems={own: {"Keys": [key]}, other: {"Keys": [key]}}),
        ),
        ("Scan (an action the role lacks) on its own table", "denied", lambda: canary.scan(TableName=own)),
    ]
    checks = []
    for description, expected, call in plan:
        observed, detail = _observe(call)
        checks.append(SelfTestCheck(description, expected, observed, detail))
    # Leave nothing behind that a scenario could trip over.
    for name in (own, other):
        ddb.delete_table(TableName=name)
    iam.delete_role_policy(RoleName=role_name, PolicyName="own-table")
    iam.delete_role(RoleName=role_name)
    return SelfTestReport(tuple(checks), emulator.moto_version, emulator.dynamodb_patch)


if __name__ == "__main__":  # pragma: no cover - the emulator process
    sys.exit(_child_main(sys.argv[1:]))
