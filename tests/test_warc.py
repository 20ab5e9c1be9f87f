"""The WARC reader on real files from ../shared/data and on corrupt files built here."""

from __future__ import annotations

import gzip
from collections import Counter

import pytest

from corpus.charset import decode_html
from corpus.warc import WarcOpenError, expand_inputs, iter_warc, read_record_at
from corpus.warc_writer import gzip_member, request_record, response_record, write_warc


def _page(i: int) -> bytes:
    return f"<html><body><p>page {i} ".encode() + b"hello world " * 30 + b"</p></body></html>"


def _records(n: int = 5) -> list[bytes]:
    return [response_record(f"http://a.example/{i}", _page(i)) for i in range(n)]


def _kinds(path) -> Counter:
    return Counter(r.error or r.record_type for r in iter_warc(str(path)))


def _urls(path) -> list[str]:
    return [r.url for r in iter_warc(str(path)) if r.record_type == "response" and not r.error]


@pytest.mark.parametrize(
    "rel, expected",
    [
        ("warc_resiliparse/warcfile.warc.gz", {"warcinfo": 1, "request": 17, "response": 16, "metadata": 16}),
        ("warc_cc_whirlwind/whirlwind.warc.gz", {"warcinfo": 1, "request": 1, "response": 1, "metadata": 1}),
        ("warc_jwarc/cc.warc.gz", {"response": 1}),
        ("warc_cmoncrawl/mini.warc.gz", {"warcinfo": 1, "request": 1, "response": 1}),
        (
            "warc_dolma/sample-0000.warc.gz",
            {"warcinfo": 1, "request": 22, "response": 22, "metadata": 1, "resource": 2},
        ),
        ("warc_warcio/example.warc.gz", {"warcinfo": 2, "request": 2, "response": 1, "revisit": 1}),
        ("warc_warcio/example-iana.org-chunked.warc", {"warcinfo": 1, "request": 1, "response": 1}),
    ],
)
def test_real_warcs_record_counts_match_warcio(shared_data, rel, expected):
    # expected counts are the ones shared/data/README.md reports from warcio 1.8.1
    assert dict(_kinds(shared_data / rel)) == expected
    # one record per gzip member (or plain): addressed by file offset, never as a gunzipped stream
    assert all(r.record_offset is None for r in iter_warc(str(shared_data / rel)))


def test_offsets_reread_every_response(shared_data):
    path = str(shared_data / "warc_resiliparse/warcfile.warc.gz")
    n = 0
    for rec in iter_warc(path):
        if rec.record_type == "response" and not rec.error:
            html = read_record_at(path, rec.offset, rec.length)
            assert html == decode_html(rec.payload, rec.charset)[0]
            n += 1
    assert n == 16


def test_chunked_body_is_dechunked(shared_data):
    (rec,) = [
        r
        for r in iter_warc(str(shared_data / "warc_warcio/example-iana.org-chunked.warc"))
        if r.record_type == "response"
    ]
    assert rec.payload.lstrip().lower().startswith(b"<!doctype html")
    assert b"\r\n0\r\n" not in rec.payload[-10:]
    assert (
        read_record_at(
            str(shared_data / "warc_warcio/example-iana.org-chunked.warc"), rec.offset, rec.length
        ).count("<html")
        == 1
    )


def test_declared_charsets(shared_data):
    recs = {
        r.url: r
        for r in iter_warc(str(shared_data / "warc_resiliparse/warcfile.warc.gz"))
        if r.record_type == "response"
    }
    ru = recs["http://01spb.ru/company/"]
    assert ru.charset == "windows-1251"
    text, how = decode_html(ru.payload, ru.charset)
    assert how.startswith("http:") and "Компания" in text or "компани" in text.lower()


def test_truncated_gzip_keeps_records_before(tmp_path):
    data = b"".join(gzip_member(r) for r in _records(5))
    p = tmp_path / "t.warc.gz"
    p.write_bytes(data[:-40])
    assert _urls(p) == [f"http://a.example/{i}" for i in range(4)]
    assert _kinds(p)["truncated_gzip"] == 1


