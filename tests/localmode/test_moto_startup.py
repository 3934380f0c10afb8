"""The emulator's two start-up savings (localmode/moto_startup.py) change nothing moto answers.

Checked against moto itself, with real boto3 calls: the reference app's templates parse to the same
dictionaries as moto's own parser gives; YAML still goes to moto's parser; symmetric KMS keys
encrypt and decrypt, and asymmetric ones sign, verify and give their public key, with the key pair
made only when one of those needs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key
from moto_support import fresh_aws, shared_client

from localmode import moto_startup


def _moto_parse(template: str) -> object:
    from moto.cloudformation.models import Stack

    return Stack.parse_template(template)


def test_the_reference_templates_parse_as_moto_parses_them(local_assembly: Path) -> None:
    templates = sorted(local_assembly.glob("*.template.json"))
    assert len(templates) >= 2, "no templates in the assembly: this test compares nothing"
    expected = {path.name: _moto_parse(path.read_text()) for path in templates}

    with moto_startup.applied():
        parsed = {path.name: _moto_parse(path.read_text()) for path in templates}

    assert parsed == expected
    assert all(isinstance(value, dict) and value.get("Resources") for value in parsed.values())


@pytest.mark.parametrize(
    "template",
    [
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Name\n",
        '{"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "\\ud83d\\ude00 \\/"}}}}',
        "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n",
    ],
    ids=["yaml-with-a-tag", "json-with-escapes", "yaml-flow"],
)
def test_yaml_goes_to_moto_and_json_reads_as_json(template: str) -> None:
    with moto_startup.applied():
        parsed = _moto_parse(template)

    if template.lstrip().startswith("{"):
        assert parsed == json.loads(template)
        assert parsed["Resources"]["T"]["Properties"]["DisplayName"] == "\N{GRINNING FACE} /"
    else:
        assert parsed == _moto_parse(template)


def test_undo_restores_moto() -> None:
    from moto.cloudformation.models import Stack
    from moto.kms import models as kms_models

    before = (Stack.__dict__["parse_template"].__func__, kms_models.generate_private_key)
    with moto_startup.applied():
        assert kms_models.generate_private_key is not before[1]
    assert (Stack.__dict__["parse_template"].__func__, kms_models.generate_private_key) == before


def _backend_key(key_id: str) -> object:
    from moto.kms.models import kms_backends

    return kms_backends["123456789012"]["eu-west-1"].keys[key_id].private_key


def test_a_symmetric_key_encrypts_without_making_a_key_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with fresh_aws(), moto_startup.applied():
        kms = shared_client("kms")
        key_id = kms.create_key(Description="data")["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]

        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
        lazy = _backend_key(key_id)
        assert isinstance(lazy, moto_startup.LazyPrivateKey) and not lazy.generated


def test_an_asymmetric_key_signs_verifies_and_gives_its_public_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with fresh_aws(), moto_startup.applied():
        kms = shared_client("kms")
        key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]["KeyId"]
        assert not _backend_key(key_id).generated  # type: ignore[attr-defined]
        signature = kms.sign(KeyId=key_id, Message=b"note", MessageType="RAW", SigningAlgorithm="RSASSA_PSS_SHA_256")[
            "Signature"
        ]

        def verify(message: bytes) -> bool:
            return bool(
                kms.verify(
                    KeyId=key_id,
                    Message=message,
                    MessageType="RAW",
                    Signature=signature,
                    SigningAlgorithm="RSASSA_PSS_SHA_256",
                )["SignatureValid"]
            )

        assert verify(b"note")
        assert not verify(b"forged")
        public = load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
        assert public.key_size == 2048  # type: ignore[union-attr]
        assert _backend_key(key_id).generated  # type: ignore[attr-defined]
