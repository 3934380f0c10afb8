"""Run each Lambda function of a deployed stack as a local worker process.

moto registers the functions but cannot run their code without Docker. Local mode runs each
function's handler in its own process, set up as Lambda would set up its sandbox:

- the code is the function's *asset folder from the cloud assembly* (exactly what CDK packaged),
  and each layer's asset folder contributes ``<layer>/python`` (Lambda's ``/opt/python``); the
  Powertools layer, an AWS-managed layer ARN, is provided by the local virtualenv's package;
- the environment is the function's ``Environment.Variables`` as deployed (references such as
  ``TABLE_NAME`` resolved by the emulator's CloudFormation), the Lambda runtime variables, the
  emulator's endpoint (``AWS_ENDPOINT_URL``) and the credentials of the function's *own execution
  role* (assumed for it through the emulator's STS backend, like the Lambda service does): a
  handler that reaches outside its perimeter is denied by the emulator's IAM, as AWS denies it;
- nothing else of the caller's environment leaks in: no AWS profile, no other credentials,
  no proxy settings (everything stays on loopback).

This file is also the worker's entry point (``python workers.py``, run by ``LocalFunction``); as
such it imports nothing outside the standard library before the handler's own imports.

The demo-only probe. The scenario "a handler reads another service's table" must run code inside
a function's sandbox that the function's code does not contain. The worker answers a ``probe``
message (one AWS SDK call made with the worker's own credentials) only when started with
``--allow-probes``, which only local mode passes. The probe lives here, in the local worker
wrapper, not in ``lambdas/``: no code path of a deployed function can ever run it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FunctionError",
    "FunctionSpec",
    "LocalFunction",
    "WorkerPool",
    "WorkerSetupError",
    "function_specs",
]

# AWS-managed layers whose content the local virtualenv provides (name pattern -> Python package).
KNOWN_MANAGED_LAYERS = {"AWSLambdaPowertoolsPythonV3": "aws_lambda_powertools"}
# The managed Powertools layer resolved by semantic version (secure_serverless.powertools): the
# local virtualenv provides it only when it has exactly that version installed.
_POWERTOOLS_REFERENCE = re.compile(
    r"\{\{resolve:ssm:/aws/service/powertools/python/[a-z0-9_]+/python[0-9.]+/(?P<version>[0-9]+\.[0-9]+\.[0-9]+)\}\}"
)
_PASSTHROUGH = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")


class WorkerSetupError(RuntimeError):
    """A function cannot be run locally (unknown layer, inline code, ...)."""


class FunctionError(RuntimeError):
    """The handler raised or its worker died; the gateway answers 502 as API Gateway does."""


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    function_name: str
    function_arn: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    environment: dict[str, str]
    role_arn: str
    timeout: int
    memory: int
    runtime: str
    log_group: str | None


def _layer_dirs(stack: Any, function_id: str, layers: list[Any]) -> tuple[Path, ...]:
    resources = stack.template["Resources"]
    dirs: list[Path] = []
    for layer in layers:
        if (
            isinstance(layer, dict)
            and "Ref" in layer
            and resources.get(layer["Ref"], {}).get("Type") == ("AWS::Lambda::LayerVersion")
        ):
            content = resources[layer["Ref"]]["Properties"]["Content"]
            asset = stack.artifact.asset_for_key(content.get("S3Key", ""))
            if asset is None or asset.packaging != "zip":
                raise WorkerSetupError(f"{function_id}: layer {layer['Ref']} has no folder asset in the assembly")
            dirs.append(asset.source / "python")
            continue
        if isinstance(layer, str) and (reference := _POWERTOOLS_REFERENCE.fullmatch(layer)):
            _check_local_powertools(function_id, reference["version"])
            continue
        arn = stack.values.resolve(layer)
        package = next((pkg for name, pkg in KNOWN_MANAGED_LAYERS.items() if f":layer:{name}" in str(arn)), None)
        if package is None:
            raise WorkerSetupError(
                f"{function_id}: layer {arn} is neither in the assembly nor a managed layer local mode provides"
                f" ({', '.join(KNOWN_MANAGED_LAYERS)})"
            )
    return tuple(dirs)


def _check_local_powertools(function_id: str, wanted: str) -> None:
    """The worker imports the virtualenv's Powertools: it must be the version the stack deploys."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("aws-lambda-powertools")
    except PackageNotFoundError:
        installed = "not installed"
    if installed != wanted:
        raise WorkerSetupError(
            f"{function_id}: the stack deploys Powertools {wanted} (managed layer, SSM parameter) but this"
            f" virtualenv has {installed}: run `make setup` (requirements-dev.txt pins the tested version)"
        )


