"""``make compat``: the kit's wheel beside the oldest and the newest aws-cdk-lib it supports.

    python tools/compat.py minimum      # the floors pyproject.toml declares (CI runs this one)
    python tools/compat.py newest       # the newest releases the registry has within the range

For the target, in a virtual environment of its own (build/compat/<target>/venv-<versions>/, reused
while the versions and the test tools are the same):

1. installs exactly those aws-cdk-lib, constructs and cdk-nag versions, plus the test tools;
2. installs the kit's freshly built wheel with its dependencies, as a user would, and checks that
   pip left the aws-cdk-lib version in place (the wheel must fit beside the CDK a team has);
3. ``cdk synth`` (the pinned CLI) of a consumer app: a kit service, plain CDK that uses it and
   ``register_compliance_checks``; the synth must exit 0 with no open cdk-nag finding, and the
   perimeter check must pass on the assembly;
4. the construct and consumer tests (tests/constructs, tests/consumer: no snapshot among them; the
   snapshots are made with the reference app's pinned versions only), against the installed wheel.

The aws-cdk-lib wheels (about 100 MB each) are kept in a wheelhouse outside the checkout
(``$COMPAT_WHEELHOUSE``, default ~/.cache/secure-serverless-kit/wheels), so a fresh clone on the
same machine downloads nothing again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "compat"
WHEELHOUSE = Path(os.environ.get("COMPAT_WHEELHOUSE") or Path.home() / ".cache" / "secure-serverless-kit" / "wheels")
LIBRARIES = ("aws-cdk-lib", "constructs", "cdk-nag")
#: Test tools, at the versions requirements-dev.txt pins.
TOOLS = ("pytest", "pytest-xdist", "setuptools", "wheel")
TESTS = ("tests/constructs", "tests/consumer")

CONSUMER_APP = textwrap.dedent(
    """
    # A team's own app: plain CDK around one kit service, checked by the kit.
    import aws_cdk as cdk
    from aws_cdk import aws_cloudwatch as cloudwatch, aws_dynamodb as dynamodb
    from aws_cdk import aws_lambda as lambda_
    from secure_serverless import Invocation, TableFunction, register_compliance_checks

    app = cdk.App()
    register_compliance_checks(app)
    stack = cdk.Stack(app, "TeamStack")
    orders = TableFunction(
        stack, "Orders",
        code=lambda_.Code.from_inline("def handler(event, context):\\n    return None\\n"),
        handler="index.handler",
        partition_key=dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING),
        access="read-write",
        invocation=Invocation.ASYNCHRONOUS,
    )
    # Plain CDK that takes the kit's function: an alarm on its errors.
    function = getattr(orders.function, "function", orders.function)
    cloudwatch.Alarm(stack, "OrdersErrors", metric=function.metric_errors(), threshold=1, evaluation_periods=1)
    app.synth()
    """
)


def declared_range() -> dict[str, tuple[str, str]]:
    """``{library: (floor, ceiling)}`` from pyproject.toml's ``name>=floor,<ceiling`` dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = {}
    for requirement in project["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)\s*,\s*<\s*([0-9.]+)", requirement.strip())
        if match and match[1] in LIBRARIES:
            found[match[1]] = (match[2], match[3])
    missing = sorted(set(LIBRARIES) - set(found))
    if missing:
        raise SystemExit(f"pyproject.toml declares no 'name>=floor,<ceiling' range for {missing}")
    return found


def tool_pins() -> list[str]:
    pins = {}
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][^\s#]*)", line.split("#", 1)[0].strip())
        if match:
            pins[match[1].lower()] = match[2]
    return [f"{name}=={pins[name]}" for name in TOOLS]


def newest_release(library: str, ceiling: str) -> str:
    """The newest release of ``library`` below ``ceiling`` that the registry lists."""
    output = run([sys.executable, "-m", "pip", "index", "versions", library], capture=True)
    listed = re.search(r"Available versions: (.*)", output)
    if listed is None:
        raise SystemExit(f"pip index versions {library} listed nothing:\n{output}")
    limit = tuple(int(part) for part in ceiling.split("."))
    for version in (v.strip() for v in listed[1].split(",")):
        if re.fullmatch(r"[0-9]+(\.[0-9]+)*", version) and tuple(int(p) for p in version.split(".")) < limit:
            return version
    raise SystemExit(f"no release of {library} below {ceiling}")


def run(command: list[str], *, capture: bool = False, env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    print("+", " ".join(str(part) for part in command), flush=True)
    result = subprocess.run(command, cwd=cwd, env=env, text=True, capture_output=capture, check=False)
    if result.returncode != 0:
        if capture:
            print(result.stdout[-4000:], result.stderr[-4000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"failed ({result.returncode}): {' '.join(str(part) for part in command)}")
    return result.stdout if capture else ""


def clean_env(venv: Path) -> dict[str, str]:
    """The environment of a consumer: the venv first on PATH, nothing of the checkout on PYTHONPATH
    (pip would take the checkout's egg-info there for an installed kit)."""
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    node = [ROOT / "tools" / "node24" / "node_modules" / ".bin", ROOT / "node_modules" / ".bin"]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *(str(p) for p in node if p.is_dir()), env.get("PATH", "")])
    env["CDK_DISABLE_STACK_TRACE"] = "1"
    return env


def build_wheel(target: str) -> Path:
    out = BUILD / target / "wheel"
    shutil.rmtree(out, ignore_errors=True)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)])
    (wheel,) = out.glob("secure_serverless_kit-*.whl")
    return wheel


