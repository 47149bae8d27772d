"""The environment of a bench that runs the service on moto in-process: fake AWS credentials, the
local stage's names, fixed keys, quiet logs, and no endpoint that would send boto3 elsewhere.
Imported first (before anything imports `chalicelib`, whose names are read from it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.update(
    AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
    HEWEI_STAGE="local", HEWEI_RESOURCE_PREFIX="hewei-local-",
    HEWEI_SECRET_KEY="bench-master-key-0123456789abcdef0123", HEWEI_JWT_SECRET="bench-jwt-secret-0123456789abcdef0123",
    POWERTOOLS_LOG_LEVEL="WARNING",
)
os.environ.pop("AWS_ENDPOINT_URL", None)
