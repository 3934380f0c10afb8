"""WAF body limits the kit's web ACL works with (pure Python: local mode and verify import it without CDK)."""

from __future__ import annotations

#: The AWS common rule set's own body-size rule (it blocks bodies over 8 KB).
WAF_COMMON_BODY_SIZE_RULE = "SizeRestrictions_BODY"
WAF_COMMON_BODY_SIZE_BYTES = 8 * 1024
#: Largest body inspection limit WAF offers for API Gateway (16, 32, 48 or 64 KB).
WAF_MAX_BODY_INSPECTION_BYTES = 64 * 1024