def prune_wheelhouse(pins: list[str], keep_days: int = 30) -> None:
    """Drop aws-cdk-lib wheels no run has needed for ``keep_days`` (about 60 MB each); mark the pinned one used."""
    wanted = {f"aws_cdk_lib-{pin.split('==')[1]}-" for pin in pins if pin.startswith("aws-cdk-lib==")}
    for wheel in WHEELHOUSE.glob("aws_cdk_lib-*.whl"):
        if any(wheel.name.startswith(prefix) for prefix in wanted):
            wheel.touch()
        elif time.time() - wheel.stat().st_mtime > keep_days * 86400:
            wheel.unlink()


def prepare_venv(target: str, pins: list[str]) -> Path:
    """A venv holding exactly ``pins`` (reused while they are unchanged)."""
    key = hashlib.sha256("\n".join(pins).encode()).hexdigest()[:12]
    venv = BUILD / target / f"venv-{key}"
    stamp = venv / "compat-pins.txt"
    if stamp.is_file() and stamp.read_text() == "\n".join(pins):
        print(f"reusing {venv.relative_to(ROOT)} ({', '.join(pins[: len(LIBRARIES)])})", flush=True)
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    for stale in (BUILD / target).glob("venv-*"):
        shutil.rmtree(stale, ignore_errors=True)  # one venv per target: bounded disk
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "-q", "--find-links", str(WHEELHOUSE), "-d", str(WHEELHOUSE), *pins])
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links", str(WHEELHOUSE)]
    run([*pip, *pins], env=clean_env(venv))
    stamp.write_text("\n".join(pins))
    return venv


def install_kit(venv: Path, wheel: Path, cdk_version: str) -> None:
    """Install the wheel as a user would (with its dependencies); the CDK version must stay."""
    python, env = str(venv / "bin" / "python"), clean_env(venv)
    run([python, "-m", "pip", "uninstall", "-q", "-y", "secure-serverless-kit"], capture=True, env=env)
    run([python, "-m", "pip", "install", "-q", "--find-links", str(WHEELHOUSE), str(wheel)], env=env)
    code = "from importlib.metadata import version; print(version('aws-cdk-lib'), version('secure-serverless-kit'))"
    after, kit = run([python, "-c", code], capture=True, env=env).split()
    if after != cdk_version:
        raise SystemExit(f"installing the wheel replaced aws-cdk-lib {cdk_version} with {after}: the range is wrong")
    print(f"ok: secure-serverless-kit {kit} installed beside aws-cdk-lib {cdk_version}, left in place", flush=True)


def synth_consumer_app(venv: Path) -> None:
    """``cdk synth`` with the pinned CLI: exit 0, no open cdk-nag finding, the perimeter passing."""
    app = venv.parent / "consumer-app"
    shutil.rmtree(app, ignore_errors=True)
    app.mkdir(parents=True)
    (app / "app.py").write_text(CONSUMER_APP)
    (app / "cdk.json").write_text(json.dumps({"app": f"{venv / 'bin' / 'python'} app.py"}))
    env = clean_env(venv)
    run(["cdk", "synth", "--quiet", "--output", "cdk.out"], env=env, cwd=app)
    report = app / "cdk.out" / "validation-report.json"
    if not report.is_file():
        raise SystemExit(f"consumer app: no {report.name}: the cdk-nag packs did not run")
    plugins = json.loads(report.read_text())["pluginReports"]
    ran = {plugin["pluginName"] for plugin in plugins}
    open_findings = [v["ruleName"] for plugin in plugins for v in plugin.get("violations", [])]
    failed = [plugin["pluginName"] for plugin in plugins if plugin.get("conclusion") != "success"]
    if open_findings or failed or not {"AwsSolutions", "Serverless"} <= ran:
        raise SystemExit(f"consumer app: packs run {sorted(ran)}, open findings {open_findings}, failed {failed}")
    python = str(venv / "bin" / "python")
    run([python, "-m", "secure_serverless_checks.perimeter", "cdk.out"], env=env, cwd=app)
    print("ok: cdk synth of the consumer app: 0 open cdk-nag findings, perimeter passing", flush=True)


def run_tests(venv: Path, extra: list[str]) -> None:
    env = clean_env(venv)
    env["SECURE_SERVERLESS_COMPAT"] = "1"
    code = "import secure_serverless, sys; sys.exit('site-packages' not in secure_serverless.__file__)"
    run([str(venv / "bin" / "python"), "-c", code], env=env)  # the kit under test is the wheel
    command = [str(venv / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider", "-q", *TESTS, *extra]
    run(command, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=("minimum", "newest"))
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (e.g. -n 2)")
    args, unknown = parser.parse_known_args(argv)
    args.pytest_args += unknown
    started = time.monotonic()
    declared = declared_range()
    if args.target == "minimum":
        versions = {library: floor for library, (floor, _) in declared.items()}
    else:
        versions = {library: newest_release(library, ceiling) for library, (_, ceiling) in declared.items()}
    pins = [f"{library}=={versions[library]}" for library in LIBRARIES] + tool_pins()
    print(f"compat {args.target}: {', '.join(pins[: len(LIBRARIES)])}", flush=True)
    prune_wheelhouse(pins)
    wheel = build_wheel(args.target)
    venv = prepare_venv(args.target, pins)
    install_kit(venv, wheel, versions["aws-cdk-lib"])
    synth_consumer_app(venv)
    run_tests(venv, args.pytest_args)
    print(f"compat {args.target} passed in {time.monotonic() - started:.0f} s ({', '.join(pins[:3])})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
