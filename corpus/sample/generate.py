"""Generate the sample crawl: WARC files, seed, sample benchmark, ground truth and manifest.

    manifest = generate_sample("data/sample", seed=0)

Everything derives from `seed` through named random streams, so the same seed gives byte-identical
files (gzip members with mtime 0, record ids hashed from the seed, dates drawn, never read from the
clock). See docs/sample.md for the layout and the meaning of every ground-truth column.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.sample import math_text
from corpus.sample.benchmark import QUOTE_KINDS, make_benchmark, mutate, ngrams10, words
from corpus.sample.content import Block, Content, P, main_text
from corpus.sample.markup import FAMILY
from corpus.sample.math_text import math_content
from corpus.sample.neardup import near_duplicate
from corpus.sample.page import Site, render_page
from corpus.sample.sites import DEFAULT_PAGES, plan_sites
from corpus.sample.warc_writer import (
    WarcFile,
    build_record,
    http_request,
    http_response,
    record_id,
    sha1_digest,
)
from corpus.sample.web_text import nonmath_content

VERSION = "1"
CRAWL_START = datetime(2024, 2, 20, tzinfo=timezone.utc)
RECRAWL_START = datetime(2024, 4, 10, tzinfo=timezone.utc)
NEAR_DUP_TARGETS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
HARD_NEGATIVE_TOPICS = {"finance", "programming"}

TRUTH_SCHEMA = pa.schema(
    [
        pa.field("url", pa.string(), nullable=False),
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("warc_file", pa.string(), nullable=False),
        pa.field("warc_offset", pa.int64(), nullable=False),
        pa.field("warc_length", pa.int64(), nullable=False),
        pa.field("fetch_time", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("domain", pa.string()),
        pa.field("host", pa.string()),
        pa.field("lang", pa.string()),
        pa.field("is_math", pa.bool_(), nullable=False),
        pa.field("math_style", pa.string()),
        pa.field("markup", pa.string(), nullable=False),
        pa.field("markup_variant", pa.string(), nullable=False),
        pa.field("n_formulas", pa.int32(), nullable=False),
        pa.field("section", pa.string(), nullable=False),
        pa.field("topic", pa.string()),
        pa.field("dup_of", pa.string()),
        pa.field("dup_of_record", pa.string()),
        pa.field("dup_kind", pa.string()),
        pa.field("near_dup_of", pa.string()),
        pa.field("near_dup_of_record", pa.string()),
        pa.field("near_dup_jaccard", pa.float64()),
        pa.field("contaminated_by", pa.string()),
        pa.field("contamination_kind", pa.string()),
        pa.field("clean_twin_of", pa.string()),
        pa.field("broken", pa.bool_(), nullable=False),
        pa.field("broken_kind", pa.string()),
        pa.field("out_links", pa.list_(pa.string())),
        pa.field("main_text", pa.string()),
    ]
)


@dataclass
class Page:
    """One response record to write, with its ground truth."""

    url: str
    site: Site | None
    date: datetime
    content: Content | None
    section: str
    variant: str = "none"  # markup variant of the body
    head_variant: str = "none"  # which math renderer the page loads
    group: str = ""  # pages of one group link to each other
    body: bytes = b""
    content_type: str = "text/html; charset=UTF-8"
    truth: dict[str, Any] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    # byte-level damage (broken records)
    content_length_delta: int = 0
    truncate_frac: float | None = None
    garbage_before: bytes = b""
    at_file_end: int | None = None  # write as the last record of this file
    revisit: bool = False  # also write a revisit record after it


def _slug(title: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return s[:60].rstrip("-")


class _Urls:
    """Per-site URL maker: unique ids, a URL scheme per theme."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.next_id: dict[str, int] = {}

    def make(self, site: Site, content: Content, topic: str, date: datetime, in_math_path: bool) -> str:
        i = self.next_id.get(site.host, self.rng.randint(1000, 90000))
        self.next_id[site.host] = i + self.rng.randint(1, 37)
        slug = _slug(content.title) if site.lang == "en" else ""
        tail = f"{i}/{slug}" if slug else f"{i}.html"
        if in_math_path:
            return f"{site.base}{site.math_path}{tail}"
        if site.host.startswith("www.askanything"):
            return f"{site.base}/questions/{topic}/{tail}"
        if site.theme == "forum":
            return f"{site.base}/questions/{tail}" if site.kind == "math" else f"{site.base}/t/{tail}"
        if site.theme == "blog":
            return f"{site.base}/{date:%Y/%m}/{slug}-{i}/" if slug else f"{site.base}/{date:%Y/%m}/{i}.html"
        if site.theme == "wiki":
            return f"{site.base}/wiki/{(slug or str(i)).replace('-', '_').capitalize()}_{i}"
        sec = topic.replace("zh_", "")
        return f"{site.base}/{sec}/{date:%Y}/{slug + '-' if slug else ''}{i}.html"


