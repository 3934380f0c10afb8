"""``kit-local demo|serve|selftest|token|call``: the reference architecture on loopback.

- ``demo`` (the default): synthesize, deploy to the embedded emulator, run every scenario,
  print ``N/N scenarios behaved as expected`` and exit (0 only when all behaved; 1 when one did
  not; 2 when local mode refused to start).
- ``serve``: the same start-up, then keep serving on 127.0.0.1 with two signed-in users and
  print how to get a token and call the API with curl; Ctrl-C stops everything.
- ``selftest``: start-up only (synth, deploy, IAM self-test), print what each resource type
  became, and exit.
- ``token``: print a fresh ID (or access) token of a ``serve`` user (SRP + TOTP), from the
  state file ``serve`` writes (default ``$XDG_STATE_HOME/secure-serverless-kit/local-serve.json``).
- ``call METHOD PATH [--data JSON] [--user bob]``: sign in as that user and call the API.

``kit-local`` (an installed console script) is this module; it works from any folder. When
nothing is serving, ``token`` and ``call`` say so on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any

from . import KEEP_WORKDIR, LocalEnvironment, LocalModeError, start_local

EXIT_OK, EXIT_NOT_AS_EXPECTED, EXIT_REFUSED = 0, 1, 2


def _say(message: str) -> None:
    print(f"[local] {message}", flush=True)


def _interrupt_on_signals() -> None:
    """Ctrl-C and SIGTERM both unwind through ``finally``: everything started is stopped.

    SIGINT is set explicitly: a process started in the background of a non-interactive shell
    inherits SIGINT as ignored, and would otherwise never stop on it.
    """

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _start(args: argparse.Namespace, *, gateway_port: int = 0, probes: bool = True) -> LocalEnvironment | None:
    from .deploy import DeployError
    from .emulator import EmulatorError
    from .workers import WorkerSetupError

    try:
        return start_local(
            assembly_dir=Path(args.assembly) if args.assembly else None,
            gateway_port=gateway_port,
            emulator_port=args.emulator_port,
            allow_probes=probes,
            profile=args.profile,
            progress=_say,
        )
    except (LocalModeError, DeployError, EmulatorError, WorkerSetupError, ValueError) as error:
        print(f"\nlocal mode refused to start: {error}", file=sys.stderr, flush=True)
        kept = getattr(error, "workdir", None)
        if kept is not None:
            print(f"(logs kept in {kept})", file=sys.stderr, flush=True)
        else:
            print(f"({KEEP_WORKDIR}=1 keeps the emulator's and the functions' logs)", file=sys.stderr, flush=True)
        return None


def _demo(args: argparse.Namespace) -> int:
    from .scenarios import run_all, scenario_keys

    keys = tuple(args.only.split(",")) if args.only else None
    unknown = sorted(set(keys or ()) - set(scenario_keys()))
    if unknown:
        print(f"unknown scenario(s) {unknown}; known: {', '.join(scenario_keys())}", file=sys.stderr)
        return EXIT_REFUSED
    started = time.monotonic()
    env = _start(args)
    if env is None:
        return EXIT_REFUSED
    try:
        _say(f"ready in {time.monotonic() - started:.1f} s ({env.timings}); running the scenarios")
        results = run_all(env, keys=keys, out=lambda line: print(line, flush=True))
        _say(f"done in {time.monotonic() - started:.1f} s")
        return EXIT_OK if results and all(r.ok for r in results) else EXIT_NOT_AS_EXPECTED
    finally:
        env.stop()


def _serve(args: argparse.Namespace) -> int:
    from .scenarios import ALICE, BOB, Demo

    env = _start(args, gateway_port=args.port, probes=False)
    if env is None:
        return EXIT_REFUSED
    state_path: Path | None = None
    try:
        demo = Demo(env)
        state = serve_state(env, [demo.user(ALICE), demo.user(BOB)])
        state_path = Path(args.state) if args.state else default_state_path()
        _write_private(state_path, json.dumps(state, indent=2))
        api = env.url.rstrip("/")
        token_cmd = "kit-local token" + (f" --state {shlex.quote(str(state_path))}" if args.state else "")
        print(
            f"""
Local stack serving on {env.url}  (127.0.0.1 only; Ctrl-C stops everything)

