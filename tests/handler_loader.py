"""The tests' one handler loader: import ``lambdas/<service>/app.py`` as a Lambda cold start does.

Used by the handler tests (tests/lambdas/lambda_helpers.py: ``load_function_module``), the
reference contract tests (tests/reference/handler_loading.py: ``started_handler``) and the bench
(bench/_handler_child.py, through ``load_function_module``). The environment, moto and the
lifetime of the module in ``sys.modules`` stay with each caller. localmode/workers.py keeps its
own loader: it is also the worker script run by a bare interpreter, so it imports nothing from here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["COMMON_LAYER", "LAMBDAS", "load_handler"]

LAMBDAS = Path(__file__).resolve().parents[1] / "lambdas"
#: The shared layer's folder: what Lambda puts on sys.path as /opt/python.
COMMON_LAYER = LAMBDAS / "common" / "python"


def load_handler(service: str, module_name: str | None = None) -> ModuleType:
    """Import ``lambdas/<service>/app.py`` as module ``module_name`` (default ``<service>_app``).

    The common layer is put on ``sys.path`` for good when it is missing (Lambda's /opt/python);
    the function's own folder only while its module runs (its ``<service>_service`` package is
    imported then). The module stays in ``sys.modules`` (a handler's dataclasses look it up);
    it is removed again when its import fails.
    """
    folder = LAMBDAS / service
    name = module_name or f"{service}_app"
    if str(COMMON_LAYER) not in sys.path:
        sys.path.insert(0, str(COMMON_LAYER))
    spec = importlib.util.spec_from_file_location(name, folder / "app.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no handler at {folder / 'app.py'}: expected lambdas/<service>/app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(folder))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        sys.path.remove(str(folder))
    return module