def _date(rng: random.Random, start: datetime, days: int = 14) -> datetime:
    return start + timedelta(seconds=rng.randrange(days * 86400))


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _math_page(site: Site, content: Content, url: str, date: datetime, section: str) -> Page:
    variant = site.variant if content.n_formulas else "none"
    head = site.variant if site.kind == "math" or section == "mixed_site_math_path" else "none"
    return Page(url, site, date, content, section, variant, head, group=f"{site.host}|math")


def _base_truth(page: Page) -> dict[str, Any]:
    c, s = page.content, page.site
    is_math = bool(c is not None and c.style is not None)
    return {
        "url": page.url,
        "domain": s.domain if s else None,
        "host": s.host if s else None,
        "lang": c.lang if c else None,
        "is_math": is_math,
        "math_style": c.style if c else None,
        "markup": FAMILY[page.variant],
        "markup_variant": page.variant,
        "n_formulas": c.n_formulas if c else 0,
        "section": page.section,
        "topic": c.topic if c else None,
        "broken": False,
        "main_text": main_text(c) if c else None,
    }


# --------------------------------------------------------------------------------------------------------


def _site_pages(sites: list[Site], rng: random.Random, urls: _Urls) -> list[Page]:
    pages = []
    for site in sites:
        for _ in range(site.n_other):
            topic = rng.choice(site.topics)
            c = nonmath_content(rng, topic, site.lang)
            date = _date(rng, CRAWL_START)
            hard = topic in HARD_NEGATIVE_TOPICS or site.loads_mathjax
            section = (
                "hard_negative" if hard else ("mixed_site_other" if site.kind == "mixed" else "nonmath_site")
            )
            url = urls.make(site, c, topic, date, in_math_path=False)
            pages.append(Page(url, site, date, c, section, group=f"{site.host}|other"))
        styles = ["latex"] * site.n_latex + ["plain"] * site.n_plain
        rng.shuffle(styles)
        for style in styles:
            c = math_content(rng, style, site.lang)
            date = _date(rng, CRAWL_START)
            section = "mixed_site_math_path" if site.kind == "mixed" else "math_site"
            url = urls.make(site, c, c.topic, date, in_math_path=site.kind == "mixed")
            pages.append(_math_page(site, c, url, date, section))
    return pages


QUOTE_INTROS = [
    "I found this problem on a practice sheet and keep getting a different answer from the key:",
    "Our teacher handed out this question today, can somebody walk me through it?",
    "Here is the exact problem from the workbook, copied word for word:",
    "Stuck on this one for an hour now:",
    "Posting this for my study group, we disagree about the result:",
]
SOLUTION_LABELS = ["Solution:", "The answer key says:", "Worked answer:", "Reference solution:"]

# page generators on the same topic as each benchmark template (clean twins share the topic, no 10-gram)
GSM_TWINS = ["sharing", "shopping", "shopping", "fractions_words", "area_words", "shopping"]
MATH_TWINS = ["quadratic", "modular", "combinatorics", "integral", "quadratic", "trig", "geometric_series"]


