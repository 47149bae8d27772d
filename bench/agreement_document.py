"""Bench: the agreement document (人民调解协议书, §14), against moto in-process.

    python bench/agreement_document.py [--runs 20]

One case of the demo directory, filed by a partner, routed, accepted and
resolved with an agreement of six terms, is read through the HTTP API
(`chalice.test.Client`) by its mediator:

- DynamoDB calls (and items read) of one `GET .../documents/agreement.docx`
  and of one `GET /v1/cases/{id}`, after a warm-up of each (Lambda containers
  are reused), from `bench/dynamo_meter.py`;
- the first render of the process (docxtpl's import and the template's first
  read included) and the median of `runs` renders of the document alone
  (`DocxAgreementRenderer.render`), wall and CPU time (the CPU time is the
  render's own: moto is not involved);
- the median of `runs` document requests and of `runs` case-view reads, taken
  in turns in the same run, and their ratio (seconds of one run are only
  comparable within that run: the machine is shared);
- the size of the file.

Results are merged into bench/results.json under `agreement_document`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import merge_results  # noqa: E402 - sets the bench environment first

AGREEMENT = {"summary": "李四赔偿张三并修复防水", "performance_due": "2026-12-31",
             "facts": "李四家卫生间防水层老化漏水，致楼下张三家天花板及墙面受损；张三要求赔偿维修费用，双方就赔偿金额争执不下。",
             "terms": ["李四赔偿张三天花板及墙面维修费用人民币2000元", "李四于2026年12月20日前请专业人员修复卫生间防水",
                       "修复完成后由社区调解员会同双方查验", "张三在收到赔偿款后配合完成查验，不再就本次漏水另行主张",
                       "双方今后如再发生漏水，应先行协商，协商不成的向调解委员会申请调解",
                       "本协议履行完毕后，双方就本纠纷再无其他争议"],
             "performance_method": "银行转账至张三指定账户", "performance_place": "松陵街道城南社区人民调解室"}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def run(runs: int) -> dict:
    from chalice.test import Client

    from bench.dynamo_meter import metered
    from chalicelib import wiring
    from chalicelib.api.http import DOCX
    from chalicelib.domain.agreement_document import agreement_document
    from tests.support import Http, Partner, Staff, admin_staff, drain, load_demo_directory, moto_stack, new_case_body

    with moto_stack():
        from app import app

        with Client(app, stage_name="local") as client:
            http = Http(client)
            admin = admin_staff(http)
            load_demo_directory(admin)
            created = admin.call("POST", "/v1/partners", {"partner_id": "bench", "name": "bench"}).json
            partner = Partner(http, created["key_id"], created["secret"], "bench")
            mediator = Staff(http, admin.call("POST", "/v1/tokens", {"role": "mediator",
                                                                     "mediator_id": "M-CN-1"}).json["token"])
            case_id = partner.call("POST", "/v1/cases", new_case_body("BENCH-AGREEMENT")).json["case_id"]
            drain("routing", "route_cases")
            assert mediator.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
            assert mediator.call("POST", f"/v1/cases/{case_id}/resolve", {"agreement": AGREEMENT}).status == 200

            case = wiring.current().case_store.get(case_id)
            document = agreement_document(case, "城南社区人民调解委员会", "王调解")
            renderer = wiring.current().agreement_renderer
            started = time.perf_counter()
            renderer.render(document)  # docxtpl, python-docx, lxml and Jinja2 imported here
            first_render = time.perf_counter() - started

            path = f"/v1/cases/{case_id}/documents/agreement.docx"

            def get_document():
                answer = mediator.call("GET", path, headers={"Accept": DOCX})
                assert answer.status == 200, answer
                return answer

            def get_case():
                answer = mediator.call("GET", f"/v1/cases/{case_id}")
                assert answer.status == 200, answer
                return answer

            get_document(), get_case()  # warm-up
            with metered() as document_meter:
                size = len(get_document().raw)
            with metered() as view_meter:
                get_case()

            renders, render_cpu, requests, views = [], [], [], []
            for _ in range(runs):
                started, cpu = time.perf_counter(), time.process_time()
                renderer.render(document)
                renders.append(time.perf_counter() - started)
                render_cpu.append(time.process_time() - cpu)
                started = time.perf_counter()
                get_document()
                requests.append(time.perf_counter() - started)
                started = time.perf_counter()
                get_case()
                views.append(time.perf_counter() - started)

    request_ms, view_ms = statistics.median(requests), statistics.median(views)
    return {
        "document_request": {"dynamodb_calls": dict(document_meter.calls), "items_read": document_meter.items_read,
                             "calls_by_target": dict(document_meter.calls_by_target)},
        "case_view_read": {"dynamodb_calls": dict(view_meter.calls), "items_read": view_meter.items_read},
        "first_render_ms": _ms(first_render),
        "render_ms_median": _ms(statistics.median(renders)), "render_ms_min": _ms(min(renders)),
        "render_cpu_ms_median": _ms(statistics.median(render_cpu)),
        "document_request_ms_median": _ms(request_ms), "case_view_read_ms_median": _ms(view_ms),
        "document_request_over_case_view_read": round(request_ms / view_ms, 1),
        "render_over_case_view_read": round(statistics.median(renders) / view_ms, 1),
        "runs": runs, "terms": len(AGREEMENT["terms"]), "parties": len(case.parties), "docx_bytes": size,
        "how": "moto in-process through chalice.test.Client; the three timings taken in turns in one run",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    result = run(args.runs)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    merge_results({"agreement_document": result})


if __name__ == "__main__":
    main()
