"""The S3 front's checks, against presigned requests made by botocore itself (no emulator needed).

What S3 enforces on a browser upload: the policy's signature and expiry, every condition, and no
form field outside the conditions; on a presigned GET: the signature over host, path and query,
and the expiry.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from localmode.s3_front import PolicyRejected, check_post_policy, presigned_get_problem

REGION = "us-east-1"
ACCESS_KEY, SECRET, TOKEN = "ASIAFRONTTEST", "front-secret", "session-token"
BUCKET, KEY = "files-bucket", "files/alice/0001"


def _lookup(access_key: str) -> tuple[str, str | None] | None:
    return (SECRET, TOKEN) if access_key == ACCESS_KEY else None


def _client(secret: str = SECRET) -> object:
    return boto3.session.Session().client(
        "s3",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=secret,
        aws_session_token=TOKEN,
        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),
    )


def _post(secret: str = SECRET, expires: int = 300) -> dict[str, str]:
    answer = _client(secret).generate_presigned_post(  # type: ignore[attr-defined]
        Bucket=BUCKET,
        Key=KEY,
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 1, 100]],
        ExpiresIn=expires,
    )
    return dict(answer["fields"])


def _check(fields: dict[str, str], size: int = 10, **kwargs: object) -> None:
    check_post_policy(bucket=BUCKET, fields=fields, size=size, lookup=_lookup, **kwargs)  # type: ignore[arg-type]


def test_a_presigned_post_within_its_policy_is_accepted() -> None:
    _check(_post())


@pytest.mark.parametrize(
    ("change", "size", "code"),
    [
        ({"Content-Type": "text/html"}, 10, "AccessDenied"),
        ({"key": "files/bob/0001"}, 10, "AccessDenied"),
        ({"x-extra": "1"}, 10, "AccessDenied"),
        ({}, 101, "EntityTooLarge"),
        ({}, 0, "EntityTooSmall"),
        ({"x-amz-signature": "0" * 64}, 10, "SignatureDoesNotMatch"),
        ({"x-amz-security-token": "other"}, 10, "InvalidToken"),
    ],
)
def test_what_s3_refuses_is_refused(change: dict[str, str], size: int, code: str) -> None:
    with pytest.raises(PolicyRejected) as raised:
        _check({**_post(), **change}, size=size)
    assert raised.value.code == code


def test_a_policy_signed_with_another_secret_does_not_verify() -> None:
    with pytest.raises(PolicyRejected, match="signature"):
        _check(_post(secret="not-the-secret"))


def test_an_expired_policy_is_refused() -> None:
    fields = _post(expires=60)
    with pytest.raises(PolicyRejected, match="Policy expired"):
        _check(fields, now=datetime.now(UTC) + timedelta(minutes=5))


def test_an_unknown_access_key_is_refused() -> None:
    fields = _post()
    policy = fields["x-amz-credential"].replace(ACCESS_KEY, "AKIAUNKNOWN")
    with pytest.raises(PolicyRejected) as raised:
        _check({**fields, "x-amz-credential": policy})
    assert raised.value.code == "InvalidAccessKeyId"


def test_the_policy_binds_bucket_key_and_type() -> None:
    conditions = json.loads(base64.b64decode(_post()["policy"]))["conditions"]
    assert {"bucket": BUCKET} in conditions and {"key": KEY} in conditions
    with pytest.raises(PolicyRejected):
        check_post_policy(bucket="other-bucket", fields=_post(), size=10, lookup=_lookup)


def _presigned_get(expires: int = 300) -> tuple[str, str, str]:
    url = _client().generate_presigned_url(  # type: ignore[attr-defined]
        "get_object",
        Params={
            "Bucket": BUCKET,
            "Key": KEY,
            "ResponseContentDisposition": "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9 v2.pdf",
        },
        ExpiresIn=expires,
    )
    split = urlsplit(url)
    return split.netloc, split.path, split.query


def test_a_presigned_get_verifies() -> None:
    host, path, query = _presigned_get()
    presigned_get_problem(host=host, path=path, query=query, lookup=_lookup)


@pytest.mark.parametrize("part", ["host", "path", "query"])
def test_a_changed_presigned_get_does_not_verify(part: str) -> None:
    host, path, query = _presigned_get()
    changed = {
        "host": ("127.0.0.1:10", path, query),
        "path": (host, path.replace("alice", "bob"), query),
        "query": (host, path, query.replace("attachment", "inline")),
    }[part]
    with pytest.raises(PolicyRejected) as raised:
        presigned_get_problem(host=changed[0], path=changed[1], query=changed[2], lookup=_lookup)
    assert raised.value.code == "SignatureDoesNotMatch"


def test_an_expired_presigned_get_is_refused() -> None:
    host, path, query = _presigned_get(expires=60)
    with pytest.raises(PolicyRejected, match="expired"):
        presigned_get_problem(
            host=host, path=path, query=query, lookup=_lookup, now=datetime.now(UTC) + timedelta(minutes=5)
        )
