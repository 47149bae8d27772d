"""Composition root: builds the adapters and use cases once per process, lazily.

Every part is a production default that a caller may override by name, as in
cosmicpython's `bootstrap`: `Container(clock=fixed, case_store=FakeCaseStore())`
builds the use cases on the given parts and the defaults for the rest. Nothing
here runs at import time, so importing `app.py` makes no AWS call, and each part
imports its own module when it is first built: a function imports the use cases
it runs and their adapters, not the whole service (the routing worker never
imports openpyxl, python-docx or the HTTP request models).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parts' types; each part imports its own module when first built
    from .adapters.attachment_files import S3AttachmentFiles
    from .adapters.attachment_store import AttachmentStore
    from .adapters.calendar_store import CalendarStore
    from .adapters.callback_log import CallbackLog
    from .adapters.case_store import CaseStore
    from .adapters.directory_store import DirectoryStore
    from .adapters.exports import ExportJobStore, S3ExportFiles
    from .adapters.metrics import PowertoolsMetrics
    from .adapters.notification_outbox import NotificationOutbox
    from .adapters.patrol_store import PatrolStore
    from .adapters.queues import QueuePublisher
    from .adapters.replay_guard import ReplayGuard
    from .adapters.stats_store import StatsStore
    from .adapters.tokens import HS256Tokens
    from .adapters.try_counter import TryCounter
    from .adapters.webhooks import HttpWebhookClient
    from .services.actions import CaseActions
    from .services.agreement_documents import AgreementDocuments
    from .services.analysis import AnalysisService
    from .services.attachments import AttachmentService
    from .services.audit import AccessAudit
    from .services.auth import Authenticator, TokenService
    from .services.calendar import CalendarService
    from .services.callbacks import CallbackService
    from .services.dashboard import DashboardService
    from .services.demo_sign_in import DemoSignIn
    from .services.directory import DirectoryService
    from .services.intake import IntakeService
    from .services.ledger import LedgerExports
    from .services.ledger_import import LedgerImportService
    from .services.merging import CaseMerger
    from .services.notifications import Notifier
    from .services.patrol_reports import PatrolReports, ReportSweep
    from .config import SmsSettings
    from .services.ports import (AccessLog, AgreementRenderer, Clock, ReportFacts, SendLedgers, SmsSender,
                                 SpreadsheetReader, TokenVerifier)
    from .services.public_cases import PublicCases
    from .services.queries import CaseQueries
    from .services.recount import StatsRecount
    from .services.retention import RetentionHolds, RetentionSweep
    from .services.routing import RoutingService
    from .services.stats import StatsService
    from .services.supervision import SupervisionSweep
    from .services.visits import ReturnVisitSweep


class Container:
    def __init__(self, **overrides):
        unknown = sorted(name for name in overrides if not isinstance(getattr(type(self), name, None), cached_property))
        if unknown:
            raise TypeError(f"no such part to override: {', '.join(unknown)}")
        self.__dict__.update(overrides)  # a cached_property defers to the instance's own value

    @cached_property
    def clock(self) -> Clock:
        from .adapters.clock import utcnow

        return utcnow

    @cached_property
    def settings(self):
        from .config import settings

        return settings()

    @cached_property
    def case_store(self) -> CaseStore:
        from .adapters.case_store import CaseStore

        return CaseStore()

    @cached_property
    def directory_store(self) -> DirectoryStore:
        from .adapters.directory_store import DirectoryStore

        return DirectoryStore()

    @cached_property
    def calendar_store(self) -> CalendarStore:
        from .adapters.calendar_store import CalendarStore

        return CalendarStore()

    @cached_property
    def metrics(self) -> PowertoolsMetrics:
        from .adapters.metrics import PowertoolsMetrics

        return PowertoolsMetrics()

    @cached_property
    def calendar(self) -> CalendarService:
        from .services.calendar import CalendarService

        return CalendarService(self.calendar_store, self.clock)

    @cached_property
    def publisher(self) -> QueuePublisher:
        from .adapters.queues import QueuePublisher

        return QueuePublisher()

    @cached_property
    def token_minter(self) -> HS256Tokens | None:
        from .adapters.tokens import HS256Tokens

        secret = self.settings.jwt_secret
        return HS256Tokens(secret, self.settings.jwt_issuer) if secret else None

    @cached_property
    def token_verifier(self) -> TokenVerifier:
        from .adapters.tokens import JwksVerifier

        if self.settings.jwt_jwks_url:
            return JwksVerifier(self.settings.jwt_jwks_url, self.settings.jwt_issuer)
        if self.token_minter is None:
            raise RuntimeError("no staff token verifier: set HEWEI_JWKS_URL or HEWEI_JWT_SECRET")
        return self.token_minter

    @cached_property
    def replay_guard(self) -> ReplayGuard:
        from .adapters.replay_guard import ReplayGuard

        return ReplayGuard()

    @cached_property
    def authenticator(self) -> Authenticator:
        from .services.auth import Authenticator

        return Authenticator(self.directory_store, self.replay_guard, self.token_verifier,
                             self.settings.secret_key, self.clock)

    @cached_property
    def tokens(self) -> TokenService:
        from .services.auth import TokenService

        return TokenService(self.directory_store, self.token_minter, self.settings.token_ttl_seconds)

    @cached_property
    def demo_sign_in(self) -> DemoSignIn:
        from .services.demo_sign_in import DemoSignIn

        return DemoSignIn(self.directory, self.tokens)

    @cached_property
    def directory(self) -> DirectoryService:
        from .services.directory import DirectoryService

        return DirectoryService(self.directory_store, self.settings.secret_key, self.clock,
                                callback_policy=self.settings.callback_policy)

    @cached_property
    def intake(self) -> IntakeService:
        from .services.intake import IntakeService

        return IntakeService(self.case_store, self.directory_store, self.publisher, self.settings.secret_key,
                             self.clock, self.notifier)

    @cached_property
    def spreadsheet_reader(self) -> SpreadsheetReader:
        from .adapters.xlsx_reader import XlsxReader

        return XlsxReader()

    @cached_property
    def ledger_import(self) -> LedgerImportService:
        from .services.ledger_import import LedgerImportService

        return LedgerImportService(self.spreadsheet_reader, self.intake, self.case_store, self.directory_store,
                                   self.publisher, self.clock)

    @cached_property
    def queries(self) -> CaseQueries:
        from functools import partial

        from .services.intake import phone_pseudonym
        from .services.queries import CaseQueries

        return CaseQueries(self.case_store, partial(phone_pseudonym, self.settings.secret_key))

    @cached_property
    def sms_sender(self) -> SmsSender:
        """The stage's provider (`HEWEI_SMS_PROVIDER`); built by the first send only."""
        from .adapters.sms_credentials import build_sender

        return build_sender(self.sms_settings, self.settings.stage)

    @cached_property
    def webhook(self) -> HttpWebhookClient:
        from .adapters.webhooks import HttpWebhookClient

        return HttpWebhookClient(policy=self.settings.callback_policy)

    @cached_property
    def notifier(self) -> Notifier:
        from .services.notifications import Notifier

        from functools import partial

        from .domain.sms_limits import default_limits
        from .services.notifications import recipient_key

        sms = self.sms_settings
        return Notifier(self.outbox, self.publisher, lambda: self.sms_sender, self.clock, ledgers=self.send_ledgers,
                        recipient_key=partial(recipient_key, self.settings.secret_key),
                        limits=default_limits(sms.per_minute, sms.per_hour), sign_name=sms.sign_name)

    @cached_property
    def sms_settings(self) -> SmsSettings:
        from .config import sms_settings

        return sms_settings()

    @cached_property
    def send_ledgers(self) -> SendLedgers:
        from .adapters.send_ledgers import DynamoSendLedgers

        return DynamoSendLedgers()

    @cached_property
    def outbox(self) -> NotificationOutbox:
        from .adapters.notification_outbox import NotificationOutbox

        return NotificationOutbox()

    @cached_property
    def callbacks(self) -> CallbackService:
        from .services.callbacks import CallbackService

        return CallbackService(self.callback_log, self.directory_store, self.publisher, self.webhook,
                               self.settings.secret_key, self.clock)

    @cached_property
    def callback_log(self) -> CallbackLog:
        from .adapters.callback_log import CallbackLog

        return CallbackLog()

    @cached_property
    def routing(self) -> RoutingService:
        from .services.routing import RoutingService

        return RoutingService(self.case_store, self.directory_store, self.notifier, self.callbacks,
                              self.calendar_store, self.clock)

    @cached_property
    def supervision(self) -> SupervisionSweep:
        from .services.supervision import SupervisionSweep

        return SupervisionSweep(self.case_store, self.directory_store, self.notifier, self.routing, self.callbacks,
                                self.publisher, self.calendar_store, self.metrics, self.clock)

    @cached_property
    def return_visits(self) -> ReturnVisitSweep:
        from .services.visits import ReturnVisitSweep

        return ReturnVisitSweep(self.case_store, self.directory_store, self.notifier, self.publisher, self.clock)

    @cached_property
    def stats_store(self) -> StatsStore:
        from .adapters.stats_store import StatsStore

        return StatsStore()

    @cached_property
    def stats(self) -> StatsService:
        from .services.stats import StatsService

        return StatsService(self.stats_store, self.stats_store.names)

    @cached_property
    def recount(self) -> StatsRecount:
        from .services.recount import StatsRecount

        return StatsRecount(self.case_store, self.clock)

    @cached_property
    def analysis(self) -> AnalysisService:
        from .services.analysis import AnalysisService

        return AnalysisService(self.stats_store, self.case_store, self.stats_store.names, self.clock)

    @cached_property
    def actions(self) -> CaseActions:
        from .services.actions import CaseActions

        return CaseActions(self.case_store, self.queries, self.directory_store, self.notifier, self.callbacks,
                           self.publisher, self.calendar_store, self.clock)


    @cached_property
    def merger(self) -> CaseMerger:
        from .services.merging import CaseMerger

        return CaseMerger(self.case_store, self.queries, self.callbacks, self.publisher, self.settings.secret_key,
                          self.clock)

    @cached_property
    def patrol_store(self) -> PatrolStore:
        from .adapters.patrol_store import PatrolStore

        return PatrolStore()

    @cached_property
    def report_facts(self) -> ReportFacts:
        return self.stats_store

    @cached_property
    def patrol_reports(self) -> PatrolReports:
        from .services.patrol_reports import PatrolReports

        return PatrolReports(self.patrol_store, self.directory_store, self.report_facts, self.case_store, self.clock)

    @cached_property
    def report_sweep(self) -> ReportSweep:
        from .services.patrol_reports import ReportSweep

        return ReportSweep(self.patrol_store, self.directory_store, self.notifier, self.publisher, self.clock)

    @cached_property
    def export_jobs(self) -> ExportJobStore:
        from .adapters.exports import ExportJobStore

        return ExportJobStore()

    @cached_property
    def export_files(self) -> S3ExportFiles:
        from .adapters.exports import S3ExportFiles

        return S3ExportFiles()

    @cached_property
    def ledger(self) -> LedgerExports:
        from .adapters.bootstrap import DLQ_MAX_RECEIVE_COUNT, QUEUE_VISIBILITY_SECONDS
        from .adapters.ledger_files import write_ledger  # openpyxl's import (~0.1 s) only where ledgers are written
        from .services.ledger import LedgerExports

        tries = dt.timedelta(seconds=DLQ_MAX_RECEIVE_COUNT * QUEUE_VISIBILITY_SECONDS["exports"])
        return LedgerExports(self.case_store, self.stats_store, self.stats_store.names, self.export_jobs,
                             self.export_files, self.publisher, write_ledger, self.clock,
                             max_attempts=DLQ_MAX_RECEIVE_COUNT, give_up_after=tries)

    @cached_property
    def agreement_renderer(self) -> AgreementRenderer:
        from .adapters.agreement_docx import DocxAgreementRenderer

        return DocxAgreementRenderer()

    @cached_property
    def agreement_documents(self) -> AgreementDocuments:
        from .services.agreement_documents import AgreementDocuments

        return AgreementDocuments(self.queries, self.directory_store, self.agreement_renderer)

    @cached_property
    def attachment_store(self) -> AttachmentStore:
        from .adapters.attachment_store import AttachmentStore

        return AttachmentStore()

    @cached_property
    def attachment_files(self) -> S3AttachmentFiles:
        from .adapters.attachment_files import S3AttachmentFiles

        return S3AttachmentFiles()

    @cached_property
    def attachments(self) -> AttachmentService:
        from .services.attachments import AttachmentService

        return AttachmentService(self.queries, self.case_store, self.attachment_store, self.attachment_files,
                                 self.clock)


    @cached_property
    def try_counter(self) -> TryCounter:
        from .adapters.try_counter import TryCounter

        return TryCounter()

    @cached_property
    def public_cases(self) -> PublicCases:
        from .services.public_cases import PublicCases

        return PublicCases(self.case_store, self.try_counter, self.directory_store, self.notifier, self.clock)

    @cached_property
    def access_log(self) -> AccessLog:
        from .adapters.access_log import DynamoAccessLog

        return DynamoAccessLog()

    @cached_property
    def audit(self) -> AccessAudit:
        from .services.audit import AccessAudit

        return AccessAudit(self.access_log, self.queries, self.clock)


    @cached_property
    def retention(self) -> RetentionSweep:
        from .services.retention import RetentionSweep

        return RetentionSweep(self.case_store, self.directory_store, self.notifier, self.publisher, self.outbox,
                              self.attachment_store, self.attachment_files, self.clock)

    @cached_property
    def retention_holds(self) -> RetentionHolds:
        from .services.retention import RetentionHolds

        return RetentionHolds(self.case_store, self.queries, self.clock)

    @cached_property
    def dashboard(self) -> DashboardService:
        from .services.dashboard import DashboardService

        return DashboardService(self.stats_store, self.case_store, self.directory_store, self.stats_store.names,
                                self.clock)


container = Container()
"""The process's one container. Tests replace it with `reset()`."""


def reset(**overrides) -> Container:
    """A new process container, with `overrides` (see `Container`)."""
    global container
    container = Container(**overrides)
    return container


def current() -> Container:
    return container

