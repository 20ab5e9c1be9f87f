"""Procedural filler sentences in the voice of each kind of page.

Template pages alone would make pages of one topic near-duplicates of each other (same fixed sentences,
different numbers), which would corrupt the duplicate ground truth and let a classifier memorise a few
templates. Each sentence here is drawn slot by slot from independent pools (~10^4–10^5 combinations
per voice), so unrelated pages share few word 5-grams while keeping each voice's vocabulary: research
math for "latex", school and homework talk for "plain", the topic's own words for non-math pages.
"""

from __future__ import annotations

import random

from corpus.sample.content import Block, P

_VOICES: dict[str, list[list[str]]] = {
    "latex": [
        [
            "Note that",
            "Observe that",
            "Recall that",
            "In particular",
            "By construction",
            "As a sanity check",
            "More generally",
            "Conversely",
        ],
        [
            "the estimate",
            "this bound",
            "the previous lemma",
            "the same argument",
            "the hypothesis",
            "uniform continuity",
            "the triangle inequality",
            "compactness",
            "the induction hypothesis",
            "linearity",
        ],
        [
            "remains valid",
            "extends verbatim",
            "gives a sharper constant",
            "fails without the assumption",
            "holds on every bounded interval",
            "can be strengthened slightly",
            "is essentially optimal",
            "requires only minor changes",
        ],
        [
            "for the general case",
            "in higher dimensions",
            "when the domain is closed",
            "for every fixed parameter",
            "up to a multiplicative constant",
            "after a change of variables",
            "modulo the boundary terms",
            "in the limiting case",
        ],
    ],
    "plain": [
        [
            "My son",
            "Our class",
            "The teacher",
            "My niece",
            "A tutor I know",
            "One of the kids",
            "Grandpa",
            "The homework club",
        ],
        [
            "counted it out with",
            "checked the answer using",
            "worked this through with",
            "explained it with",
            "made sense of it with",
            "practised the idea using",
            "drew it with",
            "acted it out with",
        ],
        [
            "buttons on the table",
            "a number line on the fridge",
            "coins from the piggy bank",
            "paper strips",
            "building blocks",
            "a bag of dried beans",
            "chalk on the driveway",
            "sticky notes",
        ],
        [
            "before dinner",
            "during the lesson",
            "on the bus home",
            "after school",
            "on a rainy afternoon",
            "at the kitchen table",
            "in about ten minutes",
            "over the weekend",
        ],
    ],
    "news": [
        [
            "Local officials",
            "A spokesperson for the county",
            "Community leaders",
            "Several residents",
            "The regional board",
            "Union representatives",
            "A city planner",
            "Business owners",
        ],
        [
            "said on Wednesday that",
            "warned that",
            "confirmed that",
            "told reporters that",
            "are hopeful that",
            "expressed concern that",
        ],
        [
            "the schedule",
            "the budget review",
            "the public consultation",
            "the road closures",
            "the new ordinance",
            "the hiring freeze",
            "the housing report",
            "the ballot measure",
        ],
        [
            "could change before the summer",
            "would be discussed again next week",
            "was delayed by the storm",
            "had broad support",
            "drew criticism from neighbours",
            "was still under review",
            "needed more funding",
            "would affect commuters",
        ],
    ],
    "sports": [
        [
            "The midfielder",
            "Their goalkeeper",
            "The veteran captain",
            "A substitute winger",
            "The young defender",
            "The head coach",
            "The away fans",
            "The physio",
        ],
        [
            "looked sharp",
            "struggled early",
            "was booked",
            "pulled up with cramp",
            "celebrated wildly",
            "kept things calm",
            "pushed forward",
            "came alive",
        ],
        [
            "after the interval",
            "in stoppage time",
            "on the counter attack",
            "from a corner",
            "near the touchline",
            "under heavy rain",
            "against his old club",
            "late in the match",
        ],
        [
            "and the stadium erupted",
            "as the pressure mounted",
            "to the delight of the crowd",
            "before being substituted",
            "despite the cold",
            "as the title race tightened",
        ],
    ],
    "recipes": [
        [
            "I like to",
            "You can always",
            "My grandmother used to",
            "Feel free to",
            "We sometimes",
            "It is worth trying to",
        ],
        ["swap in", "add a splash of", "finish it with", "toast", "fold in", "sprinkle over"],
        [
            "fresh coriander",
            "smoked paprika",
            "a little honey",
            "lime zest",
            "crumbled feta",
            "toasted seeds",
            "chilli flakes",
            "brown butter",
        ],
        [
            "for extra flavour",
            "just before serving",
            "if the kids are eating",
            "when tomatoes are in season",
            "for a richer sauce",
            "on a cold evening",
        ],
    ],
    "travel": [
        [
            "The ferry",
            "Our guesthouse host",
            "The hiking trail",
            "A tiny bakery",
            "The night market",
            "The old harbour",
            "A local guide",
            "The train station",
        ],
        [
            "was packed with",
            "recommended",
            "led us past",
            "surprised us with",
            "was full of",
            "pointed us toward",
        ],
        [
            "fishing boats",
            "hidden viewpoints",
            "street musicians",
            "cheap noodle stalls",
            "wild flowers",
            "crumbling castles",
            "sleepy villages",
            "colourful murals",
        ],
        [
            "at sunrise",
            "on our last evening",
            "in the off season",
            "after the rain",
            "near the border",
            "along the river",
        ],
    ],
    "tech": [
        [
            "The firmware update",
            "Battery drain",
            "The companion app",
            "Wireless charging",
            "The fingerprint reader",
            "Customer support",
            "The camera bump",
            "Bluetooth pairing",
        ],
        [
            "worked flawlessly",
            "was a bit flaky",
            "improved noticeably",
            "felt slow",
            "annoyed us",
            "impressed us",
        ],
        [
            "during our testing",
            "on the older model",
            "with noise cancelling on",
            "after a factory reset",
            "in low light",
            "on the train",
        ],
        [
            "compared with last year",
            "for the price",
            "out of the box",
            "once configured",
            "in daily use",
            "according to the forums",
        ],
    ],
    "finance": [
        [
            "Bond yields",
            "The central bank",
            "Retail investors",
            "Hedge funds",
            "Oil prices",
            "The dollar",
            "Quarterly earnings",
            "Mortgage rates",
        ],
        ["edged higher", "slipped", "rallied", "stayed flat", "tumbled", "recovered"],
        [
            "after the jobs report",
            "ahead of the holiday",
            "on inflation worries",
            "following the rate decision",
            "amid trade tensions",
            "late in the session",
        ],
        [
            "according to traders",
            "analysts said",
            "as volumes thinned",
            "in a volatile week",
            "for a third day",
            "before the close",
        ],
    ],
    "health": [
        [
            "Nutritionists",
            "Physical therapists",
            "Sleep researchers",
            "Family doctors",
            "Pharmacists",
            "Fitness coaches",
        ],
        [
            "often recommend",
            "warn against",
            "suggest trying",
            "point out the benefits of",
            "caution about",
            "are studying",
        ],
        [
            "regular stretching",
            "cutting back on caffeine",
            "a consistent bedtime",
            "short daily walks",
            "drinking more water",
            "eating more fibre",
            "breathing exercises",
        ],
        [
            "for most adults",
            "during the winter months",
            "for office workers",
            "after the age of forty",
            "for people with back pain",
            "while recovering from illness",
        ],
    ],
    "film": [
        [
            "The soundtrack",
            "The supporting cast",
            "The screenplay",
            "The editing",
            "The production design",
            "The final scene",
            "The lead actor",
            "The camera work",
        ],
        [
            "is quietly brilliant",
            "drags in places",
            "deserves an award",
            "feels uneven",
            "carries the story",
            "steals the show",
        ],
        [
            "in the second act",
            "throughout the film",
            "in the flashbacks",
            "during the storm sequence",
            "in the closing minutes",
            "at the festival premiere",
        ],
        [
            "according to critics",
            "for many viewers",
            "in our opinion",
            "despite the hype",
            "on a second viewing",
            "for fans of the genre",
        ],
    ],
    "gardening": [
        [
            "Slugs",
            "Aphids",
            "Late frosts",
            "Greenfly",
            "Blackbirds",
            "Snails",
            "Powdery mildew",
            "Hungry squirrels",
        ],
        [
            "can ruin",
            "will happily attack",
            "often damage",
            "tend to find",
            "love to nibble",
            "sometimes strip",
        ],
        [
            "young seedlings",
            "the lower leaves",
            "ripening fruit",
            "fresh shoots",
            "the flower buds",
            "tender stems",
        ],
        [
            "in a wet spring",
            "if you are not careful",
            "overnight",
            "in crowded beds",
            "during a heatwave",
            "near the compost heap",
        ],
    ],
    "programming": [
        [
            "The cron job",
            "The shell script",
            "The log rotation",
            "The backup folder",
            "The environment variable",
            "The deploy step",
            "The test suite",
            "The config file",
        ],
        [
            "failed silently",
            "ran twice",
            "needed root access",
            "broke after the upgrade",
            "filled the disk",
            "worked on my laptop",
        ],
        [
            "on the staging server",
            "inside the container",
            "under systemd",
            "on a fresh install",
            "in the CI pipeline",
            "on the old cluster",
        ],
        [
            "until I fixed the path",
            "because of a typo",
            "so I added logging",
            "which took an hour to debug",
            "after the certificate expired",
            "without any warning",
        ],
    ],
    "zh": [
        [
            "据了解，",
            "有市民表示，",
            "记者注意到，",
            "值得一提的是，",
            "业内人士认为，",
            "从现场来看，",
            "总的来说，",
            "不少网友留言说，",
        ],
        [
            "这次活动",
            "新的政策",
            "周边的交通",
            "当地的居民",
            "相关部门",
            "这家老店",
            "今年的天气",
            "附近的商场",
        ],
        [
            "受到了广泛关注",
            "还需要进一步完善",
            "比往年更加热闹",
            "吸引了大量游客",
            "得到了大家的认可",
            "带来了不少便利",
        ],
        ["。", "，大家都很期待。", "，具体情况还在统计中。", "，后续我们将继续关注。", "，效果非常明显。"],
    ],
    "zh_math": [
        ["注意：", "易错点：", "方法总结：", "拓展：", "思路分析：", "规律："],
        ["本题的关键在于", "解题时要先", "同学们容易忽略", "可以用类似方法", "老师提醒大家", "这类题目通常"],
        ["找准数量关系", "分类讨论", "画出示意图", "检验答案是否合理", "利用已知条件", "把复杂问题拆开"],
        ["。", "，再列式计算。", "，避免漏解。", "，这样更加清楚。", "，多做练习就能掌握。"],
    ],
}
_VOICE_OF_TOPIC = {
    "recipe": "recipes",
    "zh_news": "zh",
    "zh_sports": "zh",
    "zh_food": "zh",
    "zh_travel": "zh",
}


