"""The tries at each case code (一案一码) per Asia/Shanghai day, in the keys table: one item per
code and day, `TRY#<code>` / `<day>`, its `tries` added to atomically (UpdateItem `ADD`), so
every Lambda instance counts against the same number. Each item expires a day after its day."""

from __future__ import annotations

import datetime as dt

from pynamodb.exceptions import UpdateError

from .case_mapping import try_key
from .models import KeyModel, is_condition_failure


class TryCounter:
    def wrong_tries(self, code: str, day: dt.date) -> int:
        """The tries counted on `code` for `day`: one consistent GetItem (0 when none is)."""
        try:
            return int(KeyModel.get(try_key(code), day.isoformat(), consistent_read=True).tries or 0)
        except KeyModel.DoesNotExist:
            return 0

    def count_wrong_try(self, code: str, day: dt.date, expires_at: dt.datetime) -> int:
        """One UpdateItem: `ADD tries 1` (the item is created at the first), `expires_at` set;
        the count after it, as DynamoDB returns it."""
        row = KeyModel(try_key(code), day.isoformat())
        row.update(actions=[KeyModel.tries.add(1), KeyModel.expires_at.set(expires_at)])
        return int(row.tries)

    def take_back_try(self, code: str, day: dt.date) -> None:
        """One UpdateItem: `ADD tries -1`, on the item `count_wrong_try` made (only if it is
        still there: an item without its expiry must never be left behind)."""
        try:
            KeyModel(try_key(code), day.isoformat()).update(actions=[KeyModel.tries.add(-1)],
                                                            condition=KeyModel.pk.exists())
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
