#!/usr/bin/env python3
"""CDK app: one stack per stage, `cdk deploy --context stage=dev` (see "Deploying to AWS" in README.md).

Runs `chalice package` on the project (through `chalice.cdk.Chalice`), which
imports the project's `app.py`: the stage's environment is set first, since
table and queue names are computed from it at import. Needs no AWS
credentials to synthesize.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
# The project first: Chalice imports "app", which must be the project's app.py, not this file.
sys.path[:0] = [str(ROOT), str(INFRA)]

import aws_cdk as cdk  # noqa: E402

from hewei_infra.config import StageConfig, prepare_environment  # noqa: E402


def main() -> None:
    # Context given to the CLI (--context) arrives in CDK_CONTEXT_JSON; `make synth` sets it too.
    context = json.loads((INFRA / "cdk.json").read_text()).get("context", {})
    app = cdk.App(outdir=os.environ.get("CDK_OUTDIR") or str(INFRA / "cdk.out"), context=context)
    config = StageConfig.from_context(app.node.try_get_context)
    prepare_environment(config)
    from hewei_infra.stack import HeweiStack

    HeweiStack(app, config.stack_name, config=config, stack_name=config.stack_name,
               synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=True))
    app.synth()


if __name__ == "__main__":
    main()