def function_specs(stack: Any) -> dict[str, FunctionSpec]:
    """What each AWS::Lambda::Function of a deployed stack needs to run locally (its deployed configuration)."""
    specs: dict[str, FunctionSpec] = {}
    for logical_id in stack.of_type("AWS::Lambda::Function"):
        properties = stack.template["Resources"][logical_id]["Properties"]
        code = properties.get("Code", {})
        if "S3Key" not in code:
            raise WorkerSetupError(f"{logical_id}: only S3 (asset) code runs locally, not {sorted(code)}")
        asset = stack.artifact.asset_for_key(code["S3Key"])
        if asset is None or asset.packaging != "zip":
            raise WorkerSetupError(f"{logical_id}: its code {code['S3Key']} is not a folder asset of the assembly")
        configuration = stack.function_configurations[logical_id]
        environment = configuration.get("Environment", {}).get("Variables", {})
        logging_config = properties.get("LoggingConfig", {})
        log_group = None
        if "LogGroup" in logging_config:
            log_group = str(stack.values.resolve(logging_config["LogGroup"]))
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            function_name=configuration["FunctionName"],
            function_arn=configuration["FunctionArn"],
            handler=configuration.get("Handler") or properties["Handler"],
            code_dir=asset.source,
            layer_dirs=_layer_dirs(stack, logical_id, properties.get("Layers", [])),
            environment={str(k): str(v) for k, v in environment.items()},
            role_arn=configuration["Role"],
            timeout=int(properties.get("Timeout", 3)),
            memory=int(properties.get("MemorySize", 128)),
            runtime=str(properties.get("Runtime", "")),
            log_group=log_group,
        )
    return specs


