"""Bulk, columnar reads of observations for analysis: every row as small integers in numpy arrays.

Streaming millions of rows as Python tuples is what made counting slow. Here the database
concatenates each column of a block of rows into one string (SQLite `group_concat`,
PostgreSQL `string_agg`), and numpy cuts those strings into fixed-width fields:

- tokens (64 characters each) become dense integer codes, with the distinct tokens kept once;
- kommun codes and categories become small codes;
- `observed_at` becomes whole UTC hours since 1970 (the Swedish calendar date of a moment
  depends only on its UTC date and hour, so no analysis needs more).

The result is exact: codes are assigned from a 64-bit hash of the whole token and every row
is compared byte for byte with the token its code stands for. Rows the fast path cannot read
exactly (a token that is not 64 ASCII characters, a hash collision, an unknown dialect) make
the whole read fall back to plain row streaming, which gives the same columns.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from queue import Empty, Queue

import numpy as np
from sqlalchemy import func, select, text
from sqlmodel import Session

from parsers.records import CATEGORIES
from store.models import CrawlRun, Observation, Site, to_naive_utc
from store.runs import USABLE_STATUSES
from store.session import StoreOrSession, session_scope

TOKEN_WIDTH = 64
_HOUR_WIDTH = 13  # 'YYYY-MM-DD HH'
_CHUNK_ROWS = 250_000
_CATEGORY_CHARS = "abcdefghijklmnopqrstuvwxyz"
_UNKNOWN_CATEGORY_CHAR = "?"


class _NotExact(Exception):
    """The fast path met a row it cannot read exactly; the caller falls back to row streaming."""


@dataclass(frozen=True)
class RunInfo:
    """What analysis needs to know about one crawl run."""

    id: int
    site: str
    status: str
    observed_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, eq=False)
class ObservationColumns:
    """Observations as parallel numpy arrays (one entry per stored sighting).

    `ad`, `profile` and `phone` index `ad_tokens`, `profile_tokens` and `phone_tokens`
    (-1: no token); `kommun` indexes `kommun_codes` (-1: unresolved place); `category`
    indexes `categories`; `hour` is whole UTC hours since 1970-01-01; `run` is the run id.
    Token tables may hold tokens no remaining row uses (after filtering).
    """

    run: np.ndarray
    hour: np.ndarray
    ad: np.ndarray
    profile: np.ndarray
    phone: np.ndarray
    kommun: np.ndarray
    category: np.ndarray
    ad_tokens: tuple[str, ...]
    profile_tokens: tuple[str, ...]
    phone_tokens: tuple[str, ...]
    kommun_codes: tuple[str, ...]
    categories: tuple[str, ...]
    method: str = "columnar"  # or "rows" when the fast path was not used

    def __len__(self) -> int:
        return int(self.run.size)

    def take(self, mask: np.ndarray) -> "ObservationColumns":
        """The rows where `mask` is true, with the same code tables."""
        return ObservationColumns(
            self.run[mask], self.hour[mask], self.ad[mask], self.profile[mask], self.phone[mask],
            self.kommun[mask], self.category[mask], self.ad_tokens, self.profile_tokens, self.phone_tokens,
            self.kommun_codes, self.categories, self.method,
        )


def hour_of(moment: datetime) -> int:
    """Whole UTC hours since 1970 of an aware or naive-UTC moment (floored)."""
    naive = to_naive_utc(moment)
    return int((naive - datetime(1970, 1, 1)).total_seconds() // 3600)


def list_run_info(target: StoreOrSession) -> dict[int, RunInfo]:
    """Every crawl run, by id."""
    statement = select(CrawlRun.id, Site.name, CrawlRun.status, CrawlRun.observed_at, CrawlRun.finished_at).join(
        Site, Site.id == CrawlRun.site_id
    )
    with session_scope(target) as session:
        return {row[0]: RunInfo(*row) for row in session.exec(statement).all()}


def observation_columns(
    target: StoreOrSession,
    *,
    statuses: Iterable[str] = USABLE_STATUSES,
    since: datetime | None = None,
    until: datetime | None = None,
    finished_by: datetime | None = None,
    fast: bool = True,
) -> ObservationColumns:
    """Observations of runs with the given statuses, as columns (see ObservationColumns).

    `since`/`until` (aware or naive UTC) keep observations with since <= observed_at < until;
    they must fall on whole hours (day bounds in Swedish time always do). `finished_by`
    keeps only runs that finished at or before that moment. `fast=False` forces row streaming.
    """
    for bound in (since, until):
        if bound is not None and to_naive_utc(bound) != to_naive_utc(bound).replace(minute=0, second=0, microsecond=0):
            raise ValueError("since/until must fall on whole hours")
    runs = list_run_info(target)
    wanted = set(statuses)
    cutoff = None if finished_by is None else to_naive_utc(finished_by)
    keep_runs = np.array(sorted(
        run.id for run in runs.values()
        if run.status in wanted and (cutoff is None or (run.finished_at is not None and run.finished_at <= cutoff))
    ), dtype=np.int64)
    columns = None
    if fast:
        try:
            columns = _read_columnar(target)
        except _NotExact:
            columns = None
    if columns is None:
        columns = _read_rows(target)
    mask = np.isin(columns.run, keep_runs)
    if since is not None:
        mask &= columns.hour >= hour_of(since)
    if until is not None:
        mask &= columns.hour < hour_of(until)
    return columns if mask.all() else columns.take(mask)


# --- the fast path ------------------------------------------------------------------


def _category_case(column: str) -> str:
    if len(CATEGORIES) > len(_CATEGORY_CHARS):  # pragma: no cover - a handful of categories
        raise _NotExact("too many categories")
    cases = " ".join(f"WHEN '{name.replace(chr(39), chr(39) * 2)}' THEN '{_CATEGORY_CHARS[i]}'"
                     for i, name in enumerate(CATEGORIES))
    return f"CASE {column} {cases} ELSE '{_UNKNOWN_CATEGORY_CHAR}' END"


def _chunk_sql(dialect: str) -> str:
    """One block of rows, every column concatenated: tokens and kommun codes comma-separated ('' = none)."""
    category = _category_case("category")
    if dialect == "sqlite":
        def agg(expr: str, sep: str) -> str:  # as a BLOB: bytes reach Python without decoding
            return f"CAST(group_concat({expr}, '{sep}') AS BLOB)"

        null, hour, run = "ifnull", "substr(observed_at, 1, 13)", "run_id"
    elif dialect == "postgresql":
        def agg(expr: str, sep: str) -> str:
            return f"string_agg({expr}, '{sep}' ORDER BY id)"

        null, hour, run = "coalesce", "to_char(observed_at, 'YYYY-MM-DD HH24')", "run_id::text"
    else:
        raise _NotExact(f"no columnar read for {dialect}")
    return (
        f"SELECT count(*), {agg('ad_token', ',')}, {agg(f'{null}(profile_token, {_EMPTY})', ',')}, "
        f"{agg(f'{null}(phone_token, {_EMPTY})', ',')}, {agg(f'{null}(kommun_code, {_EMPTY})', ',')}, "
        f"{agg(category, '')}, {agg(hour, '')}, {agg(run, ',')} "
        "FROM observation WHERE id >= :lo AND id < :hi"
    )


_EMPTY = "''"
_COMMA = ord(",")
_WORDS = TOKEN_WIDTH // 8


def _raw(value: str | bytes | None) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        try:
            return value.encode("ascii")
        except UnicodeEncodeError:
            raise _NotExact("a value is not ASCII") from None
    return bytes(value)


def _fields(raw: bytes, rows: int, width: int, *, optional: bool) -> tuple[np.ndarray, np.ndarray]:
    """Comma-separated fields of exactly `width` characters (or empty, when optional).

    Returns a (rows, width) byte array (zeros for an empty field) and the mask of non-empty fields.
    """
    if len(raw) == rows * (width + 1) - 1:  # the usual case: every field is there
        if raw.count(b",") != rows - 1:
            raise _NotExact("a value holds a comma")
        flat = np.frombuffer(raw, dtype=np.uint8)
        separators = np.lib.stride_tricks.as_strided(flat[width:], shape=(rows - 1,), strides=(width + 1,))
        if (separators != _COMMA).any():
            raise _NotExact("values are not all of the expected width")
        table = np.lib.stride_tricks.as_strided(flat, shape=(rows, width), strides=(width + 1, 1))
        return table, np.ones(rows, dtype=bool)
    if not optional:
        raise _NotExact(f"values are not all {width} characters")
    flat = np.frombuffer(raw, dtype=np.uint8)
    commas = np.flatnonzero(flat == _COMMA)
    if commas.size != rows - 1:
        raise _NotExact("values are not all of the expected width")
    starts = np.concatenate(([0], commas + 1))
    lengths = np.concatenate((commas, [flat.size])) - starts
    present = lengths == width
    if not (present | (lengths == 0)).all():
        raise _NotExact(f"values are not all {width} characters")
    table = np.zeros((rows, width), dtype=np.uint8)
    table[present] = flat[flat != _COMMA].reshape(-1, width)
    return table, present


_PRIME = np.uint64(0x9E3779B97F4A7C15)


def _hash_columns(columns: list[np.ndarray]) -> np.ndarray:
    """A 64-bit hash per row of several uint64 columns (equality is always checked afterwards)."""
    h = np.full(columns[0].shape[0], 0x243F6A8885A308D3, dtype=np.uint64)
    for column in columns:
        h ^= column
        h *= _PRIME
        h ^= h >> np.uint64(29)
    return h


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each distinct key, one row holding it, and for each row the index of its key's group."""
    order = np.argsort(keys)
    ordered = keys[order]
    starts = np.ones(keys.size, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    group = np.empty(keys.size, dtype=np.int64)
    group[order] = np.cumsum(starts) - 1
    return order[starts], group


class _TokenCodes:
    """Dense codes for 64-character tokens, assigned across chunks, exact (verified byte for byte)."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, dtype=np.uint64)  # sorted hashes of the known tokens …
        self.key_codes = np.zeros(0, dtype=np.int64)  # … and their codes
        self.table = np.zeros((1024, _WORDS), dtype=np.uint64)  # the tokens, by code
        self.size = 0

    def _add(self, words: np.ndarray, keys: np.ndarray) -> np.ndarray:
        count = words.shape[0]
        while self.size + count > self.table.shape[0]:
            self.table = np.concatenate([self.table, np.zeros_like(self.table)])
        codes = np.arange(self.size, self.size + count, dtype=np.int64)
        self.table[self.size:self.size + count] = words
        self.size += count
        merged = np.concatenate([self.keys, keys])
        order = np.argsort(merged)
        self.keys, self.key_codes = merged[order], np.concatenate([self.key_codes, codes])[order]
        return codes

    def encode(self, words: np.ndarray) -> np.ndarray:
        """Codes of the rows of `words` ((n, 8) uint64, one token per row)."""
        if words.shape[0] == 0:
            return np.zeros(0, dtype=np.int64)
        h = _hash_columns([words[:, j] for j in range(_WORDS)])
        codes = np.full(words.shape[0], -1, dtype=np.int64)
        if self.keys.size:
            pos = np.minimum(np.searchsorted(self.keys, h), self.keys.size - 1)
            known = self.keys[pos] == h
            codes[known] = self.key_codes[pos[known]]
            fresh = ~known
        else:
            fresh = np.ones(words.shape[0], dtype=bool)
        if fresh.any():
            first, group = _groups(h[fresh])
            codes[fresh] = self._add(words[fresh][first], h[fresh][first])[group]
        if not np.array_equal(self.table[codes], words):
            raise _NotExact("two tokens share a hash")
        return codes

    def tokens(self) -> tuple[str, ...]:
        raw = np.ascontiguousarray(self.table[:self.size]).view(np.uint8).tobytes().decode("ascii")
        return tuple(raw[i:i + TOKEN_WIDTH] for i in range(0, len(raw), TOKEN_WIDTH))


def _words(chars: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(chars).view(np.uint64).reshape(-1, _WORDS)


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (vectorised, H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _parse_hours(b: np.ndarray) -> np.ndarray:
    """Hours since 1970 of 'YYYY-MM-DD HH' byte rows."""
    digits = b.astype(np.int64) - ord("0")
    digit_cols = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12]
    if ((digits[:, digit_cols] < 0) | (digits[:, digit_cols] > 9)).any():
        raise _NotExact("observed_at has non-digits")
    if (b[:, 4] != ord("-")).any() or (b[:, 7] != ord("-")).any() or not np.isin(b[:, 10], (ord(" "), ord("T"))).all():
        raise _NotExact("observed_at is not in the expected text form")
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month = digits[:, 5] * 10 + digits[:, 6]
    day = digits[:, 8] * 10 + digits[:, 9]
    hour = digits[:, 11] * 10 + digits[:, 12]
    if ((month < 1) | (month > 12) | (day < 1) | (day > 31) | (hour > 23)).any():
        raise _NotExact("observed_at is out of range")
    return _days_from_civil(year, month, day) * 24 + hour


def _hours(raw: bytes, rows: int) -> np.ndarray:
    if len(raw) != rows * _HOUR_WIDTH:
        raise _NotExact("observed_at is not in the expected text form")
    b = np.frombuffer(raw, dtype=np.uint8).reshape(rows, _HOUR_WIDTH)
    # Rows come run by run, so the same hour repeats: parse only where it changes.
    change = np.ones(rows, dtype=bool)
    change[1:] = (b[1:] != b[:-1]).any(axis=1)
    starts = np.flatnonzero(change)
    return _parse_hours(b[starts])[np.cumsum(change) - 1]


def _decode_chunk(result, codes: tuple[_TokenCodes, _TokenCodes, _TokenCodes]) -> dict[str, np.ndarray]:
    """One block of rows from the chunk query as columns (kommun as raw 4-byte values, 0 = none)."""
    rows, ad, profile, phone, kommun, category, hour, run = result
    ad_words = _words(_fields(_raw(ad), rows, TOKEN_WIDTH, optional=False)[0])
    kommun_chars, _ = _fields(_raw(kommun), rows, 4, optional=True)
    kommun_raw = np.ascontiguousarray(kommun_chars).view(np.uint32).ravel()
    categories = np.frombuffer(_raw(category), dtype=np.uint8)
    if categories.size != rows or (categories == ord(_UNKNOWN_CATEGORY_CHAR)).any():
        raise _NotExact("unknown category")
    # The same ad comes back run after run: code each distinct ad once, then check every row.
    first, group = _groups(_hash_columns([ad_words[:, j] for j in range(_WORDS)]))
    if not np.array_equal(ad_words[first][group], ad_words):
        raise _NotExact("two ads share a hash")
    columns = {"ad": codes[0].encode(ad_words[first])[group]}
    for coder, value, name in ((codes[1], profile, "profile"), (codes[2], phone, "phone")):
        chars, present = _fields(_raw(value), rows, TOKEN_WIDTH, optional=True)
        words = _words(chars)
        rep = first[group]  # the row standing for each row's ad
        same = (words == words[rep]).all(axis=1) & (present == present[rep])
        column = np.full(rows, -1, dtype=np.int64)
        keep = present[first]
        column_first = np.full(first.size, -1, dtype=np.int64)
        column_first[keep] = coder.encode(words[first][keep])
        column[same] = column_first[group[same]]
        odd = ~same & present  # an ad seen with another profile or phone: coded row by row
        if odd.any():
            column[odd] = coder.encode(words[odd])
        columns[name] = column
    run_ids = np.fromstring(_raw(run).decode("ascii"), dtype=np.int64, sep=",")
    if run_ids.size != rows:
        raise _NotExact("run ids could not be read")
    columns.update(run=run_ids, hour=_hours(_raw(hour), rows), kommun=kommun_raw,
                   category=categories.astype(np.int16) - ord(_CATEGORY_CHARS[0]))
    return columns


def _chunks(session, stop: threading.Event) -> Iterator[tuple]:
    sql = text(_chunk_sql(session.get_bind().dialect.name))
    low, high = session.exec(select(func.min(Observation.id), func.max(Observation.id))).one()
    if low is None:
        return
    for lo in range(low, high + 1, _CHUNK_ROWS):
        if stop.is_set():
            return
        result = tuple(session.execute(sql, {"lo": lo, "hi": lo + _CHUNK_ROWS}).one())
        if result[0]:
            yield result


def _in_memory(store) -> bool:
    url = store.engine.url
    return store.dialect == "sqlite" and (not url.database or url.database == ":memory:"
                                          or "mode=memory" in str(url))


def _chunk_results(target: StoreOrSession) -> Iterator[tuple]:
    """The chunk query's result for every block of ids, in order.

    With a Store the queries run in a background thread on their own connection, so the database
    works on the next block while numpy decodes this one (SQLite and psycopg release the GIL).
    Blocks are separate statements: rows written or purged meanwhile may be seen in part.
    """
    stop = threading.Event()
    if isinstance(target, Session):
        yield from _chunks(target, stop)
        return
    if _in_memory(target):  # an in-memory database belongs to one connection: no second thread
        with target.session() as session:
            yield from _chunks(session, stop)
        return
    queue: Queue = Queue(maxsize=2)
    done = object()

    def worker() -> None:
        try:
            with target.session() as session:
                for result in _chunks(session, stop):
                    queue.put(result)
        except BaseException as exc:  # handed to the consumer
            queue.put(exc)
        else:
            queue.put(done)

    thread = threading.Thread(target=worker, name="lagesbild-columnar", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let the worker finish (it may be blocked on a full queue)
            try:
                queue.get(timeout=0.1)
            except Empty:
                pass
        thread.join()


def _read_columnar(target: StoreOrSession) -> ObservationColumns:
    codes = (_TokenCodes(), _TokenCodes(), _TokenCodes())
    parts: dict[str, list[np.ndarray]] = {}
    for result in _chunk_results(target):
        for name, column in _decode_chunk(result, codes).items():
            parts.setdefault(name, []).append(column)

    def joined(name: str, dtype) -> np.ndarray:
        return np.concatenate(parts[name]).astype(dtype, copy=False) if name in parts else np.zeros(0, dtype=dtype)

    kommun_all = joined("kommun", np.uint32)
    values, inverse = np.unique(kommun_all, return_inverse=True)
    names = [raw.tobytes().decode("ascii") for raw in np.ascontiguousarray(values).view(np.uint8).reshape(-1, 4)]
    has_none = bool(values.size) and values[0] == 0  # no code is four NUL bytes
    remap = np.arange(values.size, dtype=np.int64) - (1 if has_none else 0)
    return ObservationColumns(
        run=joined("run", np.int64), hour=joined("hour", np.int64), ad=joined("ad", np.int32),
        profile=joined("profile", np.int32), phone=joined("phone", np.int32),
        kommun=remap[inverse].astype(np.int32), category=joined("category", np.int16),
        ad_tokens=codes[0].tokens(), profile_tokens=codes[1].tokens(), phone_tokens=codes[2].tokens(),
        kommun_codes=tuple(names[1:] if has_none else names), categories=tuple(CATEGORIES), method="columnar",
    )


# --- the plain path ----------------------------------------------------------------


class _Codes(dict):
    def code(self, value) -> int:
        found = self.get(value)
        if found is None:
            found = self[value] = len(self)
        return found


def _read_rows(target: StoreOrSession) -> ObservationColumns:
    statement = (
        select(Observation.run_id, Observation.ad_token, Observation.profile_token, Observation.phone_token,
               Observation.kommun_code, Observation.category, Observation.observed_at)
        .order_by(Observation.id)
        .execution_options(yield_per=20_000)
    )
    ads, profiles, phones, kommuner, hours_ = _Codes(), _Codes(), _Codes(), _Codes(), {}
    categories = _Codes({name: i for i, name in enumerate(CATEGORIES)})
    run, hour, ad, profile, phone, kommun, category = [], [], [], [], [], [], []
    epoch = datetime(1970, 1, 1)
    with session_scope(target) as session:
        for run_id, ad_token, profile_token, phone_token, kommun_code, cat, observed_at in session.exec(statement):
            run.append(run_id)
            h = hours_.get(observed_at)
            if h is None:
                h = hours_[observed_at] = int((to_naive_utc(observed_at) - epoch).total_seconds() // 3600)
            hour.append(h)
            ad.append(ads.code(ad_token))
            profile.append(profiles.code(profile_token) if profile_token else -1)  # '' counts as no token
            phone.append(phones.code(phone_token) if phone_token else -1)
            kommun.append(-1 if kommun_code is None else kommuner.code(kommun_code))
            category.append(categories.code(cat))

    def array(values: Sequence[int], dtype) -> np.ndarray:
        return np.array(values, dtype=dtype)

    return ObservationColumns(
        run=array(run, np.int64), hour=array(hour, np.int64), ad=array(ad, np.int32),
        profile=array(profile, np.int32), phone=array(phone, np.int32), kommun=array(kommun, np.int32),
        category=array(category, np.int16), ad_tokens=tuple(ads), profile_tokens=tuple(profiles),
        phone_tokens=tuple(phones), kommun_codes=tuple(kommuner), categories=tuple(categories), method="rows",
    )


def utc_hour_start(hour: int) -> datetime:
    """The aware UTC moment an hour index starts."""
    return datetime.fromtimestamp(hour * 3600, tz=timezone.utc)
