"""Local mode: the reference architecture on loopback, with no AWS account.

``start_local()`` does what ``make local`` needs, in this order, and stops at the first problem:

1. synthesize ``app.py`` (with cdk-nag) into a cloud assembly, unless one is given;
2. check every resource type against ``localmode.deploy.HANDLING`` (fail closed);
3. start moto's server on 127.0.0.1 in its own process (``localmode.emulator``), with the
   DynamoDB authorization patch (``localmode.iam_patch``);
4. deploy the assembly (``localmode.deploy``), then switch IAM enforcement on;
5. run the start-up self-test (a canary role: own table allowed, another table denied) and
   refuse to start if the emulator would not stop a cross-table read;
6. start one worker process per function, with its role's credentials (``localmode.workers``);
7. serve the REST API through the local API gateway (``localmode.gateway``) on loopback.

``python -m localmode demo`` then runs the scenarios of ``localmode.scenarios``.
This module imports only the standard library at import time: the emulator and worker
processes import the package too.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .deploy import Assembly, DeployedStack
    from .emulator import Emulator, SelfTestReport
    from .gateway import LocalGatewayServer, LocalRestApi
    from .s3_front import S3Front
    from .workers import FunctionSpec, WorkerPool

__all__ = ["CLIENT_IP_HEADER", "Clock", "LocalEnvironment", "LocalModeError", "start_local"]

#: The header whose address the local gateway takes as the client's (local mode only: on AWS,
#: WAF and API Gateway use the connection's source address and this header changes nothing).
CLIENT_IP_HEADER = "X-Localmode-Client-Ip"


class LocalModeError(RuntimeError):
    """Local mode cannot start; the message says why and what to do."""


class Clock:
    """The gateway's clock: real time, shiftable by the demo to present a token after its expiry."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self.offset

    @contextmanager
    def shifted(self, seconds: float) -> Iterator[None]:
        with self._lock:
            self.offset += seconds
        try:
            yield
        finally:
            with self._lock:
                self.offset -= seconds


@dataclass
class LocalEnvironment:
    """Everything local mode started; ``stop()`` (or ``with``) ends all of it."""

    workdir: Path
    assembly: Assembly
    emulator: Emulator
    stacks: dict[str, DeployedStack]
    service: DeployedStack
    self_test: SelfTestReport
    specs: dict[str, FunctionSpec]
    workers: WorkerPool
    api: LocalRestApi
    server: LocalGatewayServer | None
    clock: Clock
    user_pool_id: str
    client_id: str
    issuer: str
    s3_front: S3Front | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # Signed-in demo users, shared by every ``scenarios.Demo`` of this environment.
    users: dict[str, Any] = field(default_factory=dict)
    _owns_workdir: bool = False
    _stopped: bool = False

    @property
    def url(self) -> str:
        """The stage URL on loopback, e.g. ``http://127.0.0.1:51234/dev/``."""
        if self.server is None:
            raise LocalModeError("the gateway is not served over HTTP (serve_http=False)")
        return self.server.url

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.server is not None:
            with suppress(Exception):  # best effort: the rest must stop anyway
                self.server.shutdown()
        self.workers.stop()
        if self.s3_front is not None:
            self.s3_front.shutdown()
        self.emulator.stop()
        if self._owns_workdir:
            _remove_workdir(self.workdir)

    def __enter__(self) -> LocalEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


KEEP_WORKDIR = "LOCALMODE_KEEP_WORKDIR"


def keep_workdir() -> bool:
    """``LOCALMODE_KEEP_WORKDIR=1``: keep the work folder (logs, assembly, state) after local mode stops."""
    return os.environ.get(KEEP_WORKDIR) == "1"


def _remove_workdir(workdir: Path) -> None:
    if keep_workdir():
        return
    shutil.rmtree(workdir, ignore_errors=True)


def _loopback_only() -> None:
    """Make sure no proxy setting sends a loopback request elsewhere."""
    for name in ("NO_PROXY", "no_proxy"):
        current = [item for item in os.environ.get(name, "").split(",") if item]
        for host in ("127.0.0.1", "localhost"):
            if host not in current:
                current.append(host)
        os.environ[name] = ",".join(current)


