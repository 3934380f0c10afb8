"""Instruments one synth process: jsii round trips, Python callbacks, and each validation plugin.

Imported only by ``bench._synth_child`` (it patches aws_cdk and jsii in that process). What it
measures:

- every request Python sends to the jsii kernel (Node.js) and every callback the kernel makes
  into Python (a Python override such as ``PerimeterRole.add_to_principal_policy``, a Python
  ``IValidation``, the perimeter plugin), with the time spent inside the callbacks;
- each policy-validation plugin's ``validate`` (cdk-nag packs, the perimeter check), by wrapping
  the plugins registered with ``Validations.of(app).add_plugins``;
- CDK's built-in CloudFormation validation: its engine is started here, timed, and registered
  explicitly, which CDK treats exactly like its own default instance (one engine per app), unless
  the app turned the built-in off (``cdk.App(builtin_cloud_formation_validation=False)``, as the
  reference app does when the kit runs the check: its plugin is then timed like any other).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
import jsii
import jsii._kernel as jsii_kernel
from jsii._kernel.providers import process as jsii_process

CFN_VALIDATE = "CloudFormation Validate"


@dataclass
class Meter:
    requests: int = 0
    callbacks: int = 0
    callback_seconds: float = 0.0
    callback_names: Counter[str] = field(default_factory=Counter)
    plugin_seconds: dict[str, float] = field(default_factory=dict)
    #: callbacks and callback time of the bench's own plugin wrappers around JavaScript plugins (not the app's)
    wrapper_callbacks: int = 0
    wrapper_seconds: float = 0.0
    cfn_engine_seconds: float | None = None
    cfn_engine: Any = None
    synth_called: float | None = None
    synth_started: float | None = None
    synth_seconds: float | None = None
    _depth: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "callbacks": self.callbacks - self.wrapper_callbacks,
            "callback_seconds": self.callback_seconds - self.wrapper_seconds,
            "callback_names": dict(self.callback_names.most_common(12)),
        }


METER = Meter()


def _callback_name(callback: Any) -> str:
    for kind in ("invoke", "get", "set"):
        request = getattr(callback, kind, None)
        if request is not None:
            cookie = (
                getattr(callback, "cookie", None)
                or getattr(request, "method", None)
                or getattr(request, "property", "?")
            )
            return f"{kind} {cookie}"
    return "?"


_installed = False
_BUILTIN_OFF: dict[int, bool] = {}  # id(app) -> the app turned CDK's built-in CloudFormation validation off


def install() -> Meter:
    """Patch this process (once); returns the meter that collects the numbers."""
    global _installed
    if _installed:
        return METER
    _installed = True
    original_send = jsii_process._NodeProcess.send
    original_handle = jsii_kernel._handle_callback

    def send(self: Any, request: Any, response_type: Any) -> Any:
        METER.requests += 1
        return original_send(self, request, response_type)

    def handle(kernel: Any, callback: Any) -> Any:
        METER.callbacks += 1
        METER.callback_names[_callback_name(callback)] += 1
        METER._depth += 1
        started = time.perf_counter()
        try:
            return original_handle(kernel, callback)
        finally:
            METER._depth -= 1
            if METER._depth == 0:
                METER.callback_seconds += time.perf_counter() - started

    jsii_process._NodeProcess.send = send  # type: ignore[method-assign]
    jsii_kernel._handle_callback = handle

    original_add_plugins = cdk.Validations.add_plugins

    def add_plugins(self: cdk.Validations, *plugins: Any) -> None:
        original_add_plugins(self, *(_timed(plugin) for plugin in plugins))

    cdk.Validations.add_plugins = add_plugins  # type: ignore[method-assign]

    original_init = cdk.App.__init__

    def init(self: cdk.App, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        _BUILTIN_OFF[id(self)] = kwargs.get("builtin_cloud_formation_validation") is False

    cdk.App.__init__ = init  # type: ignore[method-assign]

    original_synth = cdk.App.synth

    def synth(self: cdk.App, *args: Any, **kwargs: Any) -> Any:
        METER.synth_called = time.perf_counter()
        if os.environ.get("CDK_VALIDATION") != "false" and not _BUILTIN_OFF.get(id(self), False):
            if METER.cfn_engine is None:  # one engine per process, as CDK's own default instance
                started = time.perf_counter()
                METER.cfn_engine = cdk.CloudFormationValidatePlugin()
                METER.cfn_engine_seconds = time.perf_counter() - started
            original_add_plugins(cdk.Validations.of(self), METER.cfn_engine)
        METER.synth_started = time.perf_counter()
        try:
            return original_synth(self, *args, **kwargs)
        finally:
            METER.synth_seconds = time.perf_counter() - METER.synth_started

    cdk.App.synth = synth  # type: ignore[method-assign]
    return METER


class _TimedPlugin:
    """Delegates to a plugin (JavaScript or Python) and records how long its ``validate`` took."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._name = str(inner.name)
        # A JavaScript plugin (cdk-nag) runs in Node.js: only this wrapper's call is a Python callback.
        self._javascript = type(inner).__module__.split(".")[0] in {"aws_cdk", "cdk_nag"}

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str | None:
        return self._inner.version  # type: ignore[no-any-return]

    @property
    def rule_ids(self) -> list[str] | None:
        return self._inner.rule_ids  # type: ignore[no-any-return]

    def validate(self, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._inner.validate(context)
        finally:
            elapsed = time.perf_counter() - started
            METER.plugin_seconds[self._name] = METER.plugin_seconds.get(self._name, 0.0) + elapsed
            if self._javascript:
                METER.wrapper_callbacks += 1
                METER.wrapper_seconds += elapsed


# The wrapper must declare the interface of what it wraps: cdk-nag 3 packs implement
# IPolicyValidationPlugin (their report is a PolicyValidationPluginReport), the kit's perimeter
# check the older IPolicyValidationPluginBeta1.
@jsii.implements(cdk.IPolicyValidationPlugin)
class _TimedJavaScriptPlugin(_TimedPlugin):
    pass


@jsii.implements(cdk.IPolicyValidationPluginBeta1)
class _TimedBeta1Plugin(_TimedPlugin):
    pass


def _timed(plugin: Any) -> _TimedPlugin:
    if cdk.IPolicyValidationPluginBeta1 in getattr(type(plugin), "__jsii_ifaces__", []):
        return _TimedBeta1Plugin(plugin)
    return _TimedJavaScriptPlugin(plugin)
