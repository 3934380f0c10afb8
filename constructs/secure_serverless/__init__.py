"""Secure Serverless Kit: secure-by-default AWS CDK building blocks.

Public API. Names are imported lazily (PEP 562), so that importing one construct does not import
them all. The pure-Python checks (perimeter, acknowledgments, SARIF, summary, the access-level model)
live in the sibling package ``secure_serverless_checks``, which needs no aws-cdk-lib and no Node.js;
the access-level names are re-exported here unchanged.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._errors_first import install as _install_errors_first

__version__ = "0.2.0"

# A kit configuration error prints the kit's message first, before any jsii traceback (_errors_first.py).
_install_errors_first()

# public name -> module that defines it
_EXPORTS = {
    "ConfigurationError": "._validation",
    "EncryptionKey": ".encryption_key",
    "SecureTable": ".secure_table",
    "TableIndex": ".secure_table",
    "SecureBucket": ".secure_bucket",
    "SecureQueue": ".secure_queue",
    "SecureTopic": ".secure_topic",
    "SecureFunction": ".secure_function",
    "Invocation": ".secure_function",
    "MINIMUM_LOG_RETENTION": "._log_retention",
    "TableFunction": ".table_function",
    "TABLE_ACCESS_LEVELS": ".table_function",
    "SecureUserPool": ".user_pool",
    "SecureRestApi": ".rest_api",
    "SecureWebAcl": ".web_acl",
    "ApiGatewayAccountLogging": ".api_gateway_account",
    "SecurityAlarms": ".monitoring",
    "ServiceDashboard": ".dashboard",
    "IsolatedNetwork": ".isolated_network",
    "InterfaceService": ".isolated_network",
    "TableBackup": ".table_backup",
    "BucketReplica": ".bucket_replication",
    "ReplicaTarget": ".bucket_replication",
    "replicate_bucket": ".bucket_replication",
    "Profile": ".profile",
    "register_compliance_checks": ".compliance",
    "acknowledge": ".compliance",
    "synth_with_checks": ".compliance",
    "ComplianceReport": ".compliance",
    "POWERTOOLS_VERSION": ".powertools",
    "ACCESS_LEVELS": "secure_serverless_checks.access_levels",
    "TableAccess": "secure_serverless_checks.access_levels",
    "PrefixAccess": "secure_serverless_checks.access_levels",
    "KeyAccess": "secure_serverless_checks.access_levels",
    "QueueAccess": "secure_serverless_checks.access_levels",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'secure_serverless' has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from secure_serverless_checks.access_levels import ACCESS_LEVELS as ACCESS_LEVELS
    from secure_serverless_checks.access_levels import KeyAccess as KeyAccess
    from secure_serverless_checks.access_levels import PrefixAccess as PrefixAccess
    from secure_serverless_checks.access_levels import QueueAccess as QueueAccess
    from secure_serverless_checks.access_levels import TableAccess as TableAccess

    from ._log_retention import MINIMUM_LOG_RETENTION as MINIMUM_LOG_RETENTION
    from ._validation import ConfigurationError as ConfigurationError
    from .api_gateway_account import ApiGatewayAccountLogging as ApiGatewayAccountLogging
    from .bucket_replication import BucketReplica as BucketReplica
    from .bucket_replication import ReplicaTarget as ReplicaTarget
    from .bucket_replication import replicate_bucket as replicate_bucket
    from .compliance import (
        ComplianceReport as ComplianceReport,
    )
    from .compliance import (
        acknowledge as acknowledge,
    )
    from .compliance import (
        register_compliance_checks as register_compliance_checks,
    )
    from .compliance import (
        synth_with_checks as synth_with_checks,
    )
    from .dashboard import ServiceDashboard as ServiceDashboard
    from .encryption_key import EncryptionKey as EncryptionKey
    from .isolated_network import InterfaceService as InterfaceService
    from .isolated_network import IsolatedNetwork as IsolatedNetwork
    from .monitoring import SecurityAlarms as SecurityAlarms
    from .powertools import POWERTOOLS_VERSION as POWERTOOLS_VERSION
    from .profile import Profile as Profile
    from .rest_api import SecureRestApi as SecureRestApi
    from .secure_bucket import SecureBucket as SecureBucket
    from .secure_function import Invocation as Invocation
    from .secure_function import SecureFunction as SecureFunction
    from .secure_queue import SecureQueue as SecureQueue
    from .secure_table import SecureTable as SecureTable
    from .secure_table import TableIndex as TableIndex
    from .secure_topic import SecureTopic as SecureTopic
    from .table_backup import TableBackup as TableBackup
    from .table_function import TABLE_ACCESS_LEVELS as TABLE_ACCESS_LEVELS
    from .table_function import TableFunction as TableFunction
    from .user_pool import SecureUserPool as SecureUserPool
    from .web_acl import SecureWebAcl as SecureWebAcl
