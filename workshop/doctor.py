"""``make workshop-doctor``: is this machine ready for the workshop? Seconds, with a fix per failure.

Checks what the set-up and the modules need, without installing or synthesizing anything:
Python (3.11+, with venv), npm, Node.js (22+, or the project-local Node 24 the set-up installs),
git and make, free disk, that 127.0.0.1 accepts a listening socket (local mode binds loopback)
and that the port of ``make local-serve PORT=...`` is free, and whether the set-up already ran.
Every failure names the fix. Exit 0 when nothing failed (warnings allowed), 1 otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Free disk the set-up needs when nothing is installed yet (.venv, node_modules, Node 24, the
#: jsii cache) and what a set-up tree still needs (cdk.out, local mode's work folders).
SETUP_BYTES = 2 * 1024**3
RUN_BYTES = 300 * 1024**2
MIN_PYTHON = (3, 11)
MIN_NODE = 22
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class Finding:
    name: str
    status: str  # "ok", "warn" or "FAIL"
    detail: str
    fix: str = ""


def _version(command: list[str]) -> str | None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else None


def check_python(version: tuple[int, int] = sys.version_info[:2]) -> Finding:
    shown = ".".join(map(str, version))
    if version < MIN_PYTHON:
        return Finding("Python", "FAIL", f"{shown} (< 3.11)", "install Python 3.11 or newer (python.org, or apt/brew)")
    try:
        import venv  # noqa: F401
    except ImportError:
        return Finding("Python", "FAIL", f"{shown}, no venv module", "sudo apt-get install python3-venv")
    return Finding("Python", "ok", shown)


def check_tool(name: str, fix: str) -> Finding:
    found = shutil.which(name)
    if found is None:
        return Finding(name, "FAIL", "not found on PATH", fix)
    return Finding(name, "ok", _version([name, "--version"]) or found)


def check_node(root: Path) -> Finding:
    local = root / "tools" / "node24" / "node_modules" / ".bin" / "node"
    if local.exists():
        return Finding("Node.js", "ok", f"project-local {_version([str(local), '--version']) or 'Node 24'}")
    version = _version(["node", "--version"]) if shutil.which("node") else None
    if version is None:
        return Finding("Node.js", "warn", "not found", "none needed before `make setup`: it installs Node 24 from npm")
    major = int(version.lstrip("v").split(".")[0] or 0)
    if major < MIN_NODE:
        return Finding("Node.js", "warn", f"{version} (< {MIN_NODE})", "`make setup` installs a project-local Node 24")
    return Finding("Node.js", "ok", version)


def check_disk(root: Path, free: Callable[[Path], int] = lambda p: shutil.disk_usage(p).free) -> Finding:
    needed = RUN_BYTES if (root / ".venv").exists() else SETUP_BYTES
    available = free(root)
    detail = f"{available / 1024**3:.1f} GB free (needs {needed / 1024**3:.1f} GB)"
    if available < needed:
        return Finding("disk", "FAIL", detail, "free some space, or clone onto a larger disk")
    return Finding("disk", "ok", detail)


def check_loopback() -> Finding:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen()
    except OSError as error:
        return Finding("loopback", "FAIL", f"cannot listen on 127.0.0.1: {error}", "check a firewall or VPN client")
    return Finding("loopback", "ok", "127.0.0.1 accepts a listening socket")


def check_port(port: int) -> Finding:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return Finding(
                f"port {port}",
                "warn",
                "in use",
                f"only `make local-serve PORT={port}` needs it: stop what listens there, or pick another PORT",
            )
    return Finding(f"port {port}", "ok", "free")


def check_setup(root: Path) -> Finding:
    stamps = [root / ".stamps" / name for name in ("python", "node", "jsii")]
    if all(stamp.exists() for stamp in stamps):
        return Finding("set-up", "ok", ".venv, the CDK CLI and jsii's cache are installed")
    return Finding("set-up", "warn", "not done yet", "`make local` runs it (about two minutes, ~600 MB download)")


def run_doctor(root: Path, port: int = DEFAULT_PORT) -> list[Finding]:
    return [
        check_python(),
        check_tool("npm", "install Node.js and npm (nodejs.org, or apt/brew); any version: the set-up adds Node 24"),
        check_node(root),
        check_tool("git", "install git"),
        check_tool("make", "install make (Debian/Ubuntu: build-essential; macOS: xcode-select --install)"),
        check_disk(root),
        check_loopback(),
        check_port(port),
        check_setup(root),
    ]


def report(findings: list[Finding], out: Callable[[str], None] = print) -> int:
    for finding in findings:
        out(f"  {finding.status:<4} {finding.name:<9} {finding.detail}")
        if finding.fix and finding.status != "ok":
            out(f"       fix: {finding.fix}")
    failed = [f for f in findings if f.status == "FAIL"]
    out(f"workshop-doctor: {len(failed)} problem(s)" + ("" if failed else ": this machine is ready"))
    return 1 if failed else 0


def main(root: Path) -> int:
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    return report(run_doctor(root, port))


if __name__ == "__main__":
    sys.exit(main(Path(__file__).resolve().parents[1]))