Users (password + TOTP MFA, created by the operator):
  alice  {ALICE}  (member of admins)
  bob    {BOB}

In another terminal:
  export API={api}
  TOKEN="$({token_cmd} --user alice)" && export TOKEN   # Alice's ID token, valid 60 minutes
  BOB="$({token_cmd} --user bob)" && export BOB

  curl -s -X PUT  -H "Authorization: $TOKEN" -H 'Content-Type: application/json' -d '{{"displayName":"Alice"}}' $API/me
  curl -s         -H "Authorization: $TOKEN" $API/me
  curl -s -X POST -H "Authorization: $TOKEN" -H 'Content-Type: application/json' -d '{{"title":"hello","content":"world"}}' $API/notes
  curl -s         -H "Authorization: $TOKEN" $API/notes
  curl -s         -H "Authorization: $BOB"   $API/notes/<Alice's noteId>      # 404: not Bob's
  curl -s $API/notes                                                            # 401: no token
  curl -s -X POST -H "Authorization: $TOKEN" -H 'Content-Type: application/json' -d '{{"title":""}}' $API/notes   # 400
  kit-local call GET /notes --user bob                                          # the same, signed in for you

State (passwords, TOTP secrets; mode 0600, removed when serve stops): {state_path}

Function logs: {env.workdir}/<FunctionLogicalId>.log    emulator log: {env.emulator.log_path}
Emulator (moto, IAM enforced): {env.emulator.url}
""",
            flush=True,
        )
        while env.emulator.running:
            time.sleep(1)
        print("the emulator stopped; exiting", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return EXIT_OK
    finally:
        if state_path is not None:
            state_path.unlink(missing_ok=True)
        _stop_quietly(env)


def _stop_quietly(env: LocalEnvironment) -> None:
    """Stop everything; a second Ctrl-C while stopping must not end in a traceback."""
    try:
        env.stop()
    except KeyboardInterrupt:
        env.stop()


def _selftest(args: argparse.Namespace) -> int:
    from collections import Counter

    env = _start(args)
    if env is None:
        return EXIT_REFUSED
    try:
        print("\nstart-up self-test (canary role, IAM enforced):")
        print(env.self_test.explain())
        print("\nwhat each resource became:")
        for stack in env.stacks.values():
            counts = Counter((r.type, r.how, r.note) for r in stack.resources.values())
            print(f"  {stack.name}")
            for (kind, how, note), count in sorted(counts.items()):
                print(f"    {count:3d} x {kind:36s} {how:15s} {note}")
        print("\nfunctions (own worker process, own role's credentials):")
        for function in env.workers.functions.values():
            print(f"  {function.spec.logical_id}: {function.role_session_arn}")
        print("\nself-test passed")
        return EXIT_OK
    finally:
        env.stop()


def serve_state(env: LocalEnvironment, users: list[Any]) -> dict[str, Any]:
    """What ``token`` and ``call`` need of a running ``serve``: endpoints, ids, operator, users."""
    operator = env.emulator.operator
    assert operator is not None
    return {
        "api_url": env.url,
        "emulator": env.emulator.url,
        "region": env.emulator.region,
        "user_pool_id": env.user_pool_id,
        "client_id": env.client_id,
        "operator": {"access_key_id": operator.access_key_id, "secret_access_key": operator.secret_access_key},
        "users": {
            u.email.split("@")[0]: {"email": u.email, "password": u.password, "mfa_secret": u.mfa_secret} for u in users
        },
    }


def default_state_path() -> Path:
    """Where ``serve`` leaves what ``token`` and ``call`` need: ``$XDG_STATE_HOME/secure-serverless-kit``."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "secure-serverless-kit" / "local-serve.json"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


class NotServing(LocalModeError):
    """``token``/``call`` found nothing to talk to; the message says what to start."""


def _read_state(args: argparse.Namespace) -> dict[str, Any]:
    path = Path(args.state) if args.state else default_state_path()
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise NotServing(
            f"nothing is serving: no state file at {path} (start `kit-local serve` in another terminal"
            + (", or pass the --state it printed" if not args.state else "")
            + ")"
        ) from None
    except (OSError, ValueError) as error:
        raise NotServing(f"cannot read the state file {path}: {error}") from None
    return state


