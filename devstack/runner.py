"""`python -m devstack` (what `make run` calls): the whole local stack in one command.

1. moto's threaded server (DynamoDB, SQS, SNS) in this process, its DynamoDB
   calls atomic as in AWS (`aws.py`), and the service's tables and queues
   from `chalicelib.adapters.bootstrap`;
2. a callback sink for the demo partner;
3. `chalice local` as a subprocess, with the same environment;
4. an SQS pump and a schedule timer invoking the app's handlers in this process;
5. the demo directory, seeded through the API as admin, when the state is new;
6. `<local dir>/credentials.json` (contract §1), with a new admin token each start;
7. with `HEWEI_SMS_PROVIDER=aliyun` or `tencent`, a stand-in for that SMS provider
   (`devstack.sms_provider`), checking signatures as the provider does, with fresh
   credentials each run; what it got is at `GET http://127.0.0.1:<HEWEI_SMS_PORT>/_messages`.
   Otherwise (`sns`, the default) SMS go to moto's SNS.

The state persists in the local directory (`devstack.state`): moto's backends
in `aws-state.pickle` (saved within seconds of a change and on stop, restored
on start), the callbacks in `callbacks.jsonl`. The partner's key id lives in
the directory and the master key in the state, so its secret stays the same.
`make reset` deletes the directory.

Ctrl-C or SIGTERM stops everything, saves the state and exits 0.

Settings (environment): HEWEI_PORT (8000), HEWEI_MOTO_PORT (5005),
HEWEI_CALLBACK_PORT (8001), HEWEI_SMS_PORT (8002, the SMS provider's stand-in),
HEWEI_SMS_PROVIDER (sns), HEWEI_LOCAL_DIR (`.local` in the project directory).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .pump import parse_schedule, queue_name_of

log = logging.getLogger("devstack")

HOST = "127.0.0.1"
REGION = "us-east-1"
STAGE = "local"
RESOURCE_PREFIX = "hewei-local-"
API_READY_TIMEOUT_SECONDS = 60.0
PROJECT_DIR = Path(__file__).resolve().parent.parent


class StartupError(RuntimeError):
    """The stack could not start; the message says why."""


@dataclass(frozen=True)
class RunnerConfig:
    api_port: int
    moto_port: int
    callback_port: int
    local_dir: Path
    sms_port: int = 8002
    sms_provider: str = "sns"
    """`sns` (moto's), or the mainland provider the stand-in plays: `aliyun`, `tencent`."""

    @classmethod
    def from_env(cls) -> RunnerConfig:
        return cls(
            api_port=int(os.environ.get("HEWEI_PORT", "8000")),
            moto_port=int(os.environ.get("HEWEI_MOTO_PORT", "5005")),
            callback_port=int(os.environ.get("HEWEI_CALLBACK_PORT", "8001")),
            local_dir=Path(os.environ["HEWEI_LOCAL_DIR"]) if os.environ.get("HEWEI_LOCAL_DIR") else PROJECT_DIR / ".local",
            sms_port=int(os.environ.get("HEWEI_SMS_PORT", "8002")),
            sms_provider=(os.environ.get("HEWEI_SMS_PROVIDER") or "sns").strip().lower(),
        )

    @property
    def uses_sms_stand_in(self) -> bool:
        return self.sms_provider != "sns"

    @property
    def ports(self) -> list[int]:
        """The ports this stack listens on."""
        return [self.moto_port, self.api_port, self.callback_port] + ([self.sms_port] if self.uses_sms_stand_in else [])

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def aws_endpoint_url(self) -> str:
        return f"http://{HOST}:{self.moto_port}"

    @property
    def credentials_path(self) -> Path:
        return self.local_dir / "credentials.json"


# ---------------------------------------------------------------- environment


def stack_environment(config: RunnerConfig, secret_key: str, sms: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the app, both in `chalice local` and in this process's handlers.

    The stage's variables from `.chalice/config.json` first, then the local
    stack's contract: moto endpoint, fake credentials, a fresh token secret per
    run, and the state's master key (`secret_key`: partner secrets, pseudonyms);
    then `sms`, the SMS provider's stand-in (`sms_environment`) when there is one.
    """
    chalice_config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env: dict[str, str] = dict(chalice_config.get("environment_variables", {}))
    env.update(chalice_config.get("stages", {}).get(STAGE, {}).get("environment_variables", {}))
    env.update(
        AWS_ENDPOINT_URL=config.aws_endpoint_url,
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        HEWEI_STAGE=STAGE,
        HEWEI_RESOURCE_PREFIX=RESOURCE_PREFIX,
        HEWEI_JWT_SECRET=secrets.token_urlsafe(32),
        HEWEI_SECRET_KEY=secret_key,
        HEWEI_JWT_ISSUER="hewei",
        HEWEI_CALLBACK_ALLOW_LOOPBACK="1",  # the demo partner's callback sink listens on 127.0.0.1
    )
    env.update(sms or {})
    return env


def sms_environment(provider: str, url: str, credentials: dict[str, str], app_id: str | None) -> dict[str, str]:
    """What sends the app's SMS to the stand-in: the provider, its endpoint, this run's credentials
    and (Tencent Cloud) the SMS application's id."""
    env = {"HEWEI_SMS_PROVIDER": provider, "HEWEI_SMS_ENDPOINT": url,
           "HEWEI_SMS_CREDENTIALS": json.dumps(credentials)}
    if provider == "tencent" and app_id:
        env["HEWEI_SMS_APP_ID"] = app_id
    return env


def _start_sms_stand_in(config: RunnerConfig) -> tuple[Any, dict[str, str]]:
    """The stand-in of `config.sms_provider` on its port, and the environment that sends to it;
    the sign name, SmsSdkAppId and extra template codes are the ones the environment gives."""
    from chalicelib.config import MissingSetting, read_sms_settings

    from .sms_provider import SmsProviderStandIn, StandInCredentials

    try:  # as the app will read them (not cached: the app reads them again with the stand-in's endpoint)
        settings = read_sms_settings()
    except MissingSetting as exc:
        raise StartupError(str(exc)) from None
    extra = {code: name for name, code in settings.template_codes.items()}
    credentials = StandInCredentials.fresh()
    app_id = settings.app_id or f"14{secrets.randbelow(10 ** 8):08d}"
    try:
        stand_in = SmsProviderStandIn(credentials, sign_name=settings.sign_name,
                                      app_id=app_id, extra_templates=extra, port=config.sms_port)
    except (OSError, ValueError) as exc:
        raise StartupError(f"the SMS provider's stand-in: {exc}") from exc
    stand_in.start()
    return stand_in, sms_environment(config.sms_provider, stand_in.url,
                                     credentials.for_provider(config.sms_provider), app_id)


def _apply_environment(env: dict[str, str]) -> None:
    """Set the stack's variables here, dropping any that would send boto3 elsewhere."""
    for name in list(os.environ):
        if name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN") or name.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[name]
    os.environ.update(env)


# ------------------------------------------------------------------ processes


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _chalice_command(config: RunnerConfig) -> list[str]:
    """`chalice local`'s server, run by `devstack.local_api` from this interpreter: one log line
    per request and problem+json for unknown paths and methods (see that module). It exits when
    this process is gone, even killed with SIGKILL (`--parent-pid`): never an orphan on the port.

    Without a reloader: it would restart on any file written under the
    project (credentials, caches), and could not reload this process's handlers.
    """
    return [sys.executable, "-m", "devstack.local_api", "--stage", STAGE, "--host", HOST,
            "--port", str(config.api_port), "--parent-pid", str(os.getpid())]


def _start_chalice(config: RunnerConfig) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        _chalice_command(config),
        cwd=PROJECT_DIR,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches the runner only; it stops chalice itself
    )


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _wait_for_api(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait until `GET /v1/meta` gets an HTTP answer (any status) from `chalice local`."""
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartupError(f"chalice local exited with code {process.returncode} before serving")
        try:
            with opener.open(f"{base_url}/v1/meta", timeout=2) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
            continue
        if status != 200:
            log.warning("GET /v1/meta answered %d", status)
        return
    raise StartupError(f"chalice local did not answer on {base_url} within {timeout:.0f} s")


# -------------------------------------------------------------------- workers


def _import_app() -> Any:
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))
    return importlib.import_module("app").app


def _start_workers(app: Any, stop: threading.Event) -> list[threading.Thread]:
    """One pump per SQS event source, one timer for every schedule; others are reported."""
    import boto3
    from chalice.app import ScheduledEventConfig, SQSEventConfig

    from .workers import ScheduledJob, ScheduleTimer, SqsPump

    threads: list[threading.Thread] = []
    jobs: list[ScheduledJob] = []
    now = dt.datetime.now(dt.timezone.utc)
    for source in app.event_sources:
        handler = app.handler_map[source.name]
        if isinstance(source, SQSEventConfig):
            sqs = boto3.client("sqs")
            queue = queue_name_of(source.queue, source.queue_arn)
            try:
                url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            except sqs.exceptions.QueueDoesNotExist:
                log.warning("pump: %s listens to %s, which does not exist; not pumped", source.name, queue)
                continue
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            threads.append(SqsPump(source.name, handler, sqs, url, arn, source.batch_size, REGION, stop))
            log.info("pump: %s <- %s (batch %d)", source.name, queue, source.batch_size)
        elif isinstance(source, ScheduledEventConfig):
            try:
                schedule = parse_schedule(source.schedule_expression, anchor=now)
            except ValueError as exc:
                log.warning("timer: %s not scheduled: %s", source.name, exc)
                continue
            jobs.append(ScheduledJob(source.name, handler, schedule))
            log.info("timer: %s %s", source.name, schedule.expression)
        else:
            log.warning("%s: %s event sources are not emulated locally", source.name, type(source).__name__)
    threads.append(ScheduleTimer(jobs, REGION, stop))
    for thread in threads:
        thread.start()
    return threads


def _stop_workers(stop: threading.Event, threads: list[threading.Thread]) -> None:
    stop.set()
    deadline = time.monotonic() + 10
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.monotonic()))


# ---------------------------------------------------------------- credentials


def _write_credentials(path: Path, content: dict[str, Any]) -> None:
    """Write atomically, readable by the owner only: a reader never sees half a file."""
    from .state import write_atomically

    write_atomically(path, (json.dumps(content, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd()))
    return str(path.resolve())


# ----------------------------------------------------------------------- main


def _quietly(what: str, action: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    try:
        action(*args, **kwargs)
    except Exception as exc:
        log.warning("stopping %s: %s", what, exc)


def _restore_state(state: Any) -> Any:
    from .state import StateError

    log.info("state: reading %s", _shown(state.path))
    try:
        restored = state.load()
    except StateError as exc:
        raise StartupError(str(exc)) from exc
    if restored is None:
        log.info("state: none yet, starting afresh")
    else:
        saved_at = dt.datetime.fromtimestamp(restored.saved_at).astimezone().isoformat(timespec="seconds")
        log.info("state: restored (%d KB, saved %s)", max(1, restored.size // 1024), saved_at)
    return restored


def _run(config: RunnerConfig, cleanup: contextlib.ExitStack) -> int:
    """Start everything, registering each stop in `cleanup`; block until chalice exits."""
    os.environ["HEWEI_STAGE"] = STAGE  # explicitly: the app refuses to guess its stage
    log.info("starting moto (DynamoDB, SQS, SNS, S3)")
    from .aws import LocalAws
    from .state import STATE_FILE_NAME, LocalState, StateKeeper

    state = LocalState(config.local_dir / STATE_FILE_NAME)
    restored = _restore_state(state)
    settings_kept = dict(restored.settings) if restored else {"secret_key": secrets.token_urlsafe(32)}

    moto = LocalAws(ip_address=HOST, port=config.moto_port, verbose=False)
    moto.start()
    cleanup.callback(_quietly, "moto", moto.stop)
    log.info("moto on %s", config.aws_endpoint_url)

    sms_env = None
    if config.uses_sms_stand_in:
        stand_in, sms_env = _start_sms_stand_in(config)
        cleanup.callback(_quietly, "SMS provider stand-in", stand_in.stop)
        log.info("SMS: %s stand-in on %s (what it got: %s/_messages)", config.sms_provider, stand_in.url,
                 stand_in.url)
    else:
        log.info("SMS: Amazon SNS (moto)")
    _apply_environment(stack_environment(config, settings_kept["secret_key"], sms_env))
    from chalicelib.adapters import bootstrap

    queues = bootstrap.create_all()
    log.info("tables, buckets and %d queues %s", len(queues), "checked" if restored else "created")

    keeper = StateKeeper(state, moto.gate, settings_kept)
    keeper.save_if_changed()  # from now on a restart finds this state, and its master key
    keeper.start()
    cleanup.callback(_quietly, "state", _save_last, keeper, state)  # after chalice and the workers stop
    log.info("state: kept in %s (saved within %.0f s of a change, and on stop)",
             _shown(state.path), keeper.interval)

    from .callback_sink import CallbackSink

    journal = config.local_dir / "callbacks.jsonl"
    if not restored:
        journal.unlink(missing_ok=True)  # callbacks of a state that is gone
    sink = CallbackSink(HOST, config.callback_port, journal)
    sink.start()
    cleanup.callback(_quietly, "callback sink", sink.stop)
    log.info("callback sink on %s (%d callbacks from earlier runs in %s)",
             sink.url, len(sink.received), _shown(journal))

    app = _import_app()
    chalice = _start_chalice(config)
    cleanup.callback(_quietly, "chalice local", _stop_process, chalice)
    _wait_for_api(config.base_url, chalice, API_READY_TIMEOUT_SECONDS)
    log.info("API on %s", config.base_url)

    log.info("starting the SQS pumps and the schedule timer")

    stop = threading.Event()
    threads = _start_workers(app, stop)
    cleanup.callback(_quietly, "pump and timer", _stop_workers, stop, threads)

    from chalicelib.adapters.tokens import HS256Tokens
    from chalicelib.config import settings

    from .client import HeweiClient
    from .demo_directory import PARTNER_ID
    from .seed import SeedError, kept_partner, seed_directory

    admin_token, _ = HS256Tokens(os.environ["HEWEI_JWT_SECRET"], os.environ["HEWEI_JWT_ISSUER"]).mint(
        {"sub": "local-admin", "role": "admin"}, settings().token_ttl_seconds
    )
    admin = HeweiClient(config.base_url).as_staff(admin_token)
    seeded = None
    try:
        partner = kept_partner(admin, settings().secret_key, sink.url) if restored else None
        if partner is None:
            if restored:
                log.info("seeding: the demo partner is missing from the state (seeding was cut short?)")
            log.info("seeding the demo directory through the API")
            seeded = seed_directory(admin, sink.url)
            partner = (seeded.partner_key_id, seeded.partner_secret)
    except SeedError as exc:
        raise StartupError(f"{exc} (`make reset` starts afresh)") from exc
    if seeded:
        keeper.save_if_changed()
        log.info("seeded: %s", seeded.summary())
    else:
        log.info("directory: kept from earlier runs (not seeded again)")
    sink.partner_secret = partner[1]

    cleanup.callback(_quietly, "credentials", config.credentials_path.unlink, missing_ok=True)
    _write_credentials(config.credentials_path, {
        "base_url": config.base_url,
        "admin_token": admin_token,
        "partner": {"key_id": partner[0], "secret": partner[1], "partner_id": PARTNER_ID},
        "callback_sink": sink.url,
        "aws_endpoint_url": config.aws_endpoint_url,
        "stage": STAGE,
    })
    log.info("credentials: %s", _shown(config.credentials_path))
    log.info("ready; Ctrl-C to stop")

    while chalice.poll() is None:
        time.sleep(0.5)
    log.error("chalice local exited with code %s", chalice.returncode)
    return 1


def _save_last(keeper: Any, state: Any) -> None:
    keeper.stop()
    log.info("state: saved to %s", _shown(state.path))


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[devstack] %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines


def clear_stale_state(config: RunnerConfig) -> list[str]:
    """What a run that did not stop cleanly (killed with SIGKILL, the machine off) left behind
    that this run must not show as its own: `credentials.json` (a token and ports of a stack that
    is gone). Called with the directory's lock held, so no live stack owns them. The lock
    itself is the kernel's (`flock`) and the saved state is this run's to restore: neither is stale.
    Returns the names removed."""
    removed = []
    for path in (config.credentials_path,):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path.name)
    return removed


def main() -> int:
    _configure_logging()
    config = RunnerConfig.from_env()
    from .lock import LocalDirBusy, hold

    try:
        held = hold(config.local_dir)  # released last, after the state is saved
    except LocalDirBusy as exc:
        log.error("%s", exc)
        return 1
    try:
        return _main(config)
    finally:
        held.close()


def _main(config: RunnerConfig) -> int:
    removed = clear_stale_state(config)
    if removed:
        log.info("cleared what a run that did not stop left: %s", ", ".join(removed))
    busy = [port for port in config.ports if not _port_free(port)]
    if busy:
        log.error("port(s) %s already in use on %s (set HEWEI_PORT, HEWEI_MOTO_PORT, HEWEI_CALLBACK_PORT, "
                  "HEWEI_SMS_PORT)",
                  ", ".join(map(str, busy)), HOST)
        return 2
    # Explicitly, also for SIGINT: a shell that starts us in the background ignores it.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    code = 0
    with contextlib.ExitStack() as cleanup:
        try:
            code = _run(config, cleanup)
        except KeyboardInterrupt:
            log.info("stopping")
        except StartupError as exc:
            log.error("%s", exc)
            code = 1
        except Exception:
            log.exception("the local stack failed")
            code = 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log.info("stopped")
    return code