def _contamination_pages(
    sites: dict[str, Site], gsm: list[dict], mth: list[dict], rng: random.Random, urls: _Urls, scale: float
) -> list[Page]:
    """Pages quoting benchmark items (several kinds of text change), and same-topic pages that quote none."""
    pages = []
    gsm_hosts = [
        sites[h]
        for h in (
            "www.homeworkbuddy.com",
            "www.parentscorner.org",
            "www.askanything.net",
            "www.askmathforum.com",
        )
    ]
    math_hosts = [sites[h] for h in ("www.rawtexarchive.org", "theoremnotes.org", "www.askanything.net")]
    n_gsm, n_math = max(5, round(20 * scale)), max(5, round(16 * scale))
    plan = [("gsm8k", i, gsm_hosts, "plain") for i in rng.sample(range(len(gsm)), n_gsm)]
    plan += [("math", i, math_hosts, "latex") for i in rng.sample(range(len(mth)), n_math)]
    for n, (bench, i, hosts, style) in enumerate(plan):
        site = hosts[n % len(hosts)]
        item = gsm[i] if bench == "gsm8k" else mth[i]
        q, sol = (
            (item["question"], item["answer"]) if bench == "gsm8k" else (item["problem"], item["solution"])
        )
        item_id = str(i) if bench == "gsm8k" else item["unique_id"]
        kind = QUOTE_KINDS[n % len(QUOTE_KINDS)]
        with_solution = n % 3 != 2
        quoted = mutate(q, kind, rng)
        blocks = [P(rng.choice(QUOTE_INTROS)), Block("br", quoted) if isinstance(quoted, list) else P(quoted)]
        if with_solution:
            blocks.append(P(rng.choice(SOLUTION_LABELS)))
            for line in sol.split("\n"):
                ql = mutate(line, kind, rng)
                blocks.append(Block("br", ql) if isinstance(ql, list) else P(ql))
        body = math_content(rng, style, "en")
        c = Content(
            f"Question about a {body.topic.replace('_', ' ')} problem",
            blocks + body.blocks,
            "en",
            style,
            body.topic,
        )
        date = _date(rng, CRAWL_START)
        in_path = site.kind == "mixed"
        url = urls.make(site, c, c.topic, date, in_math_path=in_path)
        page = _math_page(site, c, url, date, "mixed_site_math_path" if in_path else "math_site")
        page.variant = site.variant if c.n_formulas else "none"
        page.truth = {
            "contaminated_by": f"{bench}:{item_id}",
            "contamination_kind": f"{kind}+solution" if with_solution else kind,
        }
        pages.append(page)
    # clean twins: same topic as an item, written by the page generators, sharing no 10-gram with it
    n_twins = max(3, round(6 * scale))
    for bench, items, hosts, style, twins in (
        ("gsm8k", gsm, gsm_hosts, "plain", GSM_TWINS),
        ("math", mth, math_hosts, "latex", MATH_TWINS),
    ):
        for n, i in enumerate(rng.sample(range(len(items)), n_twins)):
            site = hosts[n % len(hosts)]
            c = getattr(math_text, twins[i % len(twins)])(rng)
            c.style = style
            date = _date(rng, CRAWL_START)
            in_path = site.kind == "mixed"
            url = urls.make(site, c, c.topic, date, in_math_path=in_path)
            page = _math_page(site, c, url, date, "mixed_site_math_path" if in_path else "math_site")
            page.truth = {"clean_twin_of": f"{bench}:{i if bench == 'gsm8k' else items[i]['unique_id']}"}
            pages.append(page)
    return pages


def _link(pages: list[Page], rng: random.Random) -> None:
    """Related links inside a group (math pages to math pages of their section), popular links inside the
    site, and now and then a link to another site."""
    groups: dict[str, list[Page]] = {}
    by_site: dict[str, list[Page]] = {}
    for p in pages:
        groups.setdefault(p.group, []).append(p)
        by_site.setdefault(p.site.host, []).append(p)
    all_urls = [p for p in pages]
    for p in pages:
        peers = [q for q in groups[p.group] if q is not p]
        related = rng.sample(peers, min(4, len(peers)))
        popular = rng.sample(by_site[p.site.host], min(3, len(by_site[p.site.host])))
        if rng.random() < 0.2:
            related.append(rng.choice(all_urls))
        p.truth.setdefault("_related", [(q.url, q.content.title) for q in related])
        p.truth.setdefault("_popular", [(q.url, q.content.title) for q in popular])


