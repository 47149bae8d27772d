"""The SMS outbox: notification records on their case, claimed and settled one send at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from pynamodb.exceptions import PutError, UpdateError

from ..domain.notices import NotificationStatus
from ..domain.retention import RETENTION_SHARDS, retention_shard, text_purge_on
from .clock import from_storage, to_storage
from .models import CaseItemModel, is_condition_failure

RELEASE_SHARD = "0"
"""Unsent notifications are few at any time: one partition of the release index holds them."""


KEPT_APART = ("case_id", "sk", "status", "sent_at", "release_at")
"""A notification record's fields kept in attributes of their own, not in its `detail`."""


def _detail_of(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in KEPT_APART}


def notification_to_model(record: dict[str, Any]) -> CaseItemModel:
    """A notification record: `sk`, `kind`, `to`, `text`, `status`, `created_at`, `sent_at`,
    and `release_at` (when the sweep should send it if nothing else has) while unsent."""
    item = CaseItemModel(record["case_id"], record["sk"], type="notification", at=record["created_at"],
                         detail=_detail_of(record), status=record["status"], sent_at=record.get("sent_at"))
    if record.get("text") is not None:  # on the sparse purge index until its text is null (§16)
        item.purge_shard = retention_shard(record["case_id"])
        item.text_purge_on = text_purge_on(from_storage(record.get("sent_at") or record["created_at"])).isoformat()
    if record.get("release_at"):
        item.release_shard, item.release_at = RELEASE_SHARD, record["release_at"]
    return item


def notification_from_model(item: CaseItemModel) -> dict[str, Any]:
    return {**(item.detail or {}), "case_id": item.case_id, "sk": item.sk, "status": item.status,
            "sent_at": item.sent_at}


def _status_in(statuses: tuple[str, ...]):
    return CaseItemModel.status.is_in(*map(str, statuses))


