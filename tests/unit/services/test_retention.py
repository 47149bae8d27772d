"""RetentionSweep and RetentionHolds (§16) on the fakes: a case final for 3 years loses its
parties' identities, in the case, its timeline and its SMS, and its attachments; the keyed hashes
and the statistics stay; a dry run writes nothing; a hold keeps a case out; SMS texts become
null 180 days after they were sent; a case half done is finished by the next run."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from chalicelib.domain.attachments import Attachment, AttachmentKind, AttachmentStatus
from chalicelib.domain.enums import CaseStatus
from chalicelib.domain.retention import ERASED
from chalicelib.services.commands import RetentionHoldChange
from chalicelib.services.errors import Conflict, NotFound
from tests.unit.services.builders import ADMIN, MONDAY, SHANGHAI

NAMES = ("张三", "李四")
DUE_DAY = dt.datetime(2029, 11, 24, 3, 30, tzinfo=SHANGHAI)
"""The night the case withdrawn on MONDAY (23 November 2026) is due: the first after 3 whole years."""


@pytest.fixture
def withdrawn(centre, container):
    """The partner's case R-1 with a note naming a party and an attachment, withdrawn on MONDAY."""
    case = centre.case_at(CaseStatus.ACCEPTED)
    centre.act(case.case_id, "note", text="已联系张三，李四不在家，张三电话13812345678")
    attachment = Attachment("AT20261123ABCDEF0123456789", case.case_id, AttachmentKind.EVIDENCE, "张三的照片.jpg",
                            "image/jpeg", 3, "00" * 32, MONDAY, "admin", AttachmentStatus.STORED)
    container.attachment_store.records[case.case_id, attachment.attachment_id] = attachment
    container.attachment_store.held[case.case_id] += 1
    container.attachment_files.objects[attachment.stored_key] = (b"jpg", "image/jpeg", "etag")
    centre.act(case.case_id, "withdraw", reason="张三与李四已和解")
    return centre.store.get(case.case_id)


def _everything(centre, container):
    return (centre.state(), copy.deepcopy(container.attachment_store.records),
            dict(container.attachment_store.held), dict(container.attachment_files.objects))


def test_a_case_final_for_three_years_is_anonymised_and_its_files_deleted(centre, container, withdrawn, store):
    stats_before, codes_before = store.stats_rows(), dict(store.code_digests)
    party_keys_before = copy.deepcopy(store._party_keys)
    result = container.retention.run(as_of=DUE_DAY)
    assert (result.examined, result.anonymised, result.deleted) == (1, 1, 1)
    case = store.get(withdrawn.case_id)
    assert [p.name for p in case.parties] == [ERASED, ERASED]
    assert all(p.phone is None and p.id_number is None for p in case.parties)
    assert case.anonymised_at == DUE_DAY
    text = repr((case, store.events(case.case_id), store.notifications(case.case_id)))
    assert not any(name in text for name in NAMES) and "13812345678" not in text
    assert container.attachment_store.of_case(case.case_id) == []
    assert container.attachment_files.objects == {}
    event = store.events(case.case_id)[-1]
    assert (event.type, event.detail) == ("anonymised", {
        "parties": 2, "attachments_deleted": 1, "events_rewritten": 2, "notifications_rewritten": 0})
    assert store.stats_rows() == stats_before  # the statistics are unchanged
    assert store._party_keys == party_keys_before  # the keyed hashes stay
    assert codes_before[case.public_code] and store.code_digests == {**codes_before, case.public_code: []}
    # the code's claim keeps no digest of a phone's last digits: the party's lookup opens to nobody
    assert container.retention.run(as_of=DUE_DAY + dt.timedelta(days=1)).examined == 0  # off the index


