"""Hostile callers against the local stack: bad inputs, auth attacks, concurrent duplicates.

Starts `python -m devstack` on free ports and, as the demo partner and as staff:
- sends a corpus of malformed or hostile requests (`bad_inputs`): each must get a 4xx answer
  as `application/problem+json` with a `title` and change nothing (no case is filed);
- sends requests with forged, stale, replayed or out-of-scope credentials (`auth_attacks`):
  each must be refused (401, 403, or 404 for what is outside the caller's view);
- files one dispute 200 times at once, and accepts one case 20 times at once
  (`concurrency`): one case, one dispatch SMS, one acceptance;
- deactivates a mediator and measures how long its token keeps working.
Counts every 5xx seen. Merges {"attack": …} into bench/results.json.
"""

from __future__ import annotations

import concurrent.futures
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import merge_results  # noqa: E402
from chalicelib.domain.signing import sign  # noqa: E402
from devstack.client import HeweiClient, wait_for  # noqa: E402
from devstack.launch import launch  # noqa: E402
from tests.support import valid_id_number as id_number  # noqa: E402

VILLAGE = "320509001001"
OTHER_DISTRICT = "320506"
PROBLEM = "application/problem+json"
OTHER_PARTNER = "attack-other"


def case_body(ref: str, **overrides: Any) -> dict[str, Any]:
    body = {"external_ref": ref, "channel": "hotline_12345", "category": "neighbor", "title": "楼上漏水",
            "description": "楼上住户卫生间漏水，多次协商未果。", "region_code": VILLAGE,
            "parties": [{"role": "applicant", "name": "张三", "phone": "13912345678", "id_number": id_number()},
                        {"role": "respondent", "name": "李四"}], "amount_cny": 5000}
    body.update(overrides)
    return body