def _signed_in(state: dict[str, Any], user_name: str) -> dict[str, Any]:
    """The user's tokens: SRP sign-in and the TOTP challenge, as any client of the pool does."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError

    from .scenarios import LOCAL_CODE_MARGIN, Demo, Target

    user = state["users"].get(user_name)
    if user is None:
        raise NotServing(f"no user {user_name!r} in the state file; known: {', '.join(state['users'])}")

    def cognito(signed: bool) -> Any:
        operator = state["operator"]
        return boto3.session.Session().client(
            "cognito-idp",
            region_name=state["region"],
            endpoint_url=state["emulator"],
            aws_access_key_id=operator["access_key_id"],
            aws_secret_access_key=operator["secret_access_key"],
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5)
            if signed
            else Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5),
        )

    target = Target(
        name="local mode",
        api_url=state["api_url"],
        region=state["region"],
        user_pool_id=state["user_pool_id"],
        client_id=state["client_id"],
        admin=cognito(True),
        public=cognito(False),
        code_margin=LOCAL_CODE_MARGIN,
    )
    demo = Demo(target)
    try:
        return demo.sign_in(user["email"], user["password"], demo.code(user["mfa_secret"]))
    except EndpointConnectionError:
        raise NotServing(
            f"nothing answers at {state['emulator']}: the `kit-local serve` that wrote the state file has stopped;"
            " start it again"
        ) from None


def _token(args: argparse.Namespace) -> int:
    try:
        tokens = _signed_in(_read_state(args), args.user)
    except NotServing as error:
        print(f"kit-local token: {error}", file=sys.stderr)
        return EXIT_REFUSED
    print(tokens["AccessToken" if args.access else "IdToken"])
    return EXIT_OK


def _call(args: argparse.Namespace) -> int:
    from kit_auth import KitError
    from kit_auth.api import call, format_body, parse_json_body

    try:
        state = _read_state(args)
        tokens = _signed_in(state, args.user)
        response = call(
            state["api_url"], args.method, args.path, id_token=tokens["IdToken"], body=parse_json_body(args.data)
        )
    except (NotServing, KitError) as error:
        print(f"kit-local call: {error}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{response.status} {response.reason}")
    if response.body:
        print(format_body(response.body))
    return EXIT_OK if response.status < 400 else EXIT_NOT_AS_EXPECTED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kit-local", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--assembly", help="deploy this cloud assembly instead of synthesizing app.py")
        sub.add_argument(
            "--emulator-port", type=int, default=0, help="moto's port on 127.0.0.1 (default: any free port)"
        )
        sub.add_argument(
            "--profile",
            choices=("default", "regulated"),
            default="default",
            help="the reference app's profile to synthesize (regulated: VPC resources accepted as no-ops)",
        )

    demo = commands.add_parser("demo", help="run every scenario and exit (default)")
    common(demo)
    demo.add_argument("--only", help="comma-separated scenario keys")
    serve = commands.add_parser("serve", help="keep serving on loopback for manual exploration")
    common(serve)
    serve.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("LOCALMODE_PORT", "0")),
        help="gateway port (default: any free port)",
    )
    selftest = commands.add_parser("selftest", help="start up, run the IAM self-test, report and exit")
    common(selftest)
    serve.add_argument("--state", help=f"where to write the state file (default: {default_state_path()})")
    token = commands.add_parser("token", help="print a fresh token of a user of a running `serve`")
    token.add_argument("--state", help="the state file `serve` wrote (default: the one it prints)")
    token.add_argument("--user", default="alice")
    token.add_argument("--access", action="store_true", help="print the access token instead of the ID token")
    call = commands.add_parser("call", help="call the API of a running `serve` as one of its users")
    call.add_argument("method", help="GET, POST, PUT, DELETE ...")
    call.add_argument("path", help="within the stage, e.g. /notes")
    call.add_argument("--data", help="a JSON body")
    call.add_argument("--state", help="the state file `serve` wrote (default: the one it prints)")
    call.add_argument("--user", default="alice")

    args = parser.parse_args(argv if argv is not None else sys.argv[1:] or ["demo"])
    _interrupt_on_signals()
    handlers = {"demo": _demo, "serve": _serve, "selftest": _selftest, "token": _token, "call": _call}
    try:
        return handlers[args.command or "demo"](args)
    except BrokenPipeError:  # `kit-local call ... | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("\ninterrupted; everything local mode started has been stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
