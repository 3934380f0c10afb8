"""Skip CDK's creation stack traces where, in a Python app, they cannot name a line of the app.

CDK records a JavaScript stack trace for every CloudFormation element it creates
(``aws:cdk:creationStack`` in ``<Stack>.metadata.json``). Under jsii the trace holds only jsii
and Node.js frames, and CDK writes ``["...jsii runtime, node internals...", "(no user code in 10
frames, ...)"]`` for each one, while capturing and rendering each trace is a measurable share of
a synth. CDK's own switch for this, the context key ``aws:cdk:disable-creation-stack-traces``
("you should only need to set this for performance reasons"), is turned on here, unless:

- the app set the key itself (either way: its choice wins);
- ``JSII_HOST_STACK_TRACES`` is on: jsii then sends the Python stack with each request and the
  traces do name the app's lines;
- the app already has children: CDK accepts context only before the first construct is added.

``cdk synth --debug`` (``CDK_DEBUG``) turns the traces back on, as CDK documents. The templates
do not change; ``secure_serverless_checks._source_locator`` is how the kit finds a construct's Python line.
"""

from __future__ import annotations

import os

import aws_cdk as cdk

#: CDK's context key (``cxapi.DISABLE_CREATION_STACK_TRACES``; not exported to Python).
DISABLE_CREATION_STACK_TRACES = "aws:cdk:disable-creation-stack-traces"


def _host_traces_on() -> bool:
    return os.environ.get("JSII_HOST_STACK_TRACES", "").lower() in {"1", "true", "yes"}


def skip_empty_creation_traces(app: cdk.App) -> bool:
    """Turn CDK's creation stack traces off on ``app`` where they would be empty; True when it did."""
    if app.node.try_get_context(DISABLE_CREATION_STACK_TRACES) is not None or _host_traces_on():
        return False
    if app.node.children:
        return False
    app.node.set_context(DISABLE_CREATION_STACK_TRACES, True)
    return True