def with_party(ref: str, **party: Any) -> dict[str, Any]:
    return case_body(ref, parties=[{"role": "applicant", "name": "张三", **party}])


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def bad_inputs() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(name, method, path, request keywords for HeweiClient.request): each a partner's request."""
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in id_number("32058419900101124"))
    arabic_indic = "".join(chr(ord(c) - ord("0") + 0x0660) if c.isdigit() else c for c in id_number())
    cases: list[tuple[str, str, str, dict[str, Any]]] = [
        ("not JSON", "POST", "/v1/cases", {"raw": b"{not json"}),
        ("not UTF-8", "POST", "/v1/cases", {"raw": b'{"title": "\xff\xfe"}'}),
        ("a JSON array", "POST", "/v1/cases", {"json": [case_body("ARRAY")]}),
        ("empty object", "POST", "/v1/cases", {"json": {}}),
        ("empty body", "POST", "/v1/cases", {"raw": b""}),
        ("application/xml", "POST", "/v1/cases", {"raw": json.dumps(case_body("XML")),
                                                   "headers": {"Content-Type": "application/xml"}}),
        ("over 1 MiB", "POST", "/v1/cases", {"json": case_body("BIG", description="纠" * 400_000)}),
        ("title too long", "POST", "/v1/cases", {"json": case_body("LONG", title="长" * 5000)}),
        ("unknown category", "POST", "/v1/cases", {"json": case_body("CAT", category="alien")}),
        ("unknown region", "POST", "/v1/cases", {"json": case_body("REG", region_code="999999999999")}),
        ("region not digits", "POST", "/v1/cases", {"json": case_body("REG2", region_code="3205O9001001")}),
        ("no parties", "POST", "/v1/cases", {"json": case_body("NOP", parties=[])}),
        ("bad ID check digit", "POST", "/v1/cases", {"json": with_party("ID1", id_number="320584199001011230")}),
        ("Arabic-Indic digits in an ID number", "POST", "/v1/cases",
         {"json": with_party("ID2", id_number=arabic_indic)}),
        ("full-width digits, bad check digit", "POST", "/v1/cases",
         {"json": with_party("ID3", id_number=full_width[:-1] + ("1" if full_width[-1] != "1" else "2"))}),
        ("Arabic-Indic digits in a phone", "POST", "/v1/cases",
         {"json": with_party("PH1", phone="".join(chr(0x0660 + int(c)) for c in "13912345678"))}),
        ("phone not a mobile", "POST", "/v1/cases", {"json": with_party("PH2", phone="12345")}),
        ("a name of zero-width characters", "POST", "/v1/cases", {"json": with_party("ZW", name="\u200b\u200c\u2060")}),
        ("a bidi override in the title", "POST", "/v1/cases", {"json": case_body("BIDI", title="漏水\u202e纠纷")}),
        ("a bidi isolate in a name", "POST", "/v1/cases", {"json": with_party("BIDI2", name="张\u2066三")}),
        ("U+2028 in the title", "POST", "/v1/cases", {"json": case_body("LS", title="漏水\u2028纠纷")}),
        ("a NUL in the title", "POST", "/v1/cases", {"json": case_body("NUL", title="漏水\x00纠纷")}),
        ("a lone surrogate", "POST", "/v1/cases",
         {"raw": json.dumps(case_body("SUR"), ensure_ascii=False).replace("楼上漏水", "\\ud800", 1)}),
        ("amount -0.0", "POST", "/v1/cases", {"json": case_body("NEG0", amount_cny=-0.0)}),
        ("amount negative", "POST", "/v1/cases", {"json": case_body("NEG", amount_cny=-5)}),
        ("amount NaN", "POST", "/v1/cases", {"raw": json.dumps(case_body("NAN")).replace("5000", "NaN")}),
        ("amount 1e400", "POST", "/v1/cases", {"raw": json.dumps(case_body("INF")).replace("5000", "1e400")}),
        ("amount a string", "POST", "/v1/cases", {"json": case_body("STR", amount_cny="5000")}),
        ("nested 300 deep in an ignored field", "POST", "/v1/cases",
         {"json": case_body("DEEP", extra=nested(300))}),
        ("nested 5,000 deep", "POST", "/v1/cases", {"raw": '{"a":' * 5000 + "1" + "}" * 5000}),
        ("limit -1", "GET", "/v1/cases", {"params": {"limit": -1}}),
        ("limit not a number", "GET", "/v1/cases", {"params": {"limit": "many"}}),
        ("limit 100000", "GET", "/v1/cases", {"params": {"limit": 100000}}),
        ("a forged cursor", "GET", "/v1/cases", {"params": {"cursor": "eyJub3QiOiAiYSBjdXJzb3IifQ"}}),
        ("an unknown status", "GET", "/v1/cases", {"params": {"status": "exploded"}}),
        ("a case id that does not exist", "GET", "/v1/cases/C20260101-ZZZZZZ", {}),
        ("a case id of 2,000 characters", "GET", "/v1/cases/" + "A" * 2000, {}),
        ("a NUL in the path", "GET", "/v1/cases/C%00", {}),
        ("TRACE", "TRACE", "/v1/cases", {}),
        ("PUT on the cases", "PUT", "/v1/cases", {"json": case_body("PUT")}),
        ("DELETE on the cases", "DELETE", "/v1/cases", {}),
        ("an unknown path", "GET", "/v1/nothing-here", {}),
    ]
    return cases


INTERNAL_CALLBACKS = (
    "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/", "http://10.0.0.1/", "http://192.168.1.1/",
    "http://100.64.0.1/", "http://metadata.google.internal/", "http://user:pass@example.com/",
    "http://[fd00:ec2::254]/", "http://[::ffff:169.254.169.254]/", "http://0xa9fea9fe/",
)
"""Callback URLs that point inside (SSRF): registering any is a bad input."""
LOOPBACK_CALLBACKS = ("http://127.0.0.1:9/", "http://localhost/", "http://[::1]/", "http://2130706433/",
                      "http://127.1/", "http://0x7f000001/")
"""Loopback forms: refused in a cloud stage; the local stage allows loopback by its setting (its
callback sink), so here they are only reported."""