def test_a_day_early_the_case_is_not_due(centre, container, withdrawn, store):
    before = (store.get(withdrawn.case_id), store.events(withdrawn.case_id), _everything(centre, container)[1:])
    result = container.retention.run(as_of=DUE_DAY - dt.timedelta(days=1))
    assert (result.examined, result.anonymised, result.deleted) == (0, 0, 0)
    assert result.texts_purged == len(store.notifications(withdrawn.case_id))  # those are long past 180 days
    assert (store.get(withdrawn.case_id), store.events(withdrawn.case_id), _everything(centre, container)[1:]) == before


def test_an_as_of_before_any_data_was_final_changes_nothing(centre, container, withdrawn):
    before = _everything(centre, container)
    result = container.retention.run(as_of=MONDAY - dt.timedelta(days=400))
    assert (result.examined, result.anonymised, result.deleted, result.texts_purged) == (0, 0, 0, 0)
    assert _everything(centre, container) == before


def test_a_dry_run_counts_and_writes_nothing(centre, container, withdrawn):
    before = _everything(centre, container)
    deletes = container.attachment_files.calls["delete"]
    result = container.retention.run(as_of=DUE_DAY, dry_run=True)
    assert (result.examined, result.anonymised, result.deleted, result.dry_run) == (1, 1, 1, True)
    assert _everything(centre, container) == before
    assert container.attachment_files.calls["delete"] == deletes
    assert container.retention.run(as_of=DUE_DAY).anonymised == 1  # still due


def test_a_case_on_hold_is_kept_out_until_the_hold_is_lifted(centre, container, withdrawn, store):
    holds = container.retention_holds
    held = holds.set_hold(withdrawn.case_id, RetentionHoldChange(retention_hold=True), ADMIN)
    assert held.retention_hold and centre.event_types(held.case_id)[-1] == "retention_hold"
    assert container.retention.run(as_of=DUE_DAY).examined == 0
    assert store.get(withdrawn.case_id).parties[0].name == "张三"
    holds.set_hold(withdrawn.case_id, RetentionHoldChange(retention_hold=False), ADMIN)
    assert container.retention.run(as_of=DUE_DAY).anonymised == 1


def test_the_hold_is_version_checked_and_404s_on_a_missing_case(centre, container, withdrawn):
    holds = container.retention_holds
    with centre.refuses(Conflict):
        holds.set_hold(withdrawn.case_id, RetentionHoldChange(retention_hold=True, expected_version=1), ADMIN)
    with pytest.raises(NotFound):
        holds.set_hold("HW20261123NOSUCH00", RetentionHoldChange(retention_hold=True), ADMIN)
    same = holds.set_hold(withdrawn.case_id, RetentionHoldChange(retention_hold=False), ADMIN)
    assert same.version == withdrawn.version  # as it was: nothing written


def test_a_case_half_done_is_finished_by_the_next_run(centre, container, withdrawn, store, monkeypatch):
    save = store.save_change
    calls = []

    def crash_once(*args, **kwargs):  # the second write: the case's own, after the files went
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the write of the case failed")
        return save(*args, **kwargs)

    monkeypatch.setattr(store, "save_change", crash_once)
    first = container.retention.run(as_of=DUE_DAY)
    assert (first.examined, first.anonymised) == (1, 0)
    assert container.attachment_files.objects == {}  # the files went first
    assert store.get(withdrawn.case_id).anonymised_at is None  # still on the index
    second = container.retention.run(as_of=DUE_DAY)
    assert (second.examined, second.anonymised, second.deleted) == (1, 1, 0)
    assert store.get(withdrawn.case_id).parties[0].name == ERASED


def test_a_concurrent_change_is_read_again_and_a_hold_set_meanwhile_wins(centre, container, withdrawn, store):
    store.interleave(lambda: container.retention_holds.set_hold(
        withdrawn.case_id, RetentionHoldChange(retention_hold=True), ADMIN))
    files = dict(container.attachment_files.objects)
    result = container.retention.run(as_of=DUE_DAY)
    assert result.anonymised == 0
    assert store.get(withdrawn.case_id).parties[0].name == "张三"
    assert files and container.attachment_files.objects == files  # nothing erased beside the case either


