"""Shared fixtures. The environment is set before any project import, since
table and queue names are read from it when the models are defined."""

from __future__ import annotations

import os

os.environ.update(
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    HEWEI_STAGE="local",
    HEWEI_RESOURCE_PREFIX="hewei-local-",  # as the local stage of .chalice/config.json
    HEWEI_SECRET_KEY="test-master-key-0123456789abcdef0123",
    HEWEI_JWT_SECRET="test-jwt-secret-0123456789abcdef0123456",
    HEWEI_CALLBACK_ALLOW_LOOPBACK="1",  # as the local stack's runner: receivers listen on 127.0.0.1
)
os.environ.pop("AWS_ENDPOINT_URL", None)
