"""The sample benchmark (GSM8K- and MATH-format items) that some crawl pages quote, and the text
changes those quotes undergo (case, whitespace, punctuation, line breaks).

Items come from their own templates, worded unlike any page generator, so only the pages planted to
quote an item share a 10-gram with the benchmark; `ngrams10` lets generation verify exactly that.
"""

from __future__ import annotations

import random
import re
import unicodedata

NAMES = [
    "Natalia",
    "Weng",
    "Betty",
    "Julie",
    "James",
    "Albert",
    "Ken",
    "Alexis",
    "Tina",
    "Randy",
    "Joy",
    "Mark",
]


def _gsm_items(rng: random.Random) -> list[dict]:
    """GSM8K-style word problems with `<<calc>>` annotations and a final `#### n` line."""

    def clips(r):
        n, a = r.choice(NAMES), r.randint(24, 96) // 2 * 2
        q = f"{n} sold clips to {a} of her friends in April, and then she sold half as many clips in May. How many clips did {n} sell altogether in April and May?"
        s = f"{n} sold {a}/2 = <<{a}/2={a // 2}>>{a // 2} clips in May.\n{n} sold {a}+{a // 2} = <<{a}+{a // 2}={a + a // 2}>>{a + a // 2} clips altogether in April and May.\n#### {a + a // 2}"
        return q, s

    def babysit(r):
        n, rate, mins = r.choice(NAMES), r.randint(8, 20), r.choice([30, 40, 45, 50])
        ans = rate * mins / 60
        ans_s = f"{ans:g}"
        q = f"{n} earns ${rate} an hour for babysitting. Yesterday, she just did {mins} minutes of babysitting. How much did she earn?"
        s = f"{n} earns {rate}/60 = $<<{rate}/60={rate / 60:.4g}>>{rate / 60:.4g} per minute.\nWorking {mins} minutes, she earned {rate / 60:.4g} x {mins} = $<<{rate / 60:.4g}*{mins}={ans_s}>>{ans_s}.\n#### {ans_s}"
        return q, s

    def wallet(r):
        n, cost, parents = r.choice(NAMES), r.choice([100, 120, 160, 200]), r.randint(10, 30)
        have = cost // 2
        gp = parents * 2
        need = cost - have - parents - gp
        q = f"{n} is saving money for a new wallet which costs ${cost}. {n} has only half of the money she needs. Her parents decided to give her ${parents} for that purpose, and her grandparents twice as much as her parents. How much more money does {n} need to buy the wallet?"
        s = f"In the beginning, {n} has only {cost} / 2 = $<<{cost}/2={have}>>{have}.\n{n}'s grandparents gave her {parents} * 2 = $<<{parents}*2={gp}>>{gp}.\nThis means, {n} needs {cost} - {have} - {gp} - {parents} = $<<{cost}-{have}-{gp}-{parents}={need}>>{need} more.\n#### {need}"
        return q, s

    def reading(r):
        n, pages, x = r.choice(NAMES), r.choice([120, 240, 360]), r.randint(8, 15)
        today = 2 * x
        rem = pages - x - today
        q = f"{n} is reading a {pages}-page book. Yesterday, she was able to read {x} pages and today, she read twice as many pages as yesterday. If she wants to read half of the remaining pages tomorrow, how many pages should she read?"
        s = f"{n} read {x} x 2 = <<{x}*2={today}>>{today} pages today.\nSo she was able to read a total of {x} + {today} = <<{x}+{today}={x + today}>>{x + today} pages since yesterday.\nThere are {pages} - {x + today} = <<{pages}-{x + today}={rem}>>{rem} pages left to be read.\nSince she wants to read half of the remaining pages tomorrow, then she should read {rem}/2 = <<{rem}/2={rem // 2}>>{rem // 2} pages.\n#### {rem // 2}"
        return q, s

    def garden(r):
        n, rows, per, eaten = r.choice(NAMES), r.randint(3, 9), r.randint(4, 12), r.randint(2, 9)
        total = rows * per
        q = f"{n} planted {rows} rows of tomato plants with {per} plants in every row. Rabbits ate {eaten} of the plants during the night. How many tomato plants does {n} have left in the morning?"
        s = f"{n} planted {rows} * {per} = <<{rows}*{per}={total}>>{total} plants.\nAfter the rabbits ate some, {total} - {eaten} = <<{total}-{eaten}={total - eaten}>>{total - eaten} plants remained.\n#### {total - eaten}"
        return q, s

    def bakery(r):
        n, trays, per, price = r.choice(NAMES), r.randint(3, 8), r.randint(6, 24), r.randint(2, 5)
        q = f"A bakery run by {n} bakes {trays} trays of muffins with {per} muffins on each tray. Every muffin sells for ${price}. If all of the muffins are sold, how many dollars does the bakery take in?"
        s = f"The bakery bakes {trays} * {per} = <<{trays}*{per}={trays * per}>>{trays * per} muffins.\nSelling them brings in {trays * per} * {price} = $<<{trays * per}*{price}={trays * per * price}>>{trays * per * price}.\n#### {trays * per * price}"
        return q, s

    makers = [clips, babysit, wallet, reading, garden, bakery]
    return [dict(zip(("question", "answer"), makers[i % len(makers)](rng))) for i in range(36)]


