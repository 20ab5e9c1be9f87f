"""Whole HTML pages: the main content wrapped in a site's boilerplate (header, navigation, cookie banner,
byline, related links, comments, sidebar ads, footer, analytics), as real pages are.

The boilerplate is shared by math and non-math sites alike, so it carries no signal about math; the
related links point at other pages of the same site (math pages at other math pages of their section),
which is what link-based discovery follows.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field

from corpus.sample.content import Content
from corpus.sample.markup import head_scripts, render_blocks


@dataclass
class Site:
    """One generated web site (a host on a registered domain) and what it publishes."""

    domain: str  # registered domain (eTLD+1)
    host: str
    name: str
    lang: str  # "en" | "zh"
    kind: str  # "math" | "mixed" | "nonmath"
    theme: str  # "forum" | "blog" | "news" | "wiki"
    variant: str = "none"  # markup variant of its math pages (see markup.py)
    topics: tuple[str, ...] = ()  # non-math topics (keys of web_text pools)
    n_other: int = 0  # non-math pages
    n_latex: int = 0  # latex-style math pages
    n_plain: int = 0  # plain-style math pages
    math_path: str = ""  # URL path of the math section ("" on pure math sites: the whole site)
    loads_mathjax: bool = False  # theme loads MathJax on every page, math or not
    sections: tuple[str, ...] = field(default=())

    @property
    def base(self) -> str:
        return f"https://{self.host}"


COMMENTS = {
    "en": [
        "Great post, thanks for sharing!",
        "This is exactly what I was looking for.",
        "Bookmarked for later.",
        "I disagree with the second point, but well written.",
        "Thanks, this helped a lot.",
        "Could you write a follow-up on this?",
        "Clear and to the point.",
        "Has anyone tried this recently?",
        "Shared this with my study group.",
        "Nice explanation, very easy to follow.",
    ],
    "zh": [
        "写得很好，感谢分享！",
        "收藏了，慢慢看。",
        "讲得很清楚，谢谢楼主。",
        "有没有更多类似的文章？",
        "学习了，支持一下。",
    ],
}
USERS = [
    "anna_k",
    "curious_cat",
    "mike77",
    "j.smith",
    "quietreader",
    "dr_wu",
    "pixelpusher",
    "lucky_lin",
    "owl42",
    "tenzing",
]
ADS = {
    "en": [
        "Save 20% on your first order with code WELCOME20",
        "Compare car insurance quotes in minutes",
        "Learn a new language in 15 minutes a day",
        "Free shipping on orders over fifty dollars",
        "The best noise-cancelling headphones of the year",
    ],
    "zh": ["新用户注册即送优惠券", "暑期特惠，全场五折起", "下载客户端，享受更多精彩内容"],
}
UI = {
    "en": {
        "home": "Home",
        "related": "Related posts",
        "comments": "Comments",
        "popular": "Popular",
        "ad": "Advertisement",
        "cookie": "We use cookies to improve your experience on our site.",
        "learn": "Learn more",
        "newsletter": "Subscribe to our newsletter for weekly updates.",
        "rights": "All rights reserved.",
        "about": "About",
        "contact": "Contact",
        "privacy": "Privacy policy",
        "by": "Posted by",
        "on": "on",
        "search": "Search",
    },
    "zh": {
        "home": "首页",
        "related": "相关文章",
        "comments": "评论",
        "popular": "热门文章",
        "ad": "广告",
        "cookie": "本站使用 Cookie 以改善您的浏览体验。",
        "learn": "了解更多",
        "newsletter": "订阅我们的每周精选。",
        "rights": "版权所有。",
        "about": "关于我们",
        "contact": "联系我们",
        "privacy": "隐私政策",
        "by": "作者",
        "on": "发布于",
        "search": "搜索",
    },
}


def render_page(
    site: Site,
    content: Content,
    variant: str,
    url: str,
    date: str,
    related: list[tuple[str, str]],
    popular: list[tuple[str, str]],
    rng: random.Random,
    charset: str = "utf-8",
    head_variant: str = "none",
) -> str:
    """The full HTML of one page. `variant` is the markup of this page's math ("none" without math);
    `head_variant` decides which math scripts the page loads (a math site loads its renderer on every page,
    including pages without formulas)."""
    ui = UI[site.lang]
    lang = site.lang
    e = html.escape
    alt = rng.randrange(2)
    meta = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        if charset.lower() != "utf-8"
        else '<meta charset="utf-8">'
    )
    nav = "".join(
        f'<li><a href="{site.base}/{s}/">{e(s.replace("-", " ").title())}</a></li>' for s in site.sections
    )
    rel = "".join(f'<li><a href="{u}">{e(t)}</a></li>' for u, t in related)
    pop = "".join(f'<li><a href="{u}">{e(t)}</a></li>' for u, t in popular)
    comments = "".join(
        f'<div class="comment"><span class="user">{rng.choice(USERS)}</span><p>{e(rng.choice(COMMENTS[lang]))}</p></div>'
        for _ in range(rng.randint(0, 3))
    )
    byline = (
        f'<div class="post-meta">asked {date[:10]} by <a href="{site.base}/users/{rng.randint(100, 99999)}">{rng.choice(USERS)}</a>'
        f" · {rng.randint(0, 60)} votes · {rng.randint(20, 9000)} views</div>"
        if site.theme == "forum"
        else f'<div class="byline">{ui["by"]} {rng.choice(USERS)} {ui["on"]} {date[:10]}</div>'
    )
    body = render_blocks(content.blocks, variant, alt)
    scripts = head_scripts(head_variant, loads_mathjax=site.loads_mathjax)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
{meta}
<title>{e(content.title)} - {e(site.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{site.base}/static/{site.theme}.css">
{scripts}
</head>
<body class="{site.theme}">
<header class="site-header">
<a class="logo" href="{site.base}/">{e(site.name)}</a>
<nav><ul><li><a href="{site.base}/">{ui["home"]}</a></li>{nav}</ul></nav>
<form class="search" action="{site.base}/search"><input type="text" name="q" placeholder="{ui["search"]}"></form>
</header>
<div class="cookie-banner">{ui["cookie"]} <a href="{site.base}/privacy">{ui["learn"]}</a></div>
<div class="container">
<main>
<article>
<h1>{e(content.title)}</h1>
{byline}
<div class="post-body">
{body}
</div>
</article>
<section class="related"><h3>{ui["related"]}</h3><ul>{rel}</ul></section>
<section class="comments"><h3>{ui["comments"]}</h3>{comments}</section>
</main>
<aside class="sidebar">
<div class="ad"><span class="ad-label">{ui["ad"]}</span><a href="https://ads.example-adnetwork.com/click?id={rng.randint(1000, 9999)}">{e(rng.choice(ADS[lang]))}</a></div>
<h3>{ui["popular"]}</h3><ul>{pop}</ul>
<div class="newsletter">{ui["newsletter"]}</div>
</aside>
</div>
<footer>&copy; 2024 {e(site.name)}. {ui["rights"]} <a href="{site.base}/about">{ui["about"]}</a> | <a href="{site.base}/contact">{ui["contact"]}</a> | <a href="{site.base}/privacy">{ui["privacy"]}</a></footer>
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}} gtag('js', new Date());</script>
</body>
</html>
"""
