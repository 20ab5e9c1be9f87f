"""The sample's web: a few dozen sites, what each publishes, and in which markup.

* math sites: one markup variant each (every family is covered), mostly latex-style pages; some also
  hold plain-style pages, and one (homeworkbuddy.com) holds nothing but plain-style math.
* mixed sites: otherwise non-math sites with a math section under a URL path (`/questions/`,
  `/math/`, …) holding both styles. The latex pages alone are >10% of the site's pages, so discovery
  marks the domain math-related after round 1 and ranks the path high; the plain pages under it are
  what the round-1 classifier misses and discovery adds to the seed.
* non-math sites in English and Chinese, two of them hard negatives (finance full of dollar amounts;
  a developer blog that loads MathJax on every page without any math).

Page counts are given for the default size and scaled by `scale`.
"""

from __future__ import annotations

from dataclasses import replace

from corpus.sample.page import Site

_SITES = [
    # --- pure math, English: one markup variant each -------------------------------------------------
    Site(
        "askmathforum.com",
        "www.askmathforum.com",
        "Ask Math Forum",
        "en",
        "math",
        "forum",
        "mathjax_script",
        n_latex=80,
        n_plain=16,
    ),
    Site(
        "theoremnotes.org",
        "theoremnotes.org",
        "Theorem Notes",
        "en",
        "math",
        "wiki",
        "mathjax_delims",
        n_latex=80,
    ),
    Site(
        "calculuscorner.net",
        "www.calculuscorner.net",
        "Calculus Corner",
        "en",
        "math",
        "blog",
        "katex",
        n_latex=75,
        n_plain=14,
    ),
    Site(
        "openmathtexts.org",
        "books.openmathtexts.org",
        "Open Math Texts",
        "en",
        "math",
        "wiki",
        "mathml_alttext",
        n_latex=70,
    ),
    Site(
        "proofwiki-lite.org",
        "www.proofwiki-lite.org",
        "ProofWiki Lite",
        "en",
        "math",
        "wiki",
        "mathml_annotation",
        n_latex=70,
    ),
    Site(
        "primesandproofs.blog",
        "primesandproofs.blog",
        "Primes and Proofs",
        "en",
        "math",
        "blog",
        "latex_img_wp",
        n_latex=75,
        n_plain=15,
    ),
    Site(
        "equationhelp.net",
        "www.equationhelp.net",
        "Equation Help",
        "en",
        "math",
        "forum",
        "latex_img_codecogs",
        n_latex=70,
    ),
    Site(
        "rawtexarchive.org",
        "www.rawtexarchive.org",
        "Raw TeX Archive",
        "en",
        "math",
        "forum",
        "tex_delims",
        n_latex=75,
    ),
    Site(
        "asciimathclass.com",
        "www.asciimathclass.com",
        "AsciiMath Class",
        "en",
        "math",
        "blog",
        "asciimath",
        n_latex=60,
    ),
    Site(
        "homeworkbuddy.com",
        "www.homeworkbuddy.com",
        "Homework Buddy",
        "en",
        "math",
        "forum",
        "none",
        n_plain=80,
    ),
    # --- pure math, Chinese ---------------------------------------------------------------------------
    Site(
        "shuxuebang.cn",
        "www.shuxuebang.cn",
        "数学帮",
        "zh",
        "math",
        "forum",
        "mathjax_delims",
        n_latex=70,
        n_plain=10,
    ),
    Site(
        "tikuwang.com.cn",
        "www.tikuwang.com.cn",
        "题库网",
        "zh",
        "math",
        "blog",
        "katex",
        n_latex=60,
        n_plain=20,
    ),
    # --- mixed: a hidden math section under a path -----------------------------------------------------
    Site(
        "dailyherald-news.com",
        "www.dailyherald-news.com",
        "Daily Herald News",
        "en",
        "mixed",
        "news",
        "mathjax_script",
        topics=("news", "sports", "finance"),
        n_other=75,
        n_latex=22,
        n_plain=28,
        math_path="/questions/",
    ),
    Site(
        "techtalkhub.com",
        "www.techtalkhub.com",
        "TechTalk Hub",
        "en",
        "mixed",
        "blog",
        "katex",
        topics=("tech", "programming"),
        n_other=75,
        n_latex=22,
        n_plain=28,
        math_path="/math/",
    ),
    Site(
        "parentscorner.org",
        "www.parentscorner.org",
        "Parents Corner",
        "en",
        "mixed",
        "forum",
        "mathjax_delims",
        topics=("health", "recipe", "gardening"),
        n_other=75,
        n_latex=22,
        n_plain=28,
        math_path="/homework-help/",
    ),
    Site(
        "campuslife.edu",
        "www.campuslife.edu",
        "Campus Life",
        "en",
        "mixed",
        "news",
        "mathml_alttext",
        topics=("news", "sports", "travel"),
        n_other=75,
        n_latex=22,
        n_plain=28,
        math_path="/courses/math/",
    ),
    Site(
        "askanything.net",
        "www.askanything.net",
        "Ask Anything",
        "en",
        "mixed",
        "forum",
        "tex_delims",
        topics=("recipe", "travel", "tech", "health"),
        n_other=75,
        n_latex=22,
        n_plain=28,
        math_path="/questions/math/",
    ),
    Site(
        "xinwen-zhoukan.cn",
        "www.xinwen-zhoukan.cn",
        "新闻周刊",
        "zh",
        "mixed",
        "news",
        "mathjax_delims",
        topics=("zh_news", "zh_food"),
        n_other=55,
        n_latex=20,
        n_plain=20,
        math_path="/shuxue/",
    ),
    # --- non-math, English ------------------------------------------------------------------------------
    Site(
        "citynewsdaily.com",
        "www.citynewsdaily.com",
        "City News Daily",
        "en",
        "nonmath",
        "news",
        topics=("news", "finance"),
        n_other=80,
    ),
    Site(
        "goalpost-sports.com",
        "www.goalpost-sports.com",
        "Goalpost",
        "en",
        "nonmath",
        "news",
        topics=("sports",),
        n_other=70,
    ),
    Site(
        "kitchenjournal.net",
        "www.kitchenjournal.net",
        "Kitchen Journal",
        "en",
        "nonmath",
        "blog",
        topics=("recipe",),
        n_other=70,
    ),
    Site(
        "wanderlustnotes.com",
        "www.wanderlustnotes.com",
        "Wanderlust Notes",
        "en",
        "nonmath",
        "blog",
        topics=("travel",),
        n_other=70,
    ),
    Site(
        "gadgetverdict.com",
        "www.gadgetverdict.com",
        "Gadget Verdict",
        "en",
        "nonmath",
        "blog",
        topics=("tech",),
        n_other=70,
    ),
    Site(
        "marketwatcher-daily.com",
        "www.marketwatcher-daily.com",
        "Market Watcher",
        "en",
        "nonmath",
        "news",
        topics=("finance",),
        n_other=70,
    ),
    Site(
        "wellnessweekly.org",
        "www.wellnessweekly.org",
        "Wellness Weekly",
        "en",
        "nonmath",
        "blog",
        topics=("health",),
        n_other=60,
    ),
    Site(
        "reelcritic.com",
        "www.reelcritic.com",
        "Reel Critic",
        "en",
        "nonmath",
        "blog",
        topics=("film",),
        n_other=60,
    ),
    Site(
        "greenthumbdiary.com",
        "www.greenthumbdiary.com",
        "Green Thumb Diary",
        "en",
        "nonmath",
        "blog",
        topics=("gardening",),
        n_other=60,
    ),
    Site(
        "devnotes.io",
        "blog.devnotes.io",
        "Dev Notes",
        "en",
        "nonmath",
        "blog",
        topics=("programming", "tech"),
        n_other=60,
        loads_mathjax=True,
    ),
    Site(
        "weekendforum.net",
        "www.weekendforum.net",
        "Weekend Forum",
        "en",
        "nonmath",
        "forum",
        topics=("travel", "film", "sports", "recipe"),
        n_other=70,
    ),
    # --- non-math, Chinese ------------------------------------------------------------------------------
    Site(
        "xinwen-kuaibao.cn",
        "www.xinwen-kuaibao.cn",
        "新闻快报",
        "zh",
        "nonmath",
        "news",
        topics=("zh_news",),
        n_other=60,
    ),
    Site(
        "tiyu-zhoubao.com",
        "www.tiyu-zhoubao.com",
        "体育周报",
        "zh",
        "nonmath",
        "news",
        topics=("zh_sports",),
        n_other=55,
    ),
    Site(
        "meishi-jia.cn",
        "www.meishi-jia.cn",
        "美食家",
        "zh",
        "nonmath",
        "blog",
        topics=("zh_food",),
        n_other=55,
    ),
    Site(
        "lvyou-gonglue.com",
        "www.lvyou-gonglue.com",
        "旅游攻略",
        "zh",
        "nonmath",
        "blog",
        topics=("zh_travel",),
        n_other=55,
    ),
]