def test_no_hold_is_set_once_the_sweep_began_erasing(centre, container, withdrawn, store):
    from chalicelib.services.errors import Conflict

    save = store.save_change

    def hold_after_the_marker(case, events, *args, **kwargs):
        save(case, events, *args, **kwargs)
        if case.anonymising_since is not None and case.anonymised_at is None and not events:
            with pytest.raises(Conflict):
                container.retention_holds.set_hold(withdrawn.case_id, RetentionHoldChange(retention_hold=True), ADMIN)

    store.save_change = hold_after_the_marker
    assert container.retention.run(as_of=DUE_DAY).anonymised == 1


def test_sms_texts_become_null_180_days_after_they_were_sent(centre, container, store):
    case = centre.case_at(CaseStatus.DISPATCHED, channel="walk_in")
    centre.deliver_sms()
    records = store.notifications(case.case_id)
    assert records and all(r["text"] for r in records)
    sent = max(dt.datetime.fromisoformat(r["sent_at"] or r["created_at"]) for r in records)
    early = container.retention.run(as_of=sent + dt.timedelta(days=179))
    assert early.texts_purged == 0
    assert container.retention.run(as_of=sent + dt.timedelta(days=181), dry_run=True).texts_purged == len(records)
    assert all(r["text"] for r in store.notifications(case.case_id))  # the dry run wrote nothing
    done = container.retention.run(as_of=sent + dt.timedelta(days=181))
    assert done.texts_purged == len(records)
    after = store.notifications(case.case_id)
    assert len(after) == len(records) and all(r["text"] is None and r["params"] is None for r in after)
    assert container.retention.run(as_of=sent + dt.timedelta(days=182)).texts_purged == 0


def test_a_record_whose_text_is_gone_is_not_sent(centre, container, store):
    case = centre.file("R-9", channel="walk_in")
    record = store.notifications(case.case_id)[0]
    store.rewrite_notification(record, None, record["to"])
    assert container.notifier.deliver(case.case_id, record["sk"]) == "suppressed"
    assert container.sms_sender.sent == []


def test_an_applicants_sms_loses_its_recipient_and_the_names_in_its_text(centre, container, store):
    case = centre.case_at(CaseStatus.WITHDRAWN, channel="walk_in", title="张三家漏水")
    centre.deliver_sms()
    container.retention.run(as_of=DUE_DAY)
    records = store.notifications(case.case_id)
    assert records and all(r["to"] != "13812345678" for r in records)
    assert not any("张三" in (r["text"] or "") for r in records)


def test_an_anonymised_case_takes_no_more_files(centre, container, withdrawn):
    from chalicelib.services.commands import NewAttachment
    from chalicelib.services.errors import Conflict

    container.retention.run(as_of=DUE_DAY, dry_run=False)
    upload = NewAttachment.model_validate_json('{"kind": "evidence", "filename": "photo.png", "content_type": '
                                               '"image/png", "size_bytes": 1000, "sha256": "' + "0" * 64 + '"}')
    with pytest.raises(Conflict):
        container.attachments.create(withdrawn.case_id, upload, ADMIN)


def test_an_sms_naming_a_party_keeps_the_name_in_neither_its_text_nor_its_parameters(centre, container, store):
    case = centre.case_at(CaseStatus.ACCEPTED, "R-NAMED", title="张三诉李四漏水")
    centre.act(case.case_id, "withdraw", reason="已和解")
    [dispatch] = [r for r in store.notifications(case.case_id) if r["kind"] == "dispatch"]
    assert "张三" in dispatch["text"] and "张三" in dict(dispatch["params"])["title"]
    container.retention.run(as_of=DUE_DAY)
    [after] = [r for r in store.notifications(case.case_id) if r["kind"] == "dispatch"]
    assert not any(name in repr(after) for name in NAMES)
    assert (after["text"], after["params"]) == (None, None)  # long past its 180 days: both gone
