"""``python -m localmode demo|serve|selftest|token``: the reference architecture on loopback.

- ``demo`` (the default): synthesize, deploy to the embedded emulator, run every scenario,
  print ``N/N scenarios behaved as expected`` and exit (0 only when all behaved; 1 when one did
  not; 2 when local mode refused to start).
- ``serve``: the same start-up, then keep serving on 127.0.0.1 with two signed-in users and
  print how to get a token and call the API with curl; Ctrl-C stops everything.
- ``selftest``: start-up only (synth, deploy, IAM self-test), print what each resource type
  became, and exit.
- ``token``: print a fresh ID (or access) token of a ``serve`` user, using the state file that
  ``serve`` prints.
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

from . import LocalEnvironment, LocalModeError, start_local

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
        print("(LOCALMODE_KEEP_WORKDIR=1 keeps the emulator's and the functions' logs)", file=sys.stderr, flush=True)
        return None


def _demo(args: argparse.Namespace) -> int:
    from .scenarios import SCENARIO_KEYS, run_all

    keys = tuple(args.only.split(",")) if args.only else None
    unknown = sorted(set(keys or ()) - set(SCENARIO_KEYS))
    if unknown:
        print(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIO_KEYS)}", file=sys.stderr)
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
    try:
        demo = Demo(env)
        users = [demo.user(ALICE), demo.user(BOB)]
        operator = env.emulator.operator
        assert operator is not None
        state = {
            "emulator": env.emulator.url,
            "region": env.emulator.region,
            "user_pool_id": env.user_pool_id,
            "client_id": env.client_id,
            "operator": {"access_key_id": operator.access_key_id, "secret_access_key": operator.secret_access_key},
            "users": {
                u.email.split("@")[0]: {"email": u.email, "password": u.password, "mfa_secret": u.mfa_secret}
                for u in users
            },
        }
        state_path = env.workdir / "state.json"
        state_path.write_text(json.dumps(state, indent=2))
        state_path.chmod(0o600)
        api = env.url.rstrip("/")
        python = (
            shlex.quote(sys.executable) if not os.environ.get("LOCALMODE_PYTHON") else os.environ["LOCALMODE_PYTHON"]
        )
        token_cmd = f"{python} -m localmode token --state {shlex.quote(str(state_path))}"
        print(
            f"""
Local stack serving on {env.url}  (127.0.0.1 only; Ctrl-C stops everything)

Users (password + TOTP MFA, created by the operator):
  alice  {ALICE}  (member of admins)
  bob    {BOB}

In another terminal:
  export API={api}
  export TOKEN="$({token_cmd} --user alice)"     # Alice's ID token, valid 60 minutes
  export BOB="$({token_cmd} --user bob)"

  curl -s -X PUT  -H "Authorization: $TOKEN" -H 'Content-Type: application/json' -d '{{"displayName":"Alice"}}' $API/me
  curl -s         -H "Authorization: $TOKEN" $API/me
  curl -s -X POST -H "Authorization: $TOKEN" -H 'Content-Type: application/json' -d '{{"title":"hello","content":"world"}}' $API/notes
  curl -s         -H "Authorization: $TOKEN" $API/notes
  curl -s         -H "Authorization: $BOB"   $API/notes/<Alice's noteId>      # 404: not Bob's
  curl -s $API/notes                                                            # 401: no token
  curl -s -X POST -H "Authorization: $TOKEN" -H 'Content-Type: application/json' -d '{{"title":""}}' $API/notes   # 400

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


def _token(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import EndpointConnectionError

    from scripts.kit_auth.totp import current_code

    state = json.loads(Path(args.state).read_text())
    user = state["users"].get(args.user)
    if user is None:
        print(f"no user {args.user!r} in {args.state}; known: {', '.join(state['users'])}", file=sys.stderr)
        return EXIT_REFUSED
    cognito = boto3.session.Session().client(
        "cognito-idp",
        region_name=state["region"],
        endpoint_url=state["emulator"],
        aws_access_key_id=state["operator"]["access_key_id"],
        aws_secret_access_key=state["operator"]["secret_access_key"],
    )
    try:
        answer = cognito.admin_initiate_auth(
            UserPoolId=state["user_pool_id"],
            ClientId=state["client_id"],
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user["email"], "PASSWORD": user["password"]},
        )
    except EndpointConnectionError:
        print(f"no emulator at {state['emulator']}: is `python -m localmode serve` still running?", file=sys.stderr)
        return EXIT_REFUSED
    answer = cognito.admin_respond_to_auth_challenge(
        UserPoolId=state["user_pool_id"],
        ClientId=state["client_id"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": user["email"], "SOFTWARE_TOKEN_MFA_CODE": current_code(user["mfa_secret"])},
    )
    print(answer["AuthenticationResult"]["AccessToken" if args.access else "IdToken"])
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localmode", description=__doc__.split("\n\n")[0])
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
    token = commands.add_parser("token", help="print a fresh token of a user of a running `serve`")
    token.add_argument("--state", required=True, help="the state file `serve` printed")
    token.add_argument("--user", default="alice")
    token.add_argument("--access", action="store_true", help="print the access token instead of the ID token")

    args = parser.parse_args(argv if argv is not None else sys.argv[1:] or ["demo"])
    _interrupt_on_signals()
    handlers = {"demo": _demo, "serve": _serve, "selftest": _selftest, "token": _token}
    try:
        return handlers[args.command or "demo"](args)
    except KeyboardInterrupt:
        print("\ninterrupted; everything local mode started has been stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