class LocalFunction:
    """One function's worker process: one invocation at a time, like one Lambda execution environment."""

    def __init__(
        self,
        spec: FunctionSpec,
        *,
        credentials: Callable[[], Any],
        endpoint_url: str,
        region: str,
        log_dir: Path,
        allow_probes: bool = False,
        service_endpoints: dict[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self._service_endpoints = dict(service_endpoints or {})
        self._credentials = credentials
        self._endpoint_url = endpoint_url
        self._region = region
        self._allow_probes = allow_probes
        self.log_path = log_dir / f"{spec.logical_id}.log"
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self.invocations = 0
        self.role_session_arn = ""

    # -- process management
    def environment(self, credentials: Any) -> dict[str, str]:
        spec = self.spec
        env = {name: os.environ[name] for name in _PASSTHROUGH if name in os.environ}
        env.update(spec.environment)
        env.update(
            {
                "PYTHONPATH": os.pathsep.join([str(spec.code_dir), *map(str, spec.layer_dirs)]),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUNBUFFERED": "1",
                "LAMBDA_TASK_ROOT": str(spec.code_dir),
                "_HANDLER": spec.handler,
                "AWS_REGION": self._region,
                "AWS_DEFAULT_REGION": self._region,
                "AWS_ENDPOINT_URL": self._endpoint_url,
                "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
                "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}_localmode",
                # X-Ray has no local daemon: tracing off (the Tracer becomes a no-op).
                "POWERTOOLS_TRACE_DISABLED": "true",
                # Only the role's credentials: no profile, no config file, no instance metadata.
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost",
                "TZ": "UTC",
                "LOCALMODE_TIMEOUT": str(spec.timeout),
            }
        )
        for service, url in self._service_endpoints.items():  # e.g. S3 through local mode's S3 front
            env[f"AWS_ENDPOINT_URL_{service.upper()}"] = url
        if spec.log_group:
            env["AWS_LAMBDA_LOG_GROUP_NAME"] = spec.log_group
        env.update(credentials.as_env())
        return env

    def start(self) -> None:
        """Start the worker (assuming the role) and return without waiting for it to be ready."""
        if self._process is not None and self._process.poll() is None:
            return
        credentials = self._credentials()
        self.role_session_arn = getattr(credentials, "arn", "")
        arguments = [sys.executable, "-u", str(Path(__file__).resolve()), "--function", self.spec.logical_id]
        if self._allow_probes:
            arguments.append("--allow-probes")
        log = self.log_path.open("ab")
        try:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and this file
                arguments,
                cwd=self.spec.code_dir,
                env=self.environment(credentials),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                bufsize=1,
                start_new_session=True,
            )
        finally:
            log.close()
        self._ready = False

    def wait_ready(self, timeout: float = 60) -> None:
        if self._process is None:
            self.start()
        if getattr(self, "_ready", False):
            return
        answer = self._read(timeout)
        if answer is None or not answer.get("ready"):
            detail = (answer or {}).get("error") or "no answer"
            self.stop()
            raise WorkerSetupError(
                f"worker of {self.spec.logical_id} did not start: {detail} (log: {self.log_path})\n{self.log_tail()}"
            )
        self._ready = True

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _read(self, timeout: float) -> dict[str, Any] | None:
        import selectors

        process = self._process
        if process is None or process.stdout is None:
            return None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                return None
        line = process.stdout.readline()
        if not line:
            return None
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _exchange(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = None
                self.start()
            self.wait_ready()
            process = self._process
            assert process is not None and process.stdin is not None
            try:
                process.stdin.write(json.dumps(message) + "\n")
                process.stdin.flush()
            except (BrokenPipeError, OSError) as error:
                self.stop()
                raise FunctionError(f"{self.spec.logical_id}: worker is gone ({error})") from error
            answer = self._read(timeout)
            if answer is None:
                # Like Lambda: a timed-out environment is discarded; the next call starts a new one.
                self.stop()
                raise TimeoutError(f"{self.spec.logical_id} did not answer within {timeout:.0f} s")
            return answer

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """Run the handler on ``event``; returns its result (the Lambda proxy response)."""
        self.invocations += 1
        answer = self._exchange(
            {"type": "invoke", "event": event, "request_id": str(uuid.uuid4())}, timeout=self.spec.timeout + 5
        )
        if "error" in answer:
            raise FunctionError(
                f"{self.spec.logical_id}: {answer['error'].get('type')}: {answer['error'].get('message')}"
            )
        result: dict[str, Any] = answer["result"]
        return result

    def probe(self, service: str, operation: str, parameters: dict[str, Any]) -> dict[str, Any]:
        """DEMO ONLY: one AWS SDK call made *inside* this function's sandbox, with its credentials.

        Returns ``{"allowed": True, "result": ...}`` or ``{"allowed": False, "code": ..., "message": ...}``.
        """
        if not self._allow_probes:
            raise WorkerSetupError("probes are off: local mode starts workers with allow_probes=True for the demo only")
        answer = self._exchange(
            {"type": "probe", "service": service, "operation": operation, "parameters": parameters}, timeout=30
        )
        if "error" in answer:
            raise FunctionError(f"probe failed: {answer['error']}")
        return dict(answer["result"])

    def close_input(self) -> None:
        """End of input: the worker finishes its current request, if any, and exits."""
        process = self._process
        try:
            if process is not None and process.stdin is not None:
                process.stdin.close()
        except OSError:
            pass

    def stop(self) -> None:
        self.close_input()
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.wait(3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(3)
        if process.stdout is not None:
            process.stdout.close()


class WorkerPool:
    """The workers of a stack's functions, keyed by logical id; the gateway's ``invoke``."""

    def __init__(self, functions: dict[str, LocalFunction]) -> None:
        self.functions = functions

    def start(self, timeout: float = 60) -> None:
        for function in self.functions.values():  # all start in parallel
            function.start()
        for function in self.functions.values():
            function.wait_ready(timeout)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        if logical_id not in self.functions:
            raise FunctionError(f"no local worker for function {logical_id}")
        return self.functions[logical_id].invoke(event)

    def stop(self) -> None:
        for function in self.functions.values():  # all are told first, so they end in parallel
            function.close_input()
        for function in self.functions.values():
            function.stop()


# --------------------------------------------------------------------------- the worker process


class _Context:
    """The Lambda context object the handler receives."""

    def __init__(self, request_id: str, timeout: int) -> None:
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        region = env.get("AWS_REGION", "us-east-1")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{self.function_name}"
        self.memory_limit_in_mb = int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", f"/aws/lambda/{self.function_name}")
        self.log_stream_name = f"localmode/{os.getpid()}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _probe(message: dict[str, Any]) -> dict[str, Any]:
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client(message["service"])
    try:
        result = getattr(client, message["operation"])(**message.get("parameters", {}))
    except ClientError as error:
        details = error.response.get("Error", {})
        return {"allowed": False, "code": details.get("Code", ""), "message": details.get("Message", str(error))}
    result.pop("ResponseMetadata", None)
    return {"allowed": True, "result": json.loads(json.dumps(result, default=str))}


def _worker_main(argv: list[str]) -> int:  # pragma: no cover - runs in the worker process
    allow_probes = "--allow-probes" in argv
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the handler's prints and logs go to the log file, never into the protocol
    # This file's folder is not part of the function's code: take it off the import path.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != Path(here)]
    sys.path[0:0] = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]

    def send(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message, default=str) + "\n")
        protocol.flush()

    # Not the tests' loader (tests/handler_loader.py): this runs in a bare interpreter on the
    # asset folder CDK packaged, standard library only, and imports "_HANDLER" as Lambda's runtime does.
    module_name, _, attribute = os.environ["_HANDLER"].rpartition(".")
    try:
        import importlib

        module = importlib.import_module(module_name.replace("/", "."))
        handler = getattr(module, attribute)
    except Exception as error:  # an init error, as Lambda reports it
        import traceback

        traceback.print_exc()
        send({"ready": False, "error": f"Runtime.ImportModuleError: {type(error).__name__}: {error}"})
        return 1
    send({"ready": True})
    timeout = int(os.environ.get("LOCALMODE_TIMEOUT", "30"))
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        if message.get("type") == "probe":
            if not allow_probes:
                send({"error": {"type": "ProbesDisabled", "message": "this worker was started without --allow-probes"}})
                continue
            send({"result": _probe(message)})
            continue
        context = _Context(message.get("request_id", str(uuid.uuid4())), timeout)
        try:
            result = handler(message["event"], context)
        except Exception as error:
            import traceback

            traceback.print_exc()
            send({"error": {"type": type(error).__name__, "message": str(error)}})
            continue
        send({"result": result})
    return 0


if __name__ == "__main__":  # pragma: no cover - the worker process
    sys.exit(_worker_main(sys.argv[1:]))
