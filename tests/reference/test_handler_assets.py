"""The deployed code: each function's asset is its whole folder (handler and service layers), the
shared layer's asset holds kit_common with the contract, and no asset holds bytecode.
"""

from __future__ import annotations

from pathlib import Path

from handler_loading import LAMBDAS

from reference_support import ReferenceAssembly, ReferenceTemplates

_EXCLUDED = ("__pycache__", ".pyc", ".pytest_cache")


def _files(root: Path) -> set[str]:
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and not any(part in str(path) for part in _EXCLUDED)
    }


def _assets(reference_templates: ReferenceTemplates) -> dict[str, str]:
    """Logical id of each function and layer -> its asset folder name."""
    return {
        logical_id: resource["Metadata"]["aws:asset:path"]
        for logical_id, resource in reference_templates.service()["Resources"].items()
        if resource["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion")
    }


def test_each_function_asset_is_its_whole_folder_with_its_layers(
    reference_assembly: ReferenceAssembly, reference_templates: ReferenceTemplates
) -> None:
    assets = _assets(reference_templates)
    by_service = {folder.name: folder for folder in LAMBDAS.iterdir() if folder.is_dir() and folder.name != "common"}
    assert set(by_service) == {"profiles", "notes", "files"}
    for service, folder in by_service.items():
        (asset,) = [name for logical_id, name in assets.items() if logical_id.startswith(service.capitalize())]
        shipped = _files(reference_assembly.outdir / asset)
        assert shipped == _files(folder)
        layers = {"app.py", f"{service}_service/logic.py", f"{service}_service/data.py", f"{service}_service/models.py"}
        assert layers <= shipped, f"{service}: missing {sorted(layers - shipped)}"


def test_the_shared_layer_ships_kit_common_and_the_contract(
    reference_assembly: ReferenceAssembly, reference_templates: ReferenceTemplates
) -> None:
    (asset,) = [
        name for logical_id, name in _assets(reference_templates).items() if logical_id.startswith("HandlerCommon")
    ]
    shipped = _files(reference_assembly.outdir / asset)
    assert shipped == _files(LAMBDAS / "common")
    assert {"python/kit_common/contract.json", "python/kit_common/contract.py"} <= shipped


def test_no_asset_ships_bytecode(
    reference_assembly: ReferenceAssembly, reference_templates: ReferenceTemplates
) -> None:
    for asset in _assets(reference_templates).values():
        assert not [p for p in (reference_assembly.outdir / asset).rglob("*") if p.suffix == ".pyc"], asset
