"""Every route of the API, as data: what the Chalice app needs to route a request without
importing the module that answers it.

The API function registers one Chalice route per entry (`service.register_api`), and a
route's module is imported when the route is first asked for: a cold start imports none of
them, and a warm container only those of the routes it served. `ROUTES` is written from the
modules' own declarations by `python -m chalicelib.api.service` (a test fails when it is not
up to date, naming the command); nothing here imports anything.
"""

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BINARY_TYPES = (XLSX, DOCX)
"""Media types whose bodies travel as bytes (base64 through API Gateway): the app declares them."""
ROUTE_CONTENT_TYPES = ["*/*"]
"""Chalice accepts every content type, so that a wrong one gets the route's problem+json 415, not Chalice's."""

ROUTE_MODULES = (
    "chalicelib.api.routes", "chalicelib.api.analysis", "chalicelib.api.attachments", "chalicelib.api.calendar",
    "chalicelib.api.case_actions", "chalicelib.api.console", "chalicelib.api.dashboard", "chalicelib.api.docs",
    "chalicelib.api.documents", "chalicelib.api.ledger", "chalicelib.api.ledger_import", "chalicelib.api.ops",
    "chalicelib.api.patrol_reports", "chalicelib.api.public", "chalicelib.api.retention", "chalicelib.api.stats",
)
"""The modules that declare routes: the core ones (discovery, directory, cases), the monthly
analysis, §14 attachments and dossier, the working calendar, the case actions, the console, the
supervisor dashboard, the API documentation, the agreement document, the ledgers and their
import, operations, patrol reports, the public lookup, the §16 retention hold, statistics."""