def test_corrupt_member_in_the_middle(tmp_path):
    m = [gzip_member(r) for r in _records(5)]
    p = tmp_path / "t.warc.gz"
    p.write_bytes(m[0] + m[1] + m[2][: len(m[2]) // 2] + m[3] + m[4])
    assert _urls(p) == [f"http://a.example/{i}" for i in (0, 1, 3, 4)]
    assert _kinds(p)["corrupt_gzip"] == 1


@pytest.mark.parametrize("gz", [True, False])
def test_garbage_between_records(tmp_path, gz):
    recs = _records(4)
    enc = gzip_member if gz else (lambda r: r)
    p = tmp_path / ("g.warc.gz" if gz else "g.warc")
    p.write_bytes(enc(recs[0]) + enc(recs[1]) + b"\x00garbage\r\n" * 40 + enc(recs[2]) + enc(recs[3]))
    assert _urls(p) == [f"http://a.example/{i}" for i in range(4)]
    assert _kinds(p)["garbage_bytes"] == 1


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("delta", [50, -20])
def test_wrong_content_length_skips_only_that_record(tmp_path, gz, delta):
    recs = _records(4)
    recs[1] = response_record("http://a.example/bad", _page(9), content_length_delta=delta)
    p = write_warc(tmp_path / ("b.warc.gz" if gz else "b.warc"), recs)
    assert _urls(p) == [f"http://a.example/{i}" for i in (0, 2, 3)]
    assert _kinds(p)["bad_content_length"] == 1


def test_not_a_warc(tmp_path):
    p = tmp_path / "x.warc.gz"
    p.write_bytes(b"hello, this is not a WARC file\n" * 100)
    assert dict(_kinds(p)) == {"garbage_bytes": 1}
    q = tmp_path / "y.warc.gz"
    q.write_bytes(gzip.compress(b"no warc inside\n" * 100))
    assert dict(_kinds(q)) == {"invalid_warc_header": 1}
    e = tmp_path / "empty.warc"
    e.write_bytes(b"")
    assert list(iter_warc(str(e))) == []


def test_too_large_record_is_skipped_with_headers(tmp_path):
    big = response_record("http://big.example/", b"<html><body>" + b"x" * (3 << 20) + b"</body></html>")
    p = write_warc(tmp_path / "big.warc.gz", [_records(1)[0], big, _records(3)[2]])
    recs = list(iter_warc(str(p), max_record_bytes=1 << 20))
    assert [(r.url, r.error) for r in recs] == [
        ("http://a.example/0", None),
        ("http://big.example/", "too_large"),
        ("http://a.example/2", None),
    ]
    assert recs[1].payload is None


def _whole_stream(shared_data, copies: int = 1) -> bytes:
    """Shared Common Crawl WARCs (per-record gzip) re-compressed as one gzip stream, `gzip file.warc`
    style."""
    plain = b"".join(
        gzip.decompress((shared_data / rel).read_bytes())
        for rel in ("warc_resiliparse/warcfile.warc.gz", "warc_dolma/sample-0000.warc.gz")
    )
    return gzip.compress(plain * copies)


def test_whole_stream_gzip_is_read_record_by_record(tmp_path, shared_data):
    """A WARC gzipped as one stream larger than the record cap: every record read (per-member framing
    would see one oversized member), each re-readable from its position in the gunzipped stream."""
    per_record = [r for r in iter_warc(str(shared_data / "warc_resiliparse/warcfile.warc.gz"))]
    per_record += [r for r in iter_warc(str(shared_data / "warc_dolma/sample-0000.warc.gz"))]
    p = tmp_path / "whole.warc.gz"
    p.write_bytes(_whole_stream(shared_data, copies=3))
    recs = list(iter_warc(str(p), max_record_bytes=1 << 20))
    assert [(r.record_type, r.record_id, r.error) for r in recs] == [
        (r.record_type, r.record_id, r.error) for r in per_record * 3
    ]
    assert all(r.offset == 0 and r.record_offset is not None for r in recs)
    responses = [r for r in recs if r.record_type == "response" and not r.error]
    for rec in responses[:: max(1, len(responses) // 12)] + responses[-1:]:
        html = read_record_at(str(p), rec.offset, rec.length, rec.record_offset)
        assert html == decode_html(rec.payload, rec.charset)[0]


@pytest.mark.parametrize("damage", ["truncate", "corrupt"])
def test_whole_stream_gzip_damage_keeps_records_before(tmp_path, shared_data, damage):
    data = _whole_stream(shared_data)
    whole = [r.record_id for r in iter_warc(_write(tmp_path / "ok.warc.gz", data))]
    cut = len(data) // 2
    bad = data[:cut] if damage == "truncate" else data[:cut] + b"\xff" * 64 + data[cut + 64 :]
    recs = list(iter_warc(_write(tmp_path / "bad.warc.gz", bad)))
    good = [r.record_id for r in recs if not r.error]
    assert 0 < len(good) < len(whole) and good == whole[: len(good)]
    assert recs[-1].error == ("truncated_gzip" if damage == "truncate" else "corrupt_gzip")
    if damage == "truncate":  # the record cut by the end is part of that one row
        assert recs[-2].error is None


def _plain(shared_data) -> bytes:
    return gzip.decompress((shared_data / "warc_resiliparse/warcfile.warc.gz").read_bytes())


@pytest.mark.parametrize("layout", ["padded", "concatenated", "blocks"])
def test_gunzipped_stream_layouts(tmp_path, shared_data, layout):
    """Streams with 40 KB of zero padding between members, two one-stream files concatenated, and
    a file cut into 64 KB blocks gzipped separately (bgzip style): every record, each re-read."""
    plain = _plain(shared_data)
    one = gzip.compress(plain)
    if layout == "padded":
        data, n = one + b"\0" * 40_000 + one, 2
    elif layout == "concatenated":
        data, n = one + one, 2
    else:
        data, n = b"".join(gzip.compress(plain[i : i + 65536]) for i in range(0, len(plain), 65536)), 1
    p = _write(tmp_path / "s.warc.gz", data)
    expected = [r.record_id for r in iter_warc(str(shared_data / "warc_resiliparse/warcfile.warc.gz"))] * n
    recs = list(iter_warc(p))
    assert [r.record_id for r in recs] == expected and not any(r.error for r in recs)
    responses = [r for r in recs if r.record_type == "response"]
    for rec in responses[::5]:
        assert (
            read_record_at(p, rec.offset, rec.length, rec.record_offset)
            == decode_html(rec.payload, rec.charset)[0]
        )


def test_gunzipped_stream_memory_stays_bounded(tmp_path):
    """A 64 MB run of zeros (1,000:1 in gzip) between pages: skipped as too large with bounded
    memory, the pages around it read."""
    import tracemalloc

    zeros = response_record("http://zeros.example/", b"<html>" + b"\0" * (64 << 20))
    p = _write(tmp_path / "z.warc.gz", gzip.compress(_records(1)[0] + zeros + _records(2)[1]))
    tracemalloc.start()
    recs = [(r.url, r.error) for r in iter_warc(p, max_record_bytes=1 << 20)]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert recs == [
        ("http://a.example/0", None),
        ("http://zeros.example/", "too_large"),
        ("http://a.example/1", None),
    ]
    assert peak < 24 << 20, peak


def test_read_records_at_reads_a_stream_in_one_pass(tmp_path, shared_data):
    from corpus.warc import read_records_at

    p = _write(tmp_path / "s.warc.gz", gzip.compress(_plain(shared_data)))
    recs = [r for r in iter_warc(p) if r.record_type == "response"]
    places = [(r.offset, r.length, r.record_offset) for r in reversed(recs)]  # any order
    places.append((0, 100, 10**9))  # past the end: an error for that place only
    got = dict(read_records_at(p, places))
    assert sorted(got) == list(range(len(places)))
    assert isinstance(got[len(places) - 1], ValueError)
    for i, r in enumerate(reversed(recs)):
        assert got[i] == decode_html(r.payload, r.charset)[0]


def test_whole_stream_gzip_with_a_large_first_record(tmp_path):
    """A first record larger than the first read (1 MB compressed) still reveals a one-stream file."""
    import random

    big = response_record("http://big.example/", b"<html><body>" + random.Random(0).randbytes(3 << 20))
    p = tmp_path / "s.warc.gz"
    p.write_bytes(gzip.compress(big + b"".join(_records(3))))
    recs = list(iter_warc(str(p)))
    assert [r.url for r in recs] == ["http://big.example/"] + [f"http://a.example/{i}" for i in range(3)]
    assert all(r.record_offset is not None and not r.error for r in recs)


def _write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_truncated_too_large_record_in_a_plain_file_is_counted(tmp_path):
    """A plain WARC ending inside a record over the cap: that record is `truncated_record` (it
    came back as a whole record with an empty payload)."""
    big = response_record("http://big.example/", b"<html><body>" + b"x" * (3 << 20))
    p = tmp_path / "t.warc"
    p.write_bytes((_records(1)[0] + big)[:-1000])
    recs = [(r.url, r.error) for r in iter_warc(str(p), max_record_bytes=1 << 20)]
    assert recs == [("http://a.example/0", None), ("http://big.example/", "truncated_record")]


def test_request_records_are_typed(tmp_path):
    p = write_warc(tmp_path / "r.warc", [request_record("http://a.example/0"), _records(1)[0]])
    assert dict(_kinds(p)) == {"request": 1, "response": 1}


def test_expand_inputs(tmp_path, shared_data):
    a = write_warc(tmp_path / "b.warc.gz", _records(1))
    b = write_warc(tmp_path / "a.warc.gz", _records(1))
    assert expand_inputs([str(tmp_path / "*.warc.gz")]) == [str(b), str(a)]
    listing = tmp_path / "warc.paths.gz"
    listing.write_bytes(gzip.compress(b"crawl-data/CC-MAIN-2024-22/x.warc.gz\n" + str(a).encode() + b"\n"))
    got = expand_inputs([str(listing)], cc_base_url="s3://commoncrawl/")
    assert got == sorted([str(a), "s3://commoncrawl/crawl-data/CC-MAIN-2024-22/x.warc.gz"])
    with pytest.raises(WarcOpenError, match="missing.warc.gz"):
        expand_inputs([str(tmp_path / "missing.warc.gz")])
    with pytest.raises(WarcOpenError, match="no WARC file matches"):
        expand_inputs([str(tmp_path / "*.nothing")])


def test_unopenable_file_names_it(tmp_path):
    with pytest.raises(WarcOpenError, match="nope.warc.gz"):
        list(iter_warc(str(tmp_path / "nope.warc.gz")))


def test_later_member_holding_several_records(tmp_path):
    """Per-record members, then one member holding three records and a stretch of garbage (a
    one-stream WARC appended), then a per-record member again: every record in file order, the
    garbage counted, and each page re-read from its place (the member's offset, plus its position
    in the member's gunzipped bytes for all but the member's first record)."""
    from corpus.warc import read_records_at

    recs = _records(7)
    data = b"".join(gzip_member(r) for r in recs[:3])
    member_at = len(data)
    data += gzip_member(recs[3] + recs[4] + b"\x00garbage\r\n" + recs[5]) + gzip_member(recs[6])
    p = _write(tmp_path / "mixed.warc.gz", data)
    got = list(iter_warc(p))
    assert [r.url if not r.error else r.error for r in got] == [
        *(f"http://a.example/{i}" for i in range(5)),
        "garbage_bytes",
        "http://a.example/5",
        "http://a.example/6",
    ]
    inner = got[4:7]
    assert got[3].offset == member_at and got[3].record_offset is None
    assert all(r.offset == member_at and r.record_offset for r in inner)
    assert len({r.record_offset for r in inner}) == 3
    pages = [r for r in got if not r.error]
    for rec in pages:
        assert (
            read_record_at(p, rec.offset, rec.length, rec.record_offset) == _page(int(rec.url[-1])).decode()
        )
    places = [(r.offset, r.length, r.record_offset) for r in reversed(pages)]
    answers = dict(read_records_at(p, places))
    assert [answers[i] for i in range(len(places))] == [
        _page(int(r.url[-1])).decode() for r in reversed(pages)
    ]


def test_read_records_at_reports_a_corrupt_member(tmp_path):
    """A member that no longer inflates is an error for its place only (it escaped as a zlib
    error, which the final stage does not catch); the places around it are read."""
    from corpus.warc import read_records_at

    members = [gzip_member(r) for r in _records(3)]
    bad = bytearray(members[1])
    bad[20:40] = b"\xff" * 20
    p = _write(tmp_path / "bad.warc.gz", members[0] + bytes(bad) + members[2])
    places = [(0, len(members[0]), None), (len(members[0]), len(bad), None)]
    places.append((len(members[0]) + len(bad), len(members[2]), None))
    got = dict(read_records_at(p, places))
    assert got[0] == _page(0).decode() and got[2] == _page(2).decode()
    assert isinstance(got[1], ValueError)