def _math_items(rng: random.Random) -> list[dict]:
    """MATH-style problems with LaTeX, a solution ending in \\boxed{}, a level and a subject type."""

    def slope(r):
        x1, y1, x2, y2 = r.randint(-5, 5), r.randint(-5, 5), r.randint(6, 12), r.randint(6, 12)
        num, den = y2 - y1, x2 - x1
        return (
            "Algebra",
            2,
            f"What is the slope of the line containing the points $({x1}, {y1})$ and $({x2}, {y2})$? Express your answer as a common fraction.",
            f"The slope of a line through $(x_1,y_1)$ and $(x_2,y_2)$ is $\\frac{{y_2-y_1}}{{x_2-x_1}}$, so here it equals $\\frac{{{y2}-({y1})}}{{{x2}-({x1})}} = \\boxed{{\\frac{{{num}}}{{{den}}}}}$.",
        )

    def remainder(r):
        a, e, p = r.randint(2, 9), r.randint(20, 99), r.choice([7, 11, 13])
        return (
            "Number Theory",
            3,
            f"What is the remainder when ${a}^{{{e}}}$ is divided by ${p}$?",
            f"We look for a pattern in the powers of ${a}$ modulo ${p}$. Since ${a}^{{{p - 1}}}\\equiv 1$ by Fermat, reducing the exponent ${e}$ modulo ${p - 1}$ leaves ${e % (p - 1)}$, and the remainder is $\\boxed{{{pow(a, e, p)}}}$.",
        )

    def arrange(r):
        word = r.choice(["BANANA", "COOKIE", "LETTER", "PEPPER", "ADDED", "CIRCLE"])
        from collections import Counter
        from math import factorial

        c = Counter(word)
        n = factorial(len(word))
        for v in c.values():
            n //= factorial(v)
        return (
            "Counting & Probability",
            2,
            f"Determine the number of ways to arrange the letters of the word {word}.",
            f"There are {len(word)} letters with repeats {dict(sorted(c.items()))}, so the count is the multinomial coefficient, which equals $\\boxed{{{n}}}$.",
        )

    def circle(r):
        rad = r.randint(2, 12)
        return (
            "Geometry",
            1,
            f"A circle has a radius of ${rad}$ units. What is the area of the circle, in square units? Express your answer in terms of $\\pi$.",
            f"The area of a circle with radius $r$ is $\\pi r^2$. Substituting $r={rad}$ yields $\\boxed{{{rad * rad}\\pi}}$ square units.",
        )

    def vertex(r):
        h, k, a = r.randint(-6, 6), r.randint(-9, 9), r.randint(1, 4)
        return (
            "Intermediate Algebra",
            3,
            f"Find the vertex of the parabola $y = {a}(x - {h})^2 + {k}$ and state its minimum value.",
            f"In vertex form $y = a(x-h)^2 + k$ with $a > 0$ the vertex is $(h, k)$, here $({h}, {k})$, so the minimum value is $\\boxed{{{k}}}$.",
        )

    def cosval(r):
        ang, val = r.choice([(60, "\\frac{1}{2}"), (0, "1"), (90, "0"), (180, "-1"), (120, "-\\frac{1}{2}")])
        return (
            "Precalculus",
            1,
            f"Compute $\\cos {ang}^\\circ$.",
            f"Rotating the point $(1,0)$ by ${ang}^\\circ$ counterclockwise about the origin gives a point whose $x$-coordinate is $\\boxed{{{val}}}$.",
        )

    def mean(r):
        xs = sorted(r.sample(range(60, 100), 5))
        return (
            "Prealgebra",
            2,
            f"The scores on Trisha's first five tests were {', '.join(map(str, xs[:-1]))} and {xs[-1]}. What is the mean of her five test scores?",
            f"Adding the five scores gives ${sum(xs)}$, and dividing by $5$ gives a mean of $\\boxed{{{sum(xs) / 5:g}}}$.",
        )

    makers = [slope, remainder, arrange, circle, vertex, cosval, mean]
    items = []
    for i in range(35):
        typ, level, prob, sol = makers[i % len(makers)](rng)
        slug = typ.lower().replace(" & ", "_").replace(" ", "_")
        items.append(
            {
                "problem": prob,
                "solution": sol,
                "level": f"Level {level}",
                "type": typ,
                "unique_id": f"sample/{slug}/{i}.json",
            }
        )
    return items


def make_benchmark(seed: int) -> tuple[list[dict], list[dict]]:
    """(gsm8k rows, math rows) of the sample benchmark, deterministic in `seed`."""
    rng = random.Random(f"benchmark-{seed}")
    return _gsm_items(rng), _math_items(rng)


# --- normalisation and 10-grams, as DeepSeekMath's decontamination sees text -------------------------
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """NFKC, lower case, punctuation and whitespace dropped: the unit the 10-gram rule counts."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def ngrams10(text: str, n: int = 10) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


# --- how a quoting page changes the item text -----------------------------------------------------------
QUOTE_KINDS = ("verbatim", "case", "whitespace", "punctuation", "line_breaks")


def mutate(text: str, kind: str, rng: random.Random) -> str | list[str]:
    """The item text as a page quotes it. "line_breaks" returns lines (rendered with <br>)."""
    if kind == "verbatim":
        return text
    if kind == "case":
        return text.upper() if rng.random() < 0.5 else text.lower()
    if kind == "whitespace":
        return re.sub(r" ", lambda _: rng.choice([" ", "  ", " \t", "   "]), text.replace("\n", " \n "))
    if kind == "punctuation":
        return re.sub(
            r"[,.?!;:]",
            lambda mt: rng.choice(["", " ", {",": ";", ".": " .", "?": " ?"}.get(mt.group(), "")]),
            text,
        )
    if kind == "line_breaks":
        ws = text.split(" ")
        lines, cur = [], []
        for w in ws:
            cur.append(w)
            if len(cur) >= rng.randint(5, 9):
                lines.append(" ".join(cur))
                cur = []
        if cur:
            lines.append(" ".join(cur))
        return lines
    raise ValueError(kind)