def sentence(rng: random.Random, voice: str) -> str:
    parts = [rng.choice(pool) for pool in _VOICES[voice]]
    if voice.startswith("zh"):
        return "".join(parts)
    return " ".join(parts) + "."


def voice_for(style: str | None, topic: str, lang: str) -> str:
    if lang == "zh":
        return "zh_math" if style else "zh"
    if style:
        return style
    return _VOICE_OF_TOPIC.get(topic, topic) if _VOICE_OF_TOPIC.get(topic, topic) in _VOICES else "news"


def enrich(
    blocks: list[Block], rng: random.Random, voice: str, density: float = 0.7, extra_paragraphs: int = 2
) -> list[Block]:
    """Append filler sentences to text paragraphs and add a few filler paragraphs of the same voice."""
    sep = "" if voice.startswith("zh") else " "
    out = []
    for b in blocks:
        ends_sentence = (
            b.segs and isinstance(b.segs[-1], str) and b.segs[-1].rstrip().endswith((".", "?", "!", "。"))
        )
        if b.kind == "p" and ends_sentence and rng.random() < density:
            b = Block(
                "p",
                [
                    *b.segs[:-1],
                    b.segs[-1] + sep + sep.join(sentence(rng, voice) for _ in range(rng.randint(1, 2))),
                ],
            )
        out.append(b)
    for _ in range(extra_paragraphs):
        para = P(sep.join(sentence(rng, voice) for _ in range(rng.randint(2, 4))))
        out.insert(rng.randint(1, len(out)), para)
    return out