def _render(page: Page, rng: random.Random, charset: str = "utf-8") -> str:
    rel, pop = page.truth["_related"], page.truth["_popular"]
    html = render_page(
        page.site,
        page.content,
        page.variant,
        page.url,
        _iso(page.date),
        rel,
        pop,
        rng,
        charset=charset,
        head_variant=page.head_variant,
    )
    page.links = sorted({u for u, _ in rel + pop})
    return html


def _dup_url(url: str, kind: str, rng: random.Random) -> str:
    if kind == "tracking_params":
        return (
            url
            + ("&" if "?" in url else "?")
            + rng.choice(
                ["utm_source=newsletter&utm_medium=email", "utm_campaign=spring&fbclid=IwAR0x", "ref=rss"]
            )
        )
    if kind == "scheme_or_slash":
        return (
            url.replace("https://", "http://", 1)
            if rng.random() < 0.5
            else (url[:-1] if url.endswith("/") else url + "/")
        )
    # another path serving the same page: an AMP copy or a print view
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}/{rng.choice(['amp', 'print', 'mirror'])}/{path}"


def _near_url(url: str, n: int) -> str:
    if url.endswith("/"):
        return url[:-1] + f"-v{n}/"
    if url.endswith(".html"):
        return url[:-5] + f"-v{n}.html"
    return url + f"-v{n}"


# --- broken records ------------------------------------------------------------------------------------


def _fake_pdf(rng: random.Random) -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
        + bytes(rng.randrange(256) for _ in range(600))
        + b"\n%%EOF\n"
    )


def _fake_png(rng: random.Random) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(400))


def _broken_pages(sites: dict[str, Site], rng: random.Random, urls: _Urls, n_files: int) -> list[Page]:
    out = []

    def page_on(host: str, style: str | None, topic: str | None = None) -> Page:
        site = sites[host]
        c = (
            math_content(rng, style, site.lang)
            if style
            else nonmath_content(rng, topic or site.topics[0], site.lang)
        )
        date = _date(rng, CRAWL_START)
        url = urls.make(site, c, c.topic, date, in_math_path=bool(style and site.kind == "mixed"))
        if style:
            return _math_page(
                site, c, url, date, "math_site" if site.kind == "math" else "mixed_site_math_path"
            )
        return Page(url, site, date, c, "nonmath_site", group=f"{site.host}|other")

    # damaged bytes; the content is an ordinary page
    p = page_on("www.citynewsdaily.com", None)
    p.truth, p.truncate_frac, p.at_file_end = {"broken_kind": "truncated_gzip"}, 0.55, 0
    out.append(p)
    p = page_on("www.askmathforum.com", "latex")
    p.truth, p.garbage_before = (
        {"broken_kind": "garbage_before"},
        bytes(rng.randrange(32, 127) for _ in range(97)),
    )
    out.append(p)
    p = page_on("www.reelcritic.com", None)
    p.truth, p.content_length_delta = {"broken_kind": "content_length_short"}, -300
    out.append(p)
    p = page_on("www.kitchenjournal.net", None)
    p.truth, p.content_length_delta, p.at_file_end = (
        {"broken_kind": "content_length_long"},
        400,
        min(1, n_files - 1),
    )
    out.append(p)
    # charset trouble: GBK declared only in <meta>; UTF-8 body under a wrong HTTP charset
    for host, style in (("www.shuxuebang.cn", "latex"), ("www.xinwen-kuaibao.cn", None)):
        p = page_on(host, style)
        p.truth, p.content_type = {"broken_kind": "charset_meta_only_gbk", "_charset": "gbk"}, "text/html"
        out.append(p)
    p = page_on("www.tiyu-zhoubao.com", None)
    p.truth, p.content_type = {"broken_kind": "charset_wrong_header"}, "text/html; charset=ISO-8859-1"
    out.append(p)
    # payloads that are not HTML, and an empty body
    for kind, ctype, maker in (
        ("non_html_pdf", "application/pdf", _fake_pdf),
        ("non_html_png", "image/png", _fake_png),
    ):
        site = sites["www.gadgetverdict.com"]
        url = f"{site.base}/files/{rng.randint(1000, 9999)}.{ctype.split('/')[1]}"
        p = Page(url, site, _date(rng, CRAWL_START), None, "broken", body=maker(rng), content_type=ctype)
        p.truth = {"broken_kind": kind}
        out.append(p)
    site = sites["www.wanderlustnotes.com"]
    p = Page(
        f"{site.base}/feed/empty-{rng.randint(100, 999)}/",
        site,
        _date(rng, CRAWL_START),
        None,
        "broken",
        body=b"",
    )
    p.truth = {"broken_kind": "empty_body"}
    out.append(p)
    for p in out:
        p.truth["broken"] = True
    return out


