"""The kit reads CDK's Python runtimes from the bindings' attribute names: the same set as ``Runtime.ALL``."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_

from secure_serverless.cdk_compat import KIT_PYTHON_RUNTIME, binding_python_runtimes, newest_python


def test_the_bindings_name_every_python_runtime_cdk_knows() -> None:
    from_node = sorted(runtime.name for runtime in lambda_.Runtime.ALL if runtime.name.startswith("python"))
    assert from_node, "Runtime.ALL lists no Python runtime: this test no longer compares anything"
    assert sorted(binding_python_runtimes(lambda_.Runtime)) == from_node


def test_the_newest_of_them_is_the_kits_runtime() -> None:
    assert newest_python(binding_python_runtimes(lambda_.Runtime)) == KIT_PYTHON_RUNTIME


def test_only_python_runtime_attributes_count() -> None:
    class Bindings:
        PYTHON_3_14 = object()
        PYTHON_3_9 = object()
        NODEJS_22_X = object()
        PYTHON_LATEST_GUESS = object()

    assert sorted(binding_python_runtimes(Bindings)) == ["python3.14", "python3.9"]
