"""Domain and URL-path discovery: where did the classifier find math, and what did it miss there?

DeepSeekMath: a domain with more than 10% of its pages collected is math-related; inside it,
people annotate the URL paths that hold math (`mathoverflow.net/questions`); uncollected pages
under those paths, and pages linked from them, join the next seed as positives. That is how the
loop reaches math written without the seed's vocabulary (plain-language solutions on Q&A sites).

Here every step reduces small per-shard summaries: a domain table (pages in pool, pages selected)
from the selection stage, then per-shard counts of URL path prefixes inside the math domains, then
a human-editable annotation file pre-filled by the recipe's rule. The next round reads the file as
it is then (a reviewer's edits win; the rule's own output is kept beside it as `*.prefill.tsv`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from corpus import shards
from corpus.selection import Cut

ANNOTATION_COLUMNS = ["accept", "domain", "path", "pages", "selected", "rate"]
YES = {"yes", "y", "true", "1", "x", "accept"}


@dataclass
class DiscoveryConfig:
    """Which domains count as math-related and which of their paths the rule pre-accepts."""

    key: str = "domain"  # group pages by registered domain ("domain") or by full host name ("host")
    domain_rate: float = 0.10  # a domain with more than this share of its pool pages selected is math-related
    min_domain_pages: int = 10  # ignore domains with fewer pool pages (a 1-page domain is 0% or 100%)
    max_depth: int = 2  # URL path prefixes considered: /a/ (depth 1) up to /a/b/ (depth 2)
    accept_min_rate: float = 0.3  # pre-fill rule: accept a path whose selection rate is at least this ...
    accept_min_pages: int = 20  # ... and that holds at least this many pool pages
    specific_share: float = 0.9  # ... unless one pre-accepted sub-path holds this share of its selected
    # pages: then the sub-path says where the math is (askanything.net/questions/math/, not /questions/);
    # 0 disables
    min_path_pages: int = 2  # prefixes holding fewer pool pages are left out of the annotation file
    follow_links: bool = True  # pages linked from pages under accepted paths also join the seed
    links_same_domain: bool = True  # ... but only links staying inside a math-related domain


def url_path(url: str) -> str:
    return urlsplit(url or "").path or "/"


def path_prefixes(url: str, max_depth: int) -> list[str]:
    """Directory prefixes of a URL path: "/q/12/title" -> ["/q/", "/q/12/"] for depth 2. The last
    segment (the page itself) is never a prefix."""
    segs = [s for s in url_path(url).split("/") if s]
    dirs = segs if url_path(url).endswith("/") else segs[:-1]
    return ["/" + "/".join(dirs[:d]) + "/" for d in range(1, min(max_depth, len(dirs)) + 1)]


def under(url: str, prefix: str) -> bool:
    p = url_path(url)
    return p.startswith(prefix) or p + "/" == prefix


def reduce_domains(summary_paths: list[str], cfg: DiscoveryConfig) -> pa.Table:
    """Sum per-shard domain summaries; add `rate` and `math` (rate > domain_rate, enough pages)."""
    t = pa.concat_tables([shards.read_table(p) for p in summary_paths])
    g = t.group_by("key").aggregate([("pages", "sum"), ("selected", "sum"), ("selected_tokens", "sum")])
    g = g.rename_columns(["key", "pages", "selected", "selected_tokens"])
    rate = pc.divide(pc.cast(g.column("selected"), pa.float64()), pc.cast(g.column("pages"), pa.float64()))
    g = g.append_column("rate", rate)
    is_math = pc.and_(
        pc.greater(rate, cfg.domain_rate), pc.greater_equal(g.column("pages"), cfg.min_domain_pages)
    )
    g = g.append_column("math", is_math)
    return g.take(pc.sort_indices(g, [("rate", "descending"), ("key", "ascending")]))


def count_paths(
    scores_shard: str, out_path: str, cut: dict[str, Any], math_keys: list[str], key: str, max_depth: int
) -> dict[str, int]:
    """Stage: inside math-related domains, pages and selected pages per URL path prefix."""
    sc = shards.read_table(scores_shard, columns=["id", "url", key, "score"])
    keys = sc.column(key).to_pylist()
    wanted = set(math_keys)
    rows = [i for i, k in enumerate(keys) if k in wanted]
    counts: dict[tuple[str, str], list[int]] = {}
    if rows:
        sub = sc.take(pa.array(rows, pa.int64()))
        mask = Cut.from_dict(cut).mask(
            sub.column("score").to_numpy(zero_copy_only=False), sub.column("id").to_pylist()
        )
        for k, url, m in zip(sub.column(key).to_pylist(), sub.column("url").to_pylist(), mask):
            for prefix in path_prefixes(url, max_depth):
                c = counts.setdefault((k, prefix), [0, 0])
                c[0] += 1
                c[1] += int(m)
    items = sorted(counts.items())
    shards.write_table(
        pa.table(
            {
                "key": [k for (k, _), _ in items],
                "path": [p for (_, p), _ in items],
                "pages": pa.array([c[0] for _, c in items], pa.int64()),
                "selected": pa.array([c[1] for _, c in items], pa.int64()),
            }
        ),
        out_path,
    )
    return {"records_in": sc.num_rows, "kept": len(rows), "prefixes": len(items)}


def reduce_paths(paths: list[str]) -> pa.Table:
    t = pa.concat_tables([shards.read_table(p) for p in paths])
    g = t.group_by(["key", "path"]).aggregate([("pages", "sum"), ("selected", "sum")])
    g = g.rename_columns(["key", "path", "pages", "selected"])
    rate = pc.divide(pc.cast(g.column("selected"), pa.float64()), pc.cast(g.column("pages"), pa.float64()))
    g = g.append_column("rate", rate)
    return g.take(pc.sort_indices(g, [("key", "ascending"), ("rate", "descending"), ("path", "ascending")]))


def prefill(table: pa.Table, cfg: DiscoveryConfig) -> list[dict[str, Any]]:
    """Annotation rows with `accept` set by the recipe's rule: rate and size, then specificity (a path
    whose selected pages lie almost all under one accepted sub-path is left to that sub-path, so that
    the other sub-paths of a mixed section do not join the seed)."""
    rows = [r for r in table.to_pylist() if r["pages"] >= cfg.min_path_pages]
    ok = {
        (r["key"], r["path"]): r["rate"] >= cfg.accept_min_rate and r["pages"] >= cfg.accept_min_pages
        for r in rows
    }
    if cfg.specific_share > 0:
        by_key: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_key.setdefault(r["key"], []).append(r)
        # deepest first, so that a chain /a/ > /a/b/ > /a/b/c/ resolves from the bottom
        for r in sorted(rows, key=lambda r: -r["path"].count("/")):
            if not ok[(r["key"], r["path"])] or not r["selected"]:
                continue
            for c in by_key[r["key"]]:
                if (
                    c["path"] != r["path"]
                    and c["path"].startswith(r["path"])
                    and ok[(c["key"], c["path"])]
                    and c["selected"] >= cfg.specific_share * r["selected"]
                ):
                    ok[(r["key"], r["path"])] = False
                    break
    out = []
    for r in rows:
        out.append(
            {
                "accept": "yes" if ok[(r["key"], r["path"])] else "no",
                "domain": r["key"],
                "path": r["path"],
                "pages": r["pages"],
                "selected": r["selected"],
                "rate": f"{r['rate']:.4f}",
            }
        )
    return out


def format_annotations(rows: list[dict[str, Any]], header: str) -> str:
    buf = io.StringIO()
    for line in header.splitlines():
        buf.write(f"# {line}\n")
    w = csv.DictWriter(buf, ANNOTATION_COLUMNS, delimiter="\t", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def read_annotations(path: str, accepted: bool = True) -> list[tuple[str, str]]:
    """Accepted (domain, path) pairs of an annotation file as a reviewer left it (with
    `accepted=False`: the rejected ones). Lines starting with # are comments; `accept` is yes/no
    (also y, true, 1, x); unknown values count as no."""
    fs, p = shards.url_to_fs(path)
    with fs.open(p, "r", encoding="utf-8") as f:
        lines = [ln for ln in f.read().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return []
    reader = csv.DictReader(lines, delimiter="\t")
    missing = {"accept", "domain", "path"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"annotation file {path} lacks column(s) {', '.join(sorted(missing))}")
    out = []
    for row in reader:
        is_yes = (row.get("accept") or "").strip().lower() in YES
        if is_yes == accepted and row.get("domain") and row.get("path"):
            path_ = row["path"].strip()
            if not path_.startswith("/"):
                path_ = "/" + path_
            out.append((row["domain"].strip(), path_))
    return sorted(set(out))


def _selected_ids(paths: list[str]) -> set[str]:
    ids: set[str] = set()
    for p in paths:
        if shards.exists(p):
            ids.update(shards.read_table(p, columns=["id"]).column("id").to_pylist())
    return ids


def _matcher(accepted: list[list[str]] | list[tuple[str, str]]):
    by_key: dict[str, list[str]] = {}
    for k, p in accepted:
        by_key.setdefault(k, []).append(p)

    def match(k: str | None, url: str) -> bool:
        return any(under(url, p) for p in by_key.get(k or "", ()))

    return match


def normalise_link(url: str) -> str:
    return urldefrag(url or "")[0]


def collect_under_paths(
    pool_shard: str,
    out_path: str,
    links_path: str,
    accepted: list[list[str]],
    selected_paths: list[str],
    key: str,
    follow_links: bool,
    math_keys: list[str],
    links_same_domain: bool,
) -> dict[str, int]:
    """Stage: pages under accepted paths not selected so far (new positives), and the out-links of
    every page under an accepted path (for the linked-pages pass)."""
    match = _matcher(accepted)
    selected = _selected_ids(selected_paths)
    cols = ["id", "url", key, "text"] + (["out_links"] if follow_links else [])
    t = shards.read_table(pool_shard, columns=cols)
    keep, links = [], set()
    math_set = set(math_keys)
    for i, (doc_id, url, k) in enumerate(
        zip(t.column("id").to_pylist(), t.column("url").to_pylist(), t.column(key).to_pylist())
    ):
        if not match(k, url):
            continue
        if doc_id not in selected:
            keep.append(i)
        if follow_links:
            for link in t.column("out_links")[i].as_py() or ():
                links.add(normalise_link(link))
    if links_same_domain and follow_links:
        # keep a link only if its host lies in a math-related domain/host: cheap test on the host
        links = {u for u in links if _host_in(urlsplit(u).hostname or "", math_set)}
    out = t.select(["id", "url", "text"]).take(pa.array(keep, pa.int64()))
    shards.write_table(out, out_path)
    shards.write_table(pa.table({"url": sorted(links)}, schema=pa.schema([("url", pa.string())])), links_path)
    return {"records_in": t.num_rows, "kept": len(keep), "links": len(links)}


def _host_in(host: str, keys: set[str]) -> bool:
    """True if `host` is one of `keys` or a subdomain of one (keys are hosts or registered domains)."""
    host = host.lower().rstrip(".")
    parts = host.split(".")
    return any(".".join(parts[i:]) in keys for i in range(len(parts)))


def collect_linked(
    pool_shard: str,
    under_path: str,
    links_paths: list[str],
    out_path: str,
    selected_paths: list[str],
    rejected: list[list[str]] | None = None,
    key: str = "domain",
) -> dict[str, int]:
    """Stage: this shard's seed additions = pages under accepted paths (from the previous pass) plus
    pages linked from them, none selected so far, each once. A linked page under a path the
    annotation file rejects stays out: the reviewer (or the rule) said that path is not math, and
    site-wide navigation ("popular posts") links math sections to everything else on the site."""
    under_t = shards.read_table(under_path)
    links: set[str] = set()
    for p in links_paths:
        links.update(shards.read_table(p).column("url").to_pylist())
    linked = under_t.slice(0, 0)
    n_rejected = 0
    if links:
        selected = _selected_ids(selected_paths)
        have = set(under_t.column("id").to_pylist())
        is_rejected = _matcher(rejected or [])
        t = shards.read_table(pool_shard, columns=["id", "url", key, "text"])
        keep = []
        for i, (doc_id, url, k) in enumerate(
            zip(t.column("id").to_pylist(), t.column("url").to_pylist(), t.column(key).to_pylist())
        ):
            if normalise_link(url) in links and doc_id not in selected and doc_id not in have:
                if is_rejected(k, url):
                    n_rejected += 1
                else:
                    keep.append(i)
        linked = t.select(["id", "url", "text"]).take(pa.array(keep, pa.int64()))
    out = pa.concat_tables([under_t, linked])
    shards.write_table(out, out_path)
    return {
        "records_in": under_t.num_rows,
        "kept": out.num_rows,
        "under_paths": under_t.num_rows,
        "linked": linked.num_rows,
        "linked_under_rejected_paths": n_rejected,
    }
