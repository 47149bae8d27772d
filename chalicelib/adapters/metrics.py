"""Operational metrics as CloudWatch embedded metric format (EMF) lines, through Powertools.

Each value is flushed at once as one log line (`single_metric`): no handler
decorator has to remember to flush, and the Lambda's log group is all the
infrastructure a metric needs (no PutMetricData permission, no extra call).
Powertools' metrics module is imported on first use, not with the API.
"""

from __future__ import annotations

from ..config import SERVICE

NAMESPACE = "Hewei"


class PowertoolsMetrics:
    def __init__(self, namespace: str = NAMESPACE, service: str = SERVICE):
        self._namespace = namespace
        self._service = service

    def gauge(self, name: str, value: float, unit: str = "Count") -> None:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric  # only the sweep needs it

        with single_metric(name=name, unit=MetricUnit(unit), value=value, namespace=self._namespace) as metric:
            metric.add_dimension(name="service", value=self._service)
