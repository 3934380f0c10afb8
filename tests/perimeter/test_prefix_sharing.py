"""Sharing on a bucket is declared prefix by prefix, in the identity check (P13) and the data-flow check (P20).

A function that shares one prefix of a bucket (with its reason) and keeps another to itself used to
count, on that bucket, as sharing nothing: a second function reaching only the shared prefix was
refused (P13), and a flow into the shared prefix was refused (P20) because of the receiver's other,
private prefix. Both now compare prefixes; what is not declared shared is still refused. Pure Python.
"""

from __future__ import annotations

from perimeter_support import (
    BUCKET,
    FILES_FUNCTION,
    NOTES_FUNCTION,
    NOTES_POLICY,
    TemplateBuilder,
    getatt,
    join,
)

REASON = "the notes service shows the public files next to a note"


def _notes_reads_public_files(b: TemplateBuilder, *, notes_shares: bool, files_shares: bool = True) -> None:
    """Notes keeps attachments/ to itself and reads files/public/ of the Files service."""
    b.allow(NOTES_POLICY, "s3:GetObject", join(getatt(BUCKET), "/files/public/*"))
    entry = {"kind": "s3-prefix", "resource": BUCKET, "access": "read", "prefix": "files/public/", "shared": False}
    if notes_shares:
        entry |= {"shared": True, "share_reason": REASON}
    b.perimeter(NOTES_FUNCTION)["reach"].append(entry)
    if files_shares:
        b.reach(FILES_FUNCTION, BUCKET).update(shared=True, share_reason=REASON)


def _p13(b: TemplateBuilder) -> set[str]:
    return {v.function for v in b.analyze().violations if v.code == "P13"}


def test_a_prefix_shared_on_both_sides_passes_though_the_reader_keeps_another_prefix() -> None:
    b = TemplateBuilder()
    _notes_reads_public_files(b, notes_shares=True)

    report = b.analyze()

    assert report.violations == (), report.to_text()


def test_a_prefix_the_reader_does_not_declare_shared_is_refused() -> None:
    b = TemplateBuilder()
    _notes_reads_public_files(b, notes_shares=False)
    assert _p13(b) >= {NOTES_FUNCTION, FILES_FUNCTION}


def test_a_prefix_the_owner_does_not_declare_shared_is_refused() -> None:
    b = TemplateBuilder()
    _notes_reads_public_files(b, notes_shares=True, files_shares=False)
    assert _p13(b) >= {NOTES_FUNCTION, FILES_FUNCTION}


def _inventory_into(b: TemplateBuilder, destination_prefix: str) -> None:
    """An inventory of the Files prefix written under a prefix of the Notes service."""
    b.resources[BUCKET]["Properties"]["InventoryConfigurations"] = [
        {
            "Id": "inv",
            "Enabled": True,
            "IncludedObjectVersions": "Current",
            "ScheduleFrequency": "Daily",
            "Prefix": "files/",
            "Destination": {"BucketArn": getatt(BUCKET), "Format": "CSV", "Prefix": destination_prefix},
        }
    ]
    b.allow(NOTES_POLICY, "s3:GetObject", join(getatt(BUCKET), "/inbox/*"))
    b.perimeter(NOTES_FUNCTION)["reach"].append(
        {"kind": "s3-prefix", "resource": BUCKET, "access": "read", "prefix": "inbox/", "shared": False}
    )
    b.reach(FILES_FUNCTION, BUCKET).update(shared=True, share_reason=REASON)


def _flows_to_notes(b: TemplateBuilder) -> list[str]:
    return [v.message for v in b.analyze().violations if v.code == "P20" and v.function == NOTES_FUNCTION]


def test_a_flow_into_the_receivers_shared_prefix_passes_though_it_keeps_another_prefix() -> None:
    b = TemplateBuilder()
    _inventory_into(b, "inbox/")
    b.perimeter(NOTES_FUNCTION)["reach"][-1].update(shared=True, share_reason=REASON)  # inbox/ shared
    assert b.reach(NOTES_FUNCTION, BUCKET)["shared"] is False  # attachments/ stays its own

    report = b.analyze()

    assert report.violations == (), report.to_text()


def test_a_flow_into_a_prefix_the_receiver_keeps_is_refused_though_another_is_shared() -> None:
    b = TemplateBuilder()
    _inventory_into(b, "attachments/")  # lands in attachments/, which Notes does not share
    b.perimeter(NOTES_FUNCTION)["reach"][-1].update(shared=True, share_reason=REASON)  # inbox/ shared

    found = _flows_to_notes(b)

    assert found and "attachments/" in found[0], found