def is_clean_refusal(status: int, headers: Any, body: Any) -> bool:
    return (400 <= status < 500 and (headers.get("Content-Type") or "").startswith(PROBLEM)
            and isinstance(body, dict) and bool(body.get("title")) and body.get("status") == status)


def forged_token(claims: dict[str, Any], key: str = "a-guessed-key-that-is-not-the-service-one", alg: str = "HS256") -> str:
    """A token the service did not sign: HS256 with a guessed key, or `alg: none` (unsigned)."""
    import jwt

    return jwt.encode(claims, None if alg == "none" else key, algorithm=alg)


class Attack:
    def __init__(self, credentials: dict[str, Any]):
        self.base = credentials["base_url"]
        self.key_id, self.secret = credentials["partner"]["key_id"], credentials["partner"]["secret"]
        self.partner = HeweiClient(self.base).as_partner(self.key_id, self.secret)
        self.admin = HeweiClient(self.base).as_staff(credentials["admin_token"])
        self.server_errors: list[str] = []
        status, _, self.other = self.admin.request("POST", "/v1/partners", json={"partner_id": OTHER_PARTNER,
                                                                                 "name": "另一个系统"})
        assert status == 201, self.other
        status, _, region = self.admin.request("POST", "/v1/regions", json={"code": OTHER_DISTRICT, "name": "相城区"})
        assert status in (201, 409), region

    def call(self, client: HeweiClient, name: str, method: str, path: str, **kwargs: Any) -> tuple[int, Any, Any]:
        status, headers, body = client.request(method, path, **kwargs)
        if status >= 500:
            self.server_errors.append(f"{name}: {status}")
        return status, headers, body

    def case_count(self) -> int:
        count, cursor = 0, None
        while True:
            _, _, page = self.admin.request("GET", "/v1/cases", params={"limit": 200, "cursor": cursor})
            count += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return count

    def token(self, **claims: Any) -> str:
        status, _, body = self.admin.request("POST", "/v1/tokens", json=claims)
        assert status == 201, body
        return body["token"]

    def bad_inputs(self) -> dict[str, Any]:
        before = self.case_count()
        unclean = []
        corpus = bad_inputs()
        for name, method, path, kwargs in corpus:
            status, headers, body = self.call(self.partner, name, method, path, **kwargs)
            if not (is_clean_refusal(status, headers, body) or (method == "HEAD" and 400 <= status < 500)):
                unclean.append({"input": name, "status": status, "content_type": headers.get("Content-Type")})
        for url in INTERNAL_CALLBACKS:
            name = f"callback_url {url}"
            status, headers, body = self.call(self.admin, name, "PATCH", f"/v1/partners/{OTHER_PARTNER}",
                                              json={"callback_url": url})
            if not is_clean_refusal(status, headers, body):
                unclean.append({"input": name, "status": status})
        loopback = {url: self.call(self.admin, url, "PATCH", f"/v1/partners/{OTHER_PARTNER}",
                                   json={"callback_url": url})[0] for url in LOOPBACK_CALLBACKS}
        after = self.case_count()
        tried = len(corpus) + len(INTERNAL_CALLBACKS)
        return {"tried": tried, "clean_4xx": tried - len(unclean), "unclean": unclean,
                "cases_filed_by_them": after - before, "loopback_callbacks_in_the_local_stage": loopback}

    def auth_attacks(self) -> dict[str, Any]:
        status, _, own = self.partner.request("POST", "/v1/cases", json=case_body(f"AUTH-{time.time_ns()}"))
        assert status == 201, own
        case_path = f"/v1/cases/{own['case_id']}"
        other_partner = HeweiClient(self.base).as_partner(self.other["key_id"], self.other["secret"])
        now = int(time.time())
        body = json.dumps(case_body("SIGNED")).encode()

        def signed(timestamp: int, path: str = "/v1/cases", payload: bytes = body, nonce: str = "n-" + str(now),
                   secret: str | None = None, key: str | None = None) -> dict[str, str]:
            return {"X-Hewei-Key": key or self.key_id, "X-Hewei-Timestamp": str(timestamp), "X-Hewei-Nonce": nonce,
                    "X-Hewei-Signature": sign(secret or self.secret, str(timestamp), "POST", path, payload, nonce),
                    "Content-Type": "application/json"}

        replay = signed(now, nonce=f"replay-{now}")
        anonymous = HeweiClient(self.base)
        supervisor_elsewhere = HeweiClient(self.base).as_staff(self.token(role="supervisor",
                                                                          jurisdiction=OTHER_DISTRICT))
        mediator = HeweiClient(self.base).as_staff(self.token(role="mediator", mediator_id="med-021",
                                                              org_id="org-320509-property"))
        claims = {"sub": "admin:x", "role": "admin", "iss": "hewei", "exp": now + 3600}
        attacks: list[tuple[str, HeweiClient, str, str, dict[str, Any]]] = [
            ("no credentials", anonymous, "POST", "/v1/cases", {"raw": body}),
            ("unknown key", anonymous, "POST", "/v1/cases", {"raw": body, "headers": signed(now, key="nobody")}),
            ("wrong secret", anonymous, "POST", "/v1/cases", {"raw": body, "headers": signed(now, secret="guess")}),
            ("stale timestamp", anonymous, "POST", "/v1/cases", {"raw": body, "headers": signed(now - 3600)}),
            ("future timestamp", anonymous, "POST", "/v1/cases", {"raw": body, "headers": signed(now + 3600)}),
            ("body changed after signing", anonymous, "POST", "/v1/cases",
             {"raw": body.replace("楼上漏水".encode(), "楼下漏水".encode()), "headers": signed(now, nonce="t1")}),
            ("signed for another path", anonymous, "POST", "/v1/cases",
             {"raw": body, "headers": signed(now, path="/v1/regions", nonce="t2")}),
            ("replay 1 (accepted once)", anonymous, "POST", "/v1/cases", {"raw": body, "headers": replay}),
            ("replay 2", anonymous, "POST", "/v1/cases", {"raw": body, "headers": replay}),
            ("garbage bearer", anonymous, "GET", "/v1/cases", {"headers": {"Authorization": "Bearer abc.def.ghi"}}),
            ("alg none", anonymous, "GET", "/v1/cases",
             {"headers": {"Authorization": f"Bearer {forged_token(claims, alg='none')}"}}),
            ("HS256 with a guessed key", anonymous, "GET", "/v1/cases",
             {"headers": {"Authorization": f"Bearer {forged_token(claims)}"}}),
            ("bearer without its scheme", anonymous, "GET", "/v1/cases",
             {"headers": {"Authorization": forged_token(claims)}}),
            ("partner on an admin route", self.partner, "POST", "/v1/partners",
             {"json": {"partner_id": "evil", "name": "evil"}}),
            ("partner minting a token", self.partner, "POST", "/v1/tokens", {"json": {"role": "admin"}}),
            ("partner running a sweep", self.partner, "POST", "/v1/ops/sweeps/supervision", {"json": {}}),
            ("partner with as_of", self.partner, "POST", "/v1/ops/sweeps/supervision",
             {"json": {"as_of": "2030-01-01T00:00:00+08:00"}}),
            ("mediator on an admin route", mediator, "POST", "/v1/regions", {"json": {"code": "320509999",
                                                                                      "name": "假"}}),
            ("supervisor outside its jurisdiction", supervisor_elsewhere, "GET", case_path, {}),
            ("supervisor acting outside", supervisor_elsewhere, "POST", f"{case_path}/note", {"json": {"text": "x"}}),
            ("mediator not assigned", mediator, "POST", f"{case_path}/accept", {"json": {}}),
        ]
        attacks += [("another partner's case", other_partner, "GET", case_path, {}),
                    ("another partner's timeline", other_partner, "GET", f"{case_path}/events", {}),
                    ("another partner's ref", other_partner, "GET", "/v1/cases",
                     {"params": {"external_ref": own["external_ref"]}})]
        refused, let_through = 0, []
        for name, client, method, path, kwargs in attacks:
            status, headers, answer = self.call(client, name, method, path, **kwargs)
            if name == "replay 1 (accepted once)":
                continue  # the genuine request the replay copies
            leaked = name == "another partner's ref" and status == 200 and answer.get("items")
            if status in (401, 403, 404) and is_clean_refusal(status, headers, answer) or (
                    name == "another partner's ref" and status == 200 and not leaked):
                refused += 1
            else:
                let_through.append({"attack": name, "status": status})
        return {"tried": len(attacks) - 1, "refused": refused, "let_through": let_through}

    def deactivated_mediator(self) -> dict[str, Any]:
        token = self.token(role="mediator", mediator_id="med-020", org_id="org-320509-labor")
        client = HeweiClient(self.base).as_staff(token)
        assert client.request("GET", "/v1/me")[0] == 200
        status, _, answer = self.admin.request("PATCH", "/v1/mediators/med-020", json={"active": False})
        assert status == 200, answer
        began = time.monotonic()
        refused = wait_for(lambda: client.request("GET", "/v1/cases")[0] in (401, 403), timeout=150, interval=1)
        self.admin.request("PATCH", "/v1/mediators/med-020", json={"active": True})
        return {"refused": bool(refused), "seconds_until_refused": round(time.monotonic() - began, 1)}

    def concurrency(self) -> dict[str, Any]:
        ref = f"BURST-{time.time_ns()}"
        body = case_body(ref, parties=[{"role": "applicant", "name": "王五", "phone": "13912340000"}])
        clients = [HeweiClient(self.base).as_partner(self.key_id, self.secret) for _ in range(20)]
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda i: self.call(clients[i % 20], "burst", "POST", "/v1/cases", json=body),
                                    range(200)))
        ids = {a[2].get("case_id") for a in answers if isinstance(a[2], dict) and a[2].get("case_id")}
        created = sum(1 for a in answers if a[0] == 201)
        status, _, page = self.admin.request("GET", "/v1/cases", params={"external_ref": ref})
        stored = len(page["items"])
        case_id = page["items"][0]["case_id"]
        view = wait_for(lambda: (v := self.admin.request("GET", f"/v1/cases/{case_id}")[2])["status"] == "dispatched"
                        and v, timeout=60)
        wait_for(lambda: all(n["status"] not in ("pending", "sending") for n in
                             self.admin.request("GET", f"/v1/cases/{case_id}/notifications")[2]), timeout=60)
        sms = [n for n in self.admin.request("GET", f"/v1/cases/{case_id}/notifications")[2] if n["kind"] == "dispatch"]
        mediator = HeweiClient(self.base).as_staff(self.token(role="mediator", mediator_id=view["mediator_id"],
                                                              org_id=view["org_id"]))
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            accepts = list(pool.map(lambda _: self.call(mediator, "accept burst", "POST", f"/v1/cases/{case_id}/accept",
                                                        json={}), range(20)))
        events = self.admin.request("GET", f"/v1/cases/{case_id}/events")[2]
        accepted = [e for e in events if e["type"] == "accepted"]
        return {"identical_posts": 200, "answered_201": created, "case_ids_returned": len(ids),
                "cases_stored": stored, "dispatch_sms": len(sms),
                "identical_accepts": 20, "accepts_200": sum(1 for a in accepts if a[0] == 200),
                "accepted_events": len(accepted)}


def main() -> None:
    local_dir = Path(tempfile.mkdtemp(prefix="hewei-attack-"))
    stack = launch(local_dir)
    try:
        credentials = stack.wait_until_ready(180)
        if credentials is None:
            raise SystemExit("the local stack did not start")
        attack = Attack(credentials)
        result = {"bad_inputs": attack.bad_inputs(), "auth_attacks": attack.auth_attacks(),
                  "concurrency": attack.concurrency(), "deactivated_mediator": attack.deactivated_mediator()}
        result["server_errors"] = attack.server_errors
        print(json.dumps(result, ensure_ascii=False, indent=1))
        merge_results({"attack": result})
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