# (method, path, view name, module): written by `python -m chalicelib.api.service`.
ROUTES = (
    ('GET', '/v1/meta', 'meta', 'chalicelib.api.routes'),
    ('GET', '/openapi.json', 'openapi_document', 'chalicelib.api.routes'),
    ('POST', '/v1/tokens', 'mint_token', 'chalicelib.api.routes'),
    ('POST', '/v1/regions', 'add_region', 'chalicelib.api.routes'),
    ('GET', '/v1/regions', 'list_regions', 'chalicelib.api.routes'),
    ('GET', '/v1/regions/{code}', 'get_region', 'chalicelib.api.routes'),
    ('POST', '/v1/orgs', 'add_org', 'chalicelib.api.routes'),
    ('GET', '/v1/orgs', 'list_orgs', 'chalicelib.api.routes'),
    ('GET', '/v1/orgs/{org_id}', 'get_org', 'chalicelib.api.routes'),
    ('POST', '/v1/mediators', 'add_mediator', 'chalicelib.api.routes'),
    ('GET', '/v1/mediators', 'list_mediators', 'chalicelib.api.routes'),
    ('GET', '/v1/mediators/{mediator_id}', 'get_mediator', 'chalicelib.api.routes'),
    ('PATCH', '/v1/mediators/{mediator_id}', 'change_mediator', 'chalicelib.api.routes'),
    ('POST', '/v1/partners', 'add_partner', 'chalicelib.api.routes'),
    ('GET', '/v1/partners', 'list_partners', 'chalicelib.api.routes'),
    ('GET', '/v1/partners/{partner_id}', 'get_partner', 'chalicelib.api.routes'),
    ('PATCH', '/v1/partners/{partner_id}', 'change_partner', 'chalicelib.api.routes'),
    ('POST', '/v1/cases', 'file_case', 'chalicelib.api.routes'),
    ('GET', '/v1/cases', 'list_cases', 'chalicelib.api.routes'),
    ('GET', '/v1/cases/{case_id}', 'get_case', 'chalicelib.api.routes'),
    ('GET', '/v1/cases/{case_id}/events', 'case_events', 'chalicelib.api.routes'),
    ('GET', '/v1/cases/{case_id}/notifications', 'case_notifications', 'chalicelib.api.routes'),
    ('GET', '/v1/cases/{case_id}/supervision-letters', 'case_supervision_letters', 'chalicelib.api.routes'),
    ('GET', '/v1/cases/{case_id}/access-log', 'case_access_log', 'chalicelib.api.routes'),
    ('GET', '/v1/ledger/access-log', 'ledger_access_log', 'chalicelib.api.routes'),
    ('GET', '/v1/reports/analysis', 'monthly_analysis', 'chalicelib.api.analysis'),
    ('POST', '/v1/cases/{case_id}/attachments', 'create_attachment', 'chalicelib.api.attachments'),
    ('POST', '/v1/cases/{case_id}/attachments/{attachment_id}/complete', 'complete_attachment', 'chalicelib.api.attachments'),
    ('GET', '/v1/cases/{case_id}/attachments', 'list_attachments', 'chalicelib.api.attachments'),
    ('GET', '/v1/cases/{case_id}/attachments/{attachment_id}', 'get_attachment', 'chalicelib.api.attachments'),
    ('GET', '/v1/cases/{case_id}/dossier', 'case_dossier', 'chalicelib.api.attachments'),
    ('GET', '/v1/calendar/{year}', 'get_calendar_year', 'chalicelib.api.calendar'),
    ('PUT', '/v1/calendar/{year}', 'put_calendar_year', 'chalicelib.api.calendar'),
    ('POST', '/v1/cases/{case_id}/accept', 'accept_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/decline', 'decline_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/escalate', 'escalate_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/note', 'note_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/resolve', 'resolve_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/fail', 'fail_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/visit', 'visit_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/close', 'close_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/withdraw', 'withdraw_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/request_extension', 'request_extension_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/decide_extension', 'decide_extension_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/suspend', 'suspend_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/resume', 'resume_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/transfer', 'transfer_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/judicial_confirmation', 'judicial_confirmation_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/add_participant', 'add_participant_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/schedule_session', 'schedule_session_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/sponsor', 'sponsor_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/merge', 'merge_case', 'chalicelib.api.case_actions'),
    ('POST', '/v1/cases/{case_id}/{action}', 'unknown_action', 'chalicelib.api.case_actions'),
    ('GET', '/console', 'console_index', 'chalicelib.api.console'),
    ('GET', '/console/{name}', 'console_asset', 'chalicelib.api.console'),
    ('GET', '/v1/me', 'me', 'chalicelib.api.console'),
    ('GET', '/v1/local/staff', 'demo_staff', 'chalicelib.api.console'),
    ('POST', '/v1/local/tokens', 'demo_token', 'chalicelib.api.console'),
    ('GET', '/v1/dashboard', 'dashboard', 'chalicelib.api.dashboard'),
    ('GET', '/docs', 'docs_page', 'chalicelib.api.docs'),
    ('GET', '/docs/{name}', 'docs_file', 'chalicelib.api.docs'),
    ('GET', '/v1/cases/{case_id}/documents/agreement.docx', 'agreement_document', 'chalicelib.api.documents'),
    ('GET', '/v1/ledger', 'case_ledger', 'chalicelib.api.ledger'),
    ('GET', '/v1/exports/{export_id}', 'ledger_export', 'chalicelib.api.ledger'),
    ('POST', '/v1/ledger/imports', 'import_ledger', 'chalicelib.api.ledger_import'),
    ('POST', '/v1/ops/sweeps/supervision', 'run_supervision_sweep', 'chalicelib.api.ops'),
    ('POST', '/v1/ops/sweeps/return-visits', 'run_return_visit_sweep', 'chalicelib.api.ops'),
    ('POST', '/v1/ops/stats/recount', 'recount_stats', 'chalicelib.api.ops'),
    ('POST', '/v1/ops/sweeps/retention', 'run_retention_sweep', 'chalicelib.api.ops'),
    ('POST', '/v1/sensitive-periods', 'declare_sensitive_period', 'chalicelib.api.patrol_reports'),
    ('GET', '/v1/sensitive-periods', 'list_sensitive_periods', 'chalicelib.api.patrol_reports'),
    ('PUT', '/v1/orgs/{org_id}/reports/{period}', 'submit_patrol_report', 'chalicelib.api.patrol_reports'),
    ('GET', '/v1/orgs/{org_id}/reports/{period}', 'get_patrol_report', 'chalicelib.api.patrol_reports'),
    ('GET', '/v1/reports', 'report_roll_call', 'chalicelib.api.patrol_reports'),
    ('GET', '/v1/orgs/{org_id}/notifications', 'org_notifications', 'chalicelib.api.patrol_reports'),
    ('GET', '/v1/public/cases/{code}', 'public_case', 'chalicelib.api.public'),
    ('POST', '/v1/public/cases/{code}/feedback', 'public_feedback', 'chalicelib.api.public'),
    ('PATCH', '/v1/cases/{case_id}', 'change_case', 'chalicelib.api.retention'),
    ('GET', '/v1/stats', 'stats', 'chalicelib.api.stats'),
    ('GET', '/v1/stats/ranking', 'stats_ranking', 'chalicelib.api.stats'),
)