class NotificationOutbox:
    """Stored notifications on their way out, in DynamoDB. They are written with the case change
    that caused them (`CaseStore.save_change`); this reads and moves them through their sends."""

    def notification(self, case_id: str, sort_key: str) -> dict[str, Any] | None:
        try:
            item = CaseItemModel.get(case_id, sort_key, consistent_read=True)
        except CaseItemModel.DoesNotExist:
            return None
        return notification_from_model(item)

    def notifications_of(self, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """The records of `keys` that exist, in their order: one BatchGetItem, strongly consistent."""
        found = {(item.case_id, item.sk): notification_from_model(item)
                 for item in CaseItemModel.batch_get(list(dict.fromkeys(keys)), consistent_read=True)}
        return [found[key] for key in keys if key in found]

    def add_notification(self, record: dict[str, Any]) -> bool:
        """Store a record bound to no case change (an org's `report_missing`, under a key derived
        from what it is about) unless its key is taken: a conditional put, so deciding it twice
        stores it once."""
        try:
            notification_to_model(record).save(condition=CaseItemModel.sk.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def claim_notification(self, case_id: str, sort_key: str, claimable: tuple[str, ...], now: dt.datetime,
                           until: dt.datetime) -> bool:
        """Move a notification to `sending`, held until `until`, if its status is one of `claimable`,
        or if it is `sending` under a lease that is over at `now` (its sender died between claim
        and settle): the conditional write that makes a twice-delivered message send once. Until
        it is settled it stays on the release index, due when the lease ends, so a claim is never
        stranded."""
        lease_over = (CaseItemModel.status == NotificationStatus.SENDING.value) & (
            CaseItemModel.release_at <= to_storage(now))
        return self._update_if(case_id, sort_key, _status_in(claimable) | lease_over, [
            CaseItemModel.status.set(NotificationStatus.SENDING.value),
            CaseItemModel.release_shard.set(RELEASE_SHARD), CaseItemModel.release_at.set(to_storage(until))])

    def settle_notification(self, case_id: str, sort_key: str, status: str, sent_at: dt.datetime | None,
                            held_until: dt.datetime, retry_at: dt.datetime | None = None,
                            record: dict[str, Any] | None = None) -> bool:
        """Record the outcome of a send by the sender whose lease ends at `held_until`: off the
        release index, or, for a failed or held one, on it again at `retry_at`; with `record`, its
        fields as they are now (the receipt or error code added). False, and nothing written, if
        that lease was taken over meanwhile: the new holder settles it."""
        actions = [CaseItemModel.status.set(str(status))]
        if record is not None:
            actions.append(CaseItemModel.detail.set(_detail_of(record)))
        if sent_at is not None:  # the text is kept 180 days from the send (§16)
            actions += [CaseItemModel.sent_at.set(to_storage(sent_at)),
                        CaseItemModel.purge_shard.set(retention_shard(case_id)),
                        CaseItemModel.text_purge_on.set(text_purge_on(sent_at).isoformat())]
        if retry_at is not None:
            actions += [CaseItemModel.release_shard.set(RELEASE_SHARD),
                        CaseItemModel.release_at.set(to_storage(retry_at))]
        else:
            actions += [CaseItemModel.release_shard.remove(), CaseItemModel.release_at.remove()]
        held = (CaseItemModel.status == NotificationStatus.SENDING.value) & (
            CaseItemModel.release_at == to_storage(held_until))
        return self._update_if(case_id, sort_key, held, actions)

    def postpone_notification(self, case_id: str, sort_key: str, claimable: tuple[str, ...],
                              release_at: dt.datetime) -> bool:
        """Move an unsent notification's release time, unless it has been sent or settled meanwhile."""
        return self._update_if(case_id, sort_key, _status_in(claimable),
                               [CaseItemModel.release_at.set(to_storage(release_at))])

    @staticmethod
    def _update_if(case_id: str, sort_key: str, condition, actions: list) -> bool:
        """Apply `actions` to a notification if `condition` holds; False if not."""
        try:
            CaseItemModel(case_id, sort_key).update(actions=actions, condition=condition)
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def notifications_to_release(self, now: dt.datetime) -> Iterator[dict[str, Any]]:
        """Unsent notifications whose release time has come (sparse index: nothing else is read)."""
        for item in CaseItemModel.by_release.query(RELEASE_SHARD, CaseItemModel.release_at <= to_storage(now)):
            yield notification_from_model(item)

    def texts_to_purge(self, today: dt.date) -> Iterator[dict[str, Any]]:
        """SMS records whose text is due to become null on `today` (§16), shard by shard, from the
        sparse purge index (it holds the records with a text, and their `detail`): no Scan."""
        bound = today.isoformat()
        for shard in range(RETENTION_SHARDS):
            for item in CaseItemModel.by_text_purge.query(str(shard), CaseItemModel.text_purge_on <= bound):
                yield {**(item.detail or {}), "case_id": item.case_id, "sk": item.sk,
                       "text_purge_on": item.text_purge_on}

    def purge_text(self, record: dict[str, Any]) -> bool:
        """The record's text made null, off the purge index, if its purge day is the one read
        (a send settled meanwhile moves it): one conditional UpdateItem. False if it moved."""
        detail = {k: v for k, v in record.items() if k not in ("case_id", "sk", "text_purge_on")}
        return self._update_if(record["case_id"], record["sk"],
                               CaseItemModel.text_purge_on == record["text_purge_on"],
                               [CaseItemModel.detail.set({**detail, "text": None, "params": None,
                                                          "sent_as": None}),
                                CaseItemModel.purge_shard.remove(), CaseItemModel.text_purge_on.remove()])

    def rewrite_notification(self, record: dict[str, Any], text: str | None, to: str | None,
                             params: list | None = None) -> None:
        """A record's text, recipient and parameters as the retention sweep leaves them (names
        erased, a party's phone null): one UpdateItem of its detail."""
        CaseItemModel(record["case_id"], record["sk"]).update(
            actions=[CaseItemModel.detail.set({**_detail_of(record), "text": text, "to": to, "params": params})],
            condition=CaseItemModel.sk.exists())
