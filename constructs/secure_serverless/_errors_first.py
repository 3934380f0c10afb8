"""Errors first: a kit configuration error reaches the user as the first lines of stderr.

A ``ConfigurationError`` raised in the app's own code ends in a Python traceback whose message is
last; one raised inside a jsii callback (an Aspect, a CDK construct calling a kit grant) comes back
from Node.js as a ``RuntimeError`` chained to a ``JavaScriptError`` whose JavaScript stack is
printed first, about 13 lines before the kit's message. ``import secure_serverless`` installs an
exception hook that, for an uncaught exception carrying a kit message, prints:

1. ``secure-serverless: <the kit's message>`` (all its lines),
2. the frames of the Python traceback outside jsii and aws-cdk-lib (where the app went wrong),

and leaves every other exception to the previous hook. ``SECURE_SERVERLESS_TRACEBACK=full`` keeps
the whole default output (the kit's message still first). The hook imports nothing of the CDK.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from types import TracebackType

#: The environment variable that keeps the full traceback (``full``) or turns the hook off (``off``).
TRACEBACK_ENV = "SECURE_SERVERLESS_TRACEBACK"
PREFIX = "secure-serverless: "

#: What the kit's own errors say, as they come back through jsii (as text): a ConfigurationError's
#: first line, and a kit validation rule id (``SecureServerless-ForeignGrant``, ...).
_KIT_TEXT = re.compile(r": invalid configuration \(\d+ problem\(s\)\):|\bSecureServerless-[A-Za-z]+:")
#: Library frames a user never needs to see first: the jsii bridge and the generated CDK bindings.
_LIBRARY_PARTS = (f"{os.sep}jsii{os.sep}", f"{os.sep}aws_cdk{os.sep}", f"{os.sep}typeguard{os.sep}")


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and not any(current is known for known in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def kit_message(error: BaseException) -> str | None:
    """The kit's message carried by ``error`` (or an exception it was raised from), else None."""
    validation = sys.modules.get("secure_serverless._validation")
    configuration_error = getattr(validation, "ConfigurationError", None)
    chain = _chain(error)
    for link in chain:
        if configuration_error is not None and isinstance(link, configuration_error):
            return str(link)
    for link in chain:
        text = str(link)
        match = _KIT_TEXT.search(text)
        if match is None or type(link).__name__ == "JavaScriptError":
            continue
        # Through jsii the message may follow CDK's own prefix: start at the line holding the kit's.
        start = text.rfind("\n", 0, match.start()) + 1
        if text[start:].lstrip().startswith("["):  # "[Stack/Path] SecureServerless-Rule: ..." keeps its path
            start = text.rfind("\n", 0, start - 1) + 1 if start else 0
        return text[start:].strip()
    return None


def _user_frames(tb: TracebackType | None) -> traceback.StackSummary:
    frames = traceback.extract_tb(tb)
    kept = [frame for frame in frames if not any(part in frame.filename for part in _LIBRARY_PARTS)]
    return traceback.StackSummary.from_list(kept)


def report(error_type: type[BaseException], error: BaseException, tb: TracebackType | None) -> bool:
    """Print ``error`` kit-message-first to stderr; False (nothing printed) when it carries none."""
    message = kit_message(error)
    if message is None:
        return False
    stream = sys.stderr
    print(PREFIX + message, file=stream)
    if os.environ.get(TRACEBACK_ENV, "").lower() == "full":
        print(file=stream)
        traceback.print_exception(error_type, error, tb, file=stream)
        return True
    print(f"\nWhere (set {TRACEBACK_ENV}=full for the jsii and aws-cdk-lib frames):", file=stream)
    print("".join(_user_frames(tb).format()), end="", file=stream)
    print(f"{error_type.__name__}: kit configuration error (the message above)", file=stream)
    return True


def install() -> None:
    """Install the hook once, in front of whatever hook is there (``SECURE_SERVERLESS_TRACEBACK=off``: never)."""
    if os.environ.get(TRACEBACK_ENV, "").lower() == "off" or getattr(sys.excepthook, "_secure_serverless", False):
        return
    previous = sys.excepthook

    def hook(error_type: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        try:
            handled = report(error_type, error, tb)
        except Exception:  # the hook must never hide the original error
            handled = False
        if not handled:
            previous(error_type, error, tb)

    hook._secure_serverless = True  # type: ignore[attr-defined]
    sys.excepthook = hook