def _single(stack: DeployedStack, resource_type: str) -> str:
    found = stack.of_type(resource_type)
    if len(found) != 1:
        raise LocalModeError(f"stack {stack.name} has {len(found)} {resource_type}; local mode serves exactly one")
    return found[0]


def _publish_api_url(emulator: Emulator, service: DeployedStack, url: str, stage: str) -> None:
    """Stack outputs naming the stage's execute-api URL name the local gateway instead.

    moto resolves them to ``https://<id>.execute-api...`` where nothing answers; with this, a
    client that finds the API through the stack outputs (``kit-verify``, ``kit-user``) reaches
    the local gateway exactly as it would reach API Gateway.
    """
    for key, value in service.outputs.items():
        if ".execute-api." in value and value.rstrip("/").endswith(f"/{stage}"):
            emulator.set_stack_output(service.name, key, url)
            service.outputs[key] = url


def _note_workdir(error: BaseException, workdir: Path) -> None:
    """Tell the caller where the logs are (kept) or how to keep them, on the error itself."""
    if isinstance(error, Exception):
        error.workdir = workdir if workdir.exists() else None  # type: ignore[attr-defined]


def start_local(
    *,
    assembly_dir: Path | None = None,
    workdir: Path | None = None,
    emulator_port: int = 0,
    gateway_port: int = 0,
    serve_http: bool = True,
    patch_dynamodb: bool = True,
    allow_probes: bool = True,
    profile: str = "default",
    progress: Callable[[str], None] | None = None,
) -> LocalEnvironment:
    """Bring the reference architecture up on loopback (see the module docstring).

    ``assembly_dir``: deploy this cloud assembly instead of synthesizing ``app.py``.
    ``patch_dynamodb=False`` only exists to prove that the self-test then refuses to start.
    ``allow_probes``: let the demo run code inside a function's sandbox (local workers only).
    ``profile``: the reference app's profile to synthesize ("default" or "regulated").
    Raises ``LocalModeError`` (or a subclass of ``localmode.deploy.DeployError`` /
    ``localmode.emulator.EmulatorError``) with the reason when anything is off.
    """
    from .deploy import check_resource_types, deploy_assembly, load_assembly, no_op_resources, synthesize
    from .emulator import Emulator, SelfTestFailed, self_test
    from .gateway import GatewayConfig, LocalRestApi
    from .s3_front import S3Front
    from .workers import LocalFunction, WorkerPool, function_specs

    say = progress or (lambda message: None)
    _loopback_only()
    timings: dict[str, float] = {}
    owns_workdir = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="localmode-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    def lap(name: str) -> None:
        timings[name] = round(time.monotonic() - started, 2)

    try:
        if assembly_dir is None:
            say(f"synthesizing app.py (profile {profile}, cdk-nag on) ...")
            # --- assembly cache (issue 14): reuse the cloud assembly when no input changed ---
            from .assembly_cache import cached_synthesize

            assembly_dir, reused = cached_synthesize(
                workdir / "cdk.out", synthesize=synthesize, context={"profile": profile}
            )
            if reused:
                say(
                    "no input of the synth changed: reusing its cloud assembly (LOCALMODE_ASSEMBLY_CACHE=off synthesizes)"
                )
            # --- end assembly cache ---
            lap("synth")
        assembly = load_assembly(Path(assembly_dir))
        check_resource_types(assembly)  # fail closed before anything starts
        for line in no_op_resources(assembly):
            say(line)
        emulator = Emulator.start(port=emulator_port, patch_dynamodb=patch_dynamodb, log_dir=workdir)
    except BaseException as error:
        if owns_workdir:
            _remove_workdir(workdir)
        _note_workdir(error, workdir)
        raise
    workers: WorkerPool | None = None
    server = None
    s3_front: S3Front | None = None
    try:
        say(f"emulator: moto {emulator.moto_version} on {emulator.url} (loopback only)")
        emulator.create_operator()
        stacks = deploy_assembly(emulator, assembly)
        lap("deploy")
        counts = Counter(r.how for stack in stacks.values() for r in stack.resources.values())
        say(
            f"deployed {', '.join(stacks)}: {sum(counts.values())} resources, "
            + ", ".join(f"{count} {how}" for how, count in counts.most_common())
        )
        emulator.enforce_iam()
        say("IAM enforcement on")
        report = self_test(emulator)
        lap("self-test")
        if not report.ok:
            raise SelfTestFailed("start-up self-test failed:\n" + report.explain())
        say("self-test: a role reads its own table, and is denied another table: enforced")

        services = [s for s in stacks.values() if s.of_type("AWS::ApiGateway::RestApi")]
        if len(services) != 1:
            raise LocalModeError(f"local mode serves exactly one stack with a REST API, found {len(services)}")
        service = services[0]
        specs = function_specs(service)

        # S3's browser endpoints (presigned POST and GET) through the S3 front; it verifies what
        # the functions' credentials signed, so it learns each set local mode hands out.
        s3_front = S3Front(upstream=emulator.url, region=emulator.region)

        def credentials_for(spec: FunctionSpec) -> Callable[[], Any]:
            front = s3_front
            return lambda: front.remember(emulator.assume_role_for_lambda(spec.role_arn, spec.function_name))

        workers = WorkerPool(
            {
                logical_id: LocalFunction(
                    spec,
                    credentials=credentials_for(spec),
                    endpoint_url=emulator.url,
                    region=emulator.region,
                    log_dir=workdir,
                    allow_probes=allow_probes,
                    service_endpoints={"s3": s3_front.url},
                )
                for logical_id, spec in specs.items()
            }
        )
        workers.start()
        lap("workers")
        say(f"workers: {', '.join(f'{s.logical_id} ({s.handler})' for s in specs.values())}")
        runtimes = sorted({s.runtime for s in specs.values()})
        say(f"handlers run on the local Python {platform.python_version()} (the stack declares {', '.join(runtimes)})")

        pool_id = service.physical_id(_single(service, "AWS::Cognito::UserPool"))
        client_ids = {service.physical_id(lid) for lid in service.of_type("AWS::Cognito::UserPoolClient")}
        if not client_ids:
            raise LocalModeError(f"stack {service.name} has no user pool client")
        issuer = f"https://cognito-idp.{emulator.region}.amazonaws.com/{pool_id}"
        clock = Clock()
        api = LocalRestApi.from_template(
            service.template,
            GatewayConfig(
                region=emulator.region,
                user_pool_id=pool_id,
                client_ids=client_ids,
                jwks=emulator.jwks(pool_id),
                issuer=issuer,
                invoke=workers.invoke,
                now=clock.now,
                trusted_client_ip_header=CLIENT_IP_HEADER,
            ),
        )
        missing = api.function_ids - set(specs)
        if missing:
            raise LocalModeError(f"the API integrates functions that have no local worker: {sorted(missing)}")
        if serve_http:
            server = api.serve(host="127.0.0.1", port=gateway_port)
            say(f"gateway: {server.url}")
            _publish_api_url(emulator, service, server.url, api.stage_name)
        lap("ready")
        return LocalEnvironment(
            workdir=workdir,
            assembly=assembly,
            emulator=emulator,
            stacks=stacks,
            service=service,
            self_test=report,
            specs=specs,
            workers=workers,
            api=api,
            server=server,
            clock=clock,
            user_pool_id=pool_id,
            client_id=sorted(client_ids)[0],
            issuer=issuer,
            s3_front=s3_front,
            timings=timings,
            _owns_workdir=owns_workdir,
        )
    except BaseException as error:
        if server is not None:
            server.shutdown()
        if workers is not None:
            workers.stop()
        if s3_front is not None:
            s3_front.shutdown()
        emulator.stop()
        if owns_workdir:
            _remove_workdir(workdir)
        _note_workdir(error, workdir)
        raise