# Real Common Crawl is mostly not math, which is why DeepSeekMath can draw its classifier's negatives at
# random from the pool. The counts above are base sizes: non-math sites publish NONMATH_FACTOR times as many
# pages and pure math sites MATH_SITE_FACTOR times as many, so math is about a tenth of the pool and random
# pool negatives are mostly non-math. Mixed sites keep their counts (their math section must stay above
# discovery's 10% domain rate).
NONMATH_FACTOR = 5
MATH_SITE_FACTOR = 0.4


def _counts(s: Site) -> tuple[int, int, int]:
    """(other, latex, plain) pages of a site at the default size."""
    if s.kind == "nonmath":
        return s.n_other * NONMATH_FACTOR, s.n_latex, s.n_plain
    if s.kind == "math":
        return s.n_other, round(s.n_latex * MATH_SITE_FACTOR), round(s.n_plain * MATH_SITE_FACTOR)
    return s.n_other, s.n_latex, s.n_plain


DEFAULT_PAGES = sum(sum(_counts(s)) for s in _SITES)


def plan_sites(scale: float = 1.0) -> list[Site]:
    """The sites with their page counts scaled by `scale` (at least a few pages of each kind kept, so
    every category survives small samples)."""

    def sc(n: int) -> int:
        return 0 if n == 0 else max(3, round(n * scale))

    out = []
    for s in _SITES:
        sections = (
            s.topics
            if s.kind == "nonmath"
            else ("questions", "tags", "users")
            if s.kind == "math"
            else (*s.topics, s.math_path.strip("/").split("/")[-1])
        )
        n_other, n_latex, n_plain = _counts(s)
        out.append(
            replace(
                s,
                n_other=sc(n_other),
                n_latex=sc(n_latex),
                n_plain=sc(n_plain),
                sections=tuple(sections),
            )
        )
    return out