# --- seed ------------------------------------------------------------------------------------------------
SEED_DOMAINS = [
    "mathhelpforum-archive.org",
    "lecturenotes.example.edu",
    "mathblog-digest.com",
    "problemsolving-hub.net",
    "analysis-notes.org",
    "algebra-review.com",
    "numbertheory-notes.net",
    "linearalgebra-lectures.org",
]


def _seed_rows(rng: random.Random, n: int) -> list[dict]:
    """Positive seed in OpenWebMath's columns: latex-style text only (never plain style); one document in
    ten is Chinese so the round-1 classifier has some chance on the Chinese math sites."""
    rows = []
    for i in range(n):
        c = math_content(rng, "latex", "zh" if i % 10 == 9 else "en")
        dom = rng.choice(SEED_DOMAINS)
        date = _date(rng, datetime(2023, 1, 1, tzinfo=timezone.utc), 365)
        n_inline = sum(1 for b in c.blocks for s in b.segs if getattr(s, "display", None) is False)
        n_disp = c.n_formulas - n_inline
        meta = {
            "extraction_info": {
                "found_math": True,
                "script_math_tex": 0,
                "script_math_asciimath": 0,
                "math_annotations": 0,
                "math_alttext": 0,
                "mathml": 0,
                "mathjax_tag": 0,
                "mathjax_inline_tex": n_inline,
                "mathjax_display_tex": n_disp,
                "mathjax_asciimath": 0,
                "img_math": 0,
                "codecogs_latex": 0,
                "wp_latex": 0,
                "mimetex.cgi": 0,
                "/images/math/codecogs": 0,
                "mathtex.cgi": 0,
                "katex": 0,
                "math-container": 0,
                "wp-katex-eq": 0,
                "align": 0,
                "equation": 0,
                "x-ck12": 0,
                "texerror": 0,
                "math_score": round(0.6 + 0.4 * rng.random(), 4),
                "perplexity": round(5 + 20 * rng.random(), 2),
            }
        }
        rows.append(
            {
                "url": f"https://{dom}/{_slug(c.title)}-{i}",
                "text": main_text(c),
                "date": date.strftime("%Y-%m-%d %H:%M:%S"),
                "metadata": json.dumps(meta, sort_keys=True),
            }
        )
    return rows


# --- main ------------------------------------------------------------------------------------------------


@dataclass
class Manifest:
    out_dir: Path
    seed: int
    version: str
    counts: dict[str, Any]
    files: dict[str, dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "seed": self.seed, "counts": self.counts, "files": self.files}


