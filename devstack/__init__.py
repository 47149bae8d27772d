"""The local stack (本地联调环境): moto, `chalice local`, an SQS pump, a schedule
timer, a callback sink and the demo directory, started by `python -m devstack`.

Development tooling only: it lives outside `chalicelib`, so it is never deployed.
"""