def generate_sample(
    out_dir: str | Path, seed: int = 0, n_pages: int = DEFAULT_PAGES, n_files: int = 6, n_seed: int = 600
) -> Manifest:
    """Write the sample crawl into `out_dir` (see module docstring) and return its manifest.

    `n_pages` sets the size of the regular site pages (duplicates, contamination and broken records come
    on top); `n_files` the number of WARC files; `n_seed` the number of seed documents."""
    out = Path(out_dir)
    for sub in ("warc", "seed", "benchmark"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    scale = n_pages / DEFAULT_PAGES
    R = lambda name: random.Random(f"{seed}-{name}")  # noqa: E731  one named stream per concern
    sites = plan_sites(scale)
    by_host = {s.host: s for s in sites}
    urls = _Urls(R("urls"))

    # 1. benchmark
    gsm, mth = make_benchmark(seed)
    _write_jsonl(out / "benchmark" / "sample-gsm8k.jsonl", gsm)
    _write_jsonl(out / "benchmark" / "sample-math.jsonl", mth)

    # 2. pages of the sites, contamination, links, HTML
    pages = _site_pages(sites, R("pages"), urls)
    pages += _contamination_pages(by_host, gsm, mth, R("contamination"), urls, scale)
    broken = _broken_pages(by_host, R("broken"), urls, n_files)
    _link(pages + [b for b in broken if b.content is not None], R("links"))
    rr = R("render")
    for p in pages:
        p.body = _render(p, rr).encode("utf-8")
    for p in broken:
        if p.content is not None:
            charset = p.truth.get("_charset", "utf-8")
            p.body = _render(p, rr, charset=charset).encode(charset)
    _check_contamination(pages, gsm, mth)

    # 3. exact and near duplicates of ordinary pages
    rd = R("dups")
    pool = [p for p in pages if not ({"contaminated_by", "clean_twin_of"} & p.truth.keys())]
    rd.shuffle(pool)
    n_recap, n_track, n_slash, n_other = (max(3, round(k * scale)) for k in (40, 20, 10, 25))
    dups: list[Page] = []
    kinds = (
        ["url_recapture"] * n_recap
        + ["tracking_params"] * n_track
        + ["scheme_or_slash"] * n_slash
        + ["other_url"] * n_other
    )
    for kind, orig in zip(kinds, pool):
        if kind == "url_recapture":
            dup = Page(
                orig.url,
                orig.site,
                _date(rd, RECRAWL_START),
                orig.content,
                orig.section,
                orig.variant,
                orig.head_variant,
            )
            dup.revisit = rd.random() < 0.3
        else:
            dup = Page(
                _dup_url(orig.url, kind, rd),
                orig.site,
                _date(rd, CRAWL_START + timedelta(days=14), 7),
                orig.content,
                orig.section,
                orig.variant,
                orig.head_variant,
            )
        dup.body, dup.links = orig.body, orig.links
        dup.truth = {"dup_of": orig.url, "_orig": orig, "dup_kind": kind}
        orig.truth["_has_dup"] = True
        dups.append(dup)
    near_pool = [
        p for p in pool[len(kinds) :] if p.content.lang == "en" and len(words(main_text(p.content))) > 150
    ]
    n_near = max(len(NEAR_DUP_TARGETS), round(70 * scale))
    for n, orig in enumerate(near_pool[:n_near]):
        target = NEAR_DUP_TARGETS[n % len(NEAR_DUP_TARGETS)]
        c, j = near_duplicate(orig.content, target, rd)
        dup = Page(
            _near_url(orig.url, 2),
            orig.site,
            _date(rd, CRAWL_START),
            c,
            orig.section,
            orig.variant,
            orig.head_variant,
        )
        dup.truth = {
            "near_dup_of": orig.url,
            "_orig": orig,
            "near_dup_jaccard": round(j, 4),
            "_related": orig.truth["_related"],
            "_popular": orig.truth["_popular"],
        }
        dup.body = _render(dup, rr).encode("utf-8")
        dups.append(dup)

    # 4. write WARC files
    records = pages + dups
    rw = R("warc")
    rw.shuffle(records)
    per_file: list[list[Page]] = [records[k::n_files] for k in range(n_files)]
    for p in broken:
        if p.at_file_end is not None:
            per_file[p.at_file_end].append(p)
        else:
            f = per_file[rw.randrange(n_files)]
            f.insert(rw.randrange(1, len(f)), p)
    truth_rows = _write_warcs(out / "warc", per_file, seed, rw)

    # 5. seed, truth, manifest
    _write_jsonl(out / "seed" / "openwebmath.jsonl", _seed_rows(R("seed"), n_seed))
    table = pa.Table.from_pylist(truth_rows, schema=TRUTH_SCHEMA)
    tmp = out / "truth.parquet.tmp"
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(out / "truth.parquet")
    manifest = Manifest(out, seed, VERSION, _counts(truth_rows, sites, n_seed, len(gsm), len(mth)), {})
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            data = path.read_bytes()
            manifest.files[str(path.relative_to(out))] = {
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
    (out / "manifest.json").write_text(
        json.dumps(manifest.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    return manifest


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)


def _check_contamination(pages: list[Page], gsm: list[dict], mth: list[dict]) -> None:
    """Only the planted pages may share a 10-gram (or, for items under 10 words, the whole item) with the
    benchmark: the ground truth must be exact, not hoped for."""
    long_grams: dict[tuple, str] = {}
    short: dict[tuple, str] = {}
    texts = [(f"gsm8k:{i}", r["question"], r["answer"]) for i, r in enumerate(gsm)]
    texts += [(f"math:{r['unique_id']}", r["problem"], r["solution"]) for r in mth]
    for iid, *parts in texts:
        for t in parts:
            w = words(t)
            if len(w) < 10:
                short[tuple(w)] = iid
            for g in ngrams10(t):
                long_grams.setdefault(g, iid)
    for p in pages:
        w = words(main_text(p.content))
        grams = {tuple(w[i : i + 10]) for i in range(len(w) - 9)}
        hit = any(g in long_grams for g in grams)
        if not hit:
            joined = " " + " ".join(w) + " "
            hit = any(" " + " ".join(s) + " " in joined for s in short if len(s) >= 3)
        planted = "contaminated_by" in p.truth
        if hit != planted:
            raise RuntimeError(f"sample generator bug: {p.url} planted={planted} but benchmark overlap={hit}")


def _write_warcs(warc_dir: Path, per_file: list[list[Page]], seed: int, rng: random.Random) -> list[dict]:
    rows = []
    # record ids first, so a duplicate can name its original's record whichever file holds it
    ids = {
        id(p): record_id(seed, "response", p.url, _iso(p.date), k, i)
        for k, lst in enumerate(per_file)
        for i, p in enumerate(lst)
    }
    for k, lst in enumerate(per_file):
        name = f"sample-{k:05d}.warc.gz"
        wf = WarcFile(warc_dir / name)
        info_id = record_id(seed, "warcinfo", name)
        info = (
            f"software: mathmine-sample/{VERSION}\r\nformat: WARC File Format 1.0\r\n"
            f"isPartOf: mathmine-sample-seed-{seed}\r\ndescription: generated sample crawl (ground truth in truth.parquet)\r\n"
            "robots: checked via crawler-commons\r\n"
        ).encode()
        wf.add(
            build_record(
                "warcinfo",
                [
                    ("WARC-Date", _iso(CRAWL_START)),
                    ("WARC-Filename", name),
                    ("WARC-Record-ID", info_id),
                    ("Content-Type", "application/warc-fields"),
                ],
                info,
            )
        )
        for p in lst:
            rid = ids[id(p)]
            host, _, path = p.url.partition("://")[2].partition("/")
            req_id = record_id(seed, "request", rid)
            wf.add(
                build_record(
                    "request",
                    [
                        ("WARC-Date", _iso(p.date)),
                        ("WARC-Record-ID", req_id),
                        ("WARC-Warcinfo-ID", info_id),
                        ("Content-Type", "application/http; msgtype=request"),
                        ("WARC-Target-URI", p.url),
                    ],
                    http_request(host, "/" + path),
                )
            )
            block = http_response(p.body, p.content_type, format_datetime(p.date, usegmt=True))
            headers = [
                ("WARC-Date", _iso(p.date)),
                ("WARC-Record-ID", rid),
                ("WARC-Warcinfo-ID", info_id),
                ("WARC-Concurrent-To", req_id),
                ("Content-Type", "application/http; msgtype=response"),
                ("WARC-IP-Address", f"10.{len(host) % 200}.{sum(map(ord, host)) % 250}.{len(path) % 250}"),
                ("WARC-Target-URI", p.url),
                ("WARC-Payload-Digest", sha1_digest(p.body)),
                ("WARC-Block-Digest", sha1_digest(block)),
                ("WARC-Identified-Payload-Type", p.content_type.split(";")[0]),
            ]
            if p.garbage_before:
                wf.add_raw(p.garbage_before)
            rec = build_record(
                "response",
                headers,
                block,
                len(block) + p.content_length_delta if p.content_length_delta else None,
            )
            placed = (
                wf.add(rec)
                if p.truncate_frac is None
                else wf.add(rec, truncate_to=int(len(_gz(rec)) * p.truncate_frac))
            )
            rows.append(_truth_row(p, rid, name, placed.offset, placed.length, ids))
            if p.truncate_frac is not None or p.at_file_end is not None:
                continue  # a truncated or over-long record must be the file's last member
            meta = (
                f"fetchTimeMs: {rng.randint(40, 2500)}\r\ncharset-detected: {'GB18030' if 'gbk' in p.truth.get('_charset', '') else 'UTF-8'}\r\n"
            ).encode()
            wf.add(
                build_record(
                    "metadata",
                    [
                        ("WARC-Date", _iso(p.date)),
                        ("WARC-Record-ID", record_id(seed, "metadata", rid)),
                        ("WARC-Warcinfo-ID", info_id),
                        ("WARC-Refers-To", rid),
                        ("WARC-Target-URI", p.url),
                        ("Content-Type", "application/warc-fields"),
                    ],
                    meta,
                )
            )
            if p.revisit:
                later = p.date + timedelta(days=rng.randint(3, 20))
                rv_block = http_response(
                    b"", p.content_type, format_datetime(later, usegmt=True), status="304 Not Modified"
                )
                wf.add(
                    build_record(
                        "revisit",
                        [
                            ("WARC-Date", _iso(later)),
                            ("WARC-Record-ID", record_id(seed, "revisit", rid)),
                            ("WARC-Warcinfo-ID", info_id),
                            ("WARC-Target-URI", p.url),
                            (
                                "WARC-Profile",
                                "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
                            ),
                            ("WARC-Refers-To-Target-URI", p.url),
                            ("WARC-Refers-To-Date", _iso(p.date)),
                            ("WARC-Payload-Digest", sha1_digest(p.body)),
                            ("Content-Type", "application/http; msgtype=response"),
                        ],
                        rv_block,
                    )
                )
        wf.write()
    return rows


def _gz(rec: bytes) -> bytes:
    from corpus.sample.warc_writer import gzip_member

    return gzip_member(rec)


def _truth_row(p: Page, rid: str, warc_file: str, offset: int, length: int, ids: dict[int, str]) -> dict:
    row = {k: None for k in TRUTH_SCHEMA.names}
    row.update(_base_truth(p))
    row.update({k: v for k, v in p.truth.items() if not k.startswith("_")})
    orig = p.truth.get("_orig")
    if orig is not None:
        key = "dup_of_record" if "dup_of" in p.truth else "near_dup_of_record"
        row[key] = ids[id(orig)]
    row.update(
        {
            "record_id": rid,
            "warc_file": warc_file,
            "warc_offset": offset,
            "warc_length": length,
            "fetch_time": p.date,
            "out_links": p.links or None,
            "broken": bool(p.truth.get("broken", False)),
        }
    )
    if p.content is None:
        row["is_math"] = False
    return row


def _counts(rows: list[dict], sites: list[Site], n_seed: int, n_gsm: int, n_math: int) -> dict[str, Any]:
    def count(key: str, where=lambda r: True) -> dict[str, int]:
        return dict(sorted(Counter(str(r[key]) for r in rows if where(r)).items()))

    return {
        "response_records": len(rows),
        "domains": len({s.domain for s in sites}),
        "sites": len(sites),
        "is_math": count("is_math"),
        "math_style": count("math_style", lambda r: r["is_math"]),
        "markup": count("markup", lambda r: r["is_math"]),
        "markup_variant": count("markup_variant", lambda r: r["is_math"]),
        "section": count("section"),
        "lang": count("lang"),
        "exact_duplicates": count("dup_kind", lambda r: r["dup_kind"] is not None),
        "near_duplicates": count("near_dup_jaccard", lambda r: r["near_dup_of"] is not None)
        and dict(
            Counter(
                str(min(NEAR_DUP_TARGETS, key=lambda t: abs(t - r["near_dup_jaccard"])))
                for r in rows
                if r["near_dup_of"]
            )
        ),
        "contaminated": count("contamination_kind", lambda r: r["contaminated_by"] is not None),
        "clean_twins": sum(r["clean_twin_of"] is not None for r in rows),
        "broken": count("broken_kind", lambda r: r["broken"]),
        "seed_documents": n_seed,
        "benchmark_items": {"gsm8k": n_gsm, "math": n_math},
    }
