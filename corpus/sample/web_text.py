"""Non-math page content: news, sports, recipes, travel, tech, finance, health, film, gardening and
programming in English; news, sports, food and travel in Chinese.

Some of it is deliberately math-adjacent (hard negatives): finance and news quote dollar amounts such
as "$60 million" (a naive `$…$` matcher pairs them up), recipes and sports are full of numbers, and
programming pages hold shell variables (`$HOME`) and code. Topic templates draw names, places and
numbers at random so a classifier cannot memorise a few pages.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from corpus.sample.chatter import enrich, voice_for
from corpus.sample.content import LI, PRE, Content, H, P

CITIES = [
    "Portland",
    "Leeds",
    "Adelaide",
    "Toronto",
    "Denver",
    "Cork",
    "Austin",
    "Glasgow",
    "Perth",
    "Halifax",
    "Tucson",
    "Bristol",
]
PEOPLE = [
    "Maria Lopez",
    "James Carter",
    "Aiko Tanaka",
    "Daniel Okafor",
    "Sofia Rossi",
    "Liam Byrne",
    "Nora Haddad",
    "Ethan Kim",
]
TEAMS = [
    "Rovers",
    "Hawks",
    "United",
    "Falcons",
    "Rangers",
    "Comets",
    "Wolves",
    "Pirates",
    "Giants",
    "Harriers",
]
COMPANIES = [
    "Norcast",
    "Brightline",
    "Kestrel Labs",
    "Orbion",
    "Pinecrest",
    "Velto",
    "Quarry Systems",
    "Halden Foods",
]


def _money(rng: random.Random) -> str:
    return rng.choice(
        [
            f"${rng.randint(2, 95)} million",
            f"${rng.randint(1, 9)}.{rng.randint(1, 9)} billion",
            f"${rng.randint(10, 900)},000",
        ]
    )


def news(rng: random.Random) -> Content:
    city, who, co = rng.choice(CITIES), rng.choice(PEOPLE), rng.choice(COMPANIES)
    a, b = _money(rng), _money(rng)
    return Content(
        f"{city} council approves {a} plan for new transit line",
        [
            P(
                f"The {city} city council voted {rng.randint(6, 9)} to {rng.randint(1, 4)} on Tuesday night to approve a {a} plan that would extend light rail service to the eastern suburbs."
            ),
            P(
                f'Mayor {who} called the decision "a generational investment" and said construction could begin as early as next spring, pending a federal grant of roughly {b}.'
            ),
            P(
                'Opponents argued that the project would raise property taxes and disrupt small businesses along the route. "We were promised public hearings," said one shop owner, who asked not to be named.'
            ),
            P(
                f"The contract is expected to go to {co}, which built a similar line in a neighbouring county. Officials said ridership estimates will be published before the end of the month."
            ),
            P(
                f"Residents can comment on the proposal at the library on {rng.choice(['Monday', 'Wednesday', 'Thursday'])} evening."
            ),
        ],
        topic="news",
    )


def sports(rng: random.Random) -> Content:
    t1, t2 = rng.sample(TEAMS, 2)
    g1, g2 = rng.randint(0, 5), rng.randint(0, 4)
    who = rng.choice(PEOPLE)
    return Content(
        f"{t1} beat {t2} {max(g1, g2) + 1}-{min(g1, g2)} in a tense derby",
        [
            P(
                f"The {t1} extended their unbeaten run to {rng.randint(4, 12)} matches with a {max(g1, g2) + 1}-{min(g1, g2)} win over the {t2} in front of a sold-out crowd of {rng.randint(12, 60)},{rng.randint(100, 999)}."
            ),
            P(
                f"Striker {who} opened the scoring in the {rng.randint(5, 40)}th minute with a low shot into the far corner, and the visitors never recovered their rhythm."
            ),
            P(
                'The coach praised the defence after the match: "We stayed compact, we pressed when we had to, and the lads showed real character in the second half."'
            ),
            P(
                f"The result lifts the {t1} to {rng.choice(['second', 'third', 'fourth'])} in the table, {rng.randint(1, 6)} points behind the leaders with {rng.randint(5, 14)} games left to play."
            ),
            P(
                f"Next up is an away trip to {rng.choice(CITIES)} on Saturday; kick-off is at {rng.randint(1, 7)}pm."
            ),
        ],
        topic="sports",
    )


def recipe(rng: random.Random) -> Content:
    dish = rng.choice(
        [
            "lemon drizzle cake",
            "chickpea curry",
            "banana bread",
            "mushroom risotto",
            "shakshuka",
            "apple crumble",
            "minestrone soup",
        ]
    )
    return Content(
        f"Easy {dish} for busy weeknights",
        [
            P(
                f"This {dish} has been a family favourite for years. It takes about {rng.randint(25, 70)} minutes and uses ingredients you probably already have in the cupboard."
            ),
            H("Ingredients"),
            LI(f"{rng.randint(1, 3)} cups of flour or {rng.randint(200, 400)} g of rice"),
            LI(f"{rng.randint(2, 4)} tablespoons of olive oil or butter"),
            LI(f"{rng.randint(1, 3)} onions, finely chopped, and a pinch of salt"),
            H("Method"),
            P(
                f"Preheat the oven to {rng.choice([160, 180, 200])} degrees. Soften the onions gently, stir in the spices and cook until fragrant."
            ),
            P(
                f"Add the remaining ingredients, cover and simmer for {rng.randint(10, 30)} minutes, stirring now and then. Serve warm with crusty bread and a crisp green salad."
            ),
            P("Leftovers keep in the fridge for three days and freeze beautifully."),
        ],
        topic="recipes",
    )


def travel(rng: random.Random) -> Content:
    place = rng.choice(
        [
            "Lisbon",
            "Kyoto",
            "the Scottish Highlands",
            "Patagonia",
            "Cape Town",
            "the Amalfi Coast",
            "Iceland",
            "Vancouver Island",
        ]
    )
    return Content(
        f"Three perfect days in {place}",
        [
            P(
                f"We spent a long weekend in {place} last {rng.choice(['spring', 'autumn', 'summer'])} and came back already planning the next trip. Here is our itinerary."
            ),
            H("Day one"),
            P(
                "Start early with a walk through the old town before the tour buses arrive. The market opens at eight and the pastries sell out fast."
            ),
            H("Day two"),
            P(
                f"Rent a car and head for the coast road. The drive takes about {rng.randint(2, 4)} hours with stops, and the viewpoints are worth every one."
            ),
            H("Where to stay"),
            P(
                f"We stayed in a small guesthouse run by a friendly couple; rooms start at around {rng.randint(60, 180)} euros a night including breakfast. Book ahead in high season."
            ),
        ],
        topic="travel",
    )


def tech(rng: random.Random) -> Content:
    co = rng.choice(COMPANIES)
    product = rng.choice(["laptop", "phone", "smartwatch", "e-reader", "router", "tablet"])
    return Content(
        f"{co} {product} review: great battery, awkward keyboard",
        [
            P(
                f"The new {co} {product} costs ${rng.randint(199, 1499)} and promises all-day battery life. After two weeks of daily use, we can say it mostly delivers."
            ),
            P(
                f"Battery: we averaged {rng.randint(9, 19)} hours of mixed use, streaming video, browsing and video calls, before the warning popped up."
            ),
            P(
                "Display: bright and sharp, though reflections are a problem outdoors. The speakers are thin but fine for podcasts."
            ),
            P(
                f"Software: the update schedule is promised for {rng.randint(3, 7)} years, which is better than most rivals. Setup took ten minutes."
            ),
            P(
                f"Verdict: a solid choice if you can live with the quirks. {rng.randint(3, 4)} out of 5 stars."
            ),
        ],
        topic="tech",
    )


def finance(rng: random.Random) -> Content:
    co = rng.choice(COMPANIES)
    a, b, c = _money(rng), _money(rng), _money(rng)
    return Content(
        f"{co} shares jump after {a} acquisition deal",
        [
            P(
                f"Shares of {co} rose {rng.randint(3, 18)}% in early trading after the company agreed to buy a smaller rival for {a} in cash and stock."
            ),
            P(
                f"The deal values the target at roughly {b}, a premium of about {rng.randint(15, 45)}% to its closing price on Friday. Analysts had expected an offer closer to {c}."
            ),
            P(
                f"Revenue for the quarter came in at {_money(rng)}, ahead of estimates of {_money(rng)}, while costs rose on higher wages and shipping."
            ),
            P(
                "The chief executive told investors the combined company would save money by merging warehouses, and said there were no plans for layoffs this year."
            ),
            P("This article is for information only and is not investment advice."),
        ],
        topic="finance",
    )


def health(rng: random.Random) -> Content:
    return Content(
        rng.choice(
            [
                "Why a short walk after dinner helps you sleep",
                "Five habits for healthier knees",
                "What to know about seasonal allergies",
            ]
        ),
        [
            P(
                "Doctors say small changes to your daily routine can make a real difference, and you do not need special equipment to get started."
            ),
            P(
                f"A study of {rng.randint(300, 5000)} adults found that people who walked for at least {rng.randint(10, 30)} minutes in the evening reported falling asleep faster."
            ),
            P(
                "Stretch gently before and after exercise, drink water through the day and talk to your doctor before starting anything strenuous."
            ),
            P("If symptoms persist for more than two weeks, book an appointment with your local clinic."),
        ],
        topic="health",
    )


def film(rng: random.Random) -> Content:
    who = rng.choice(PEOPLE)
    return Content(
        "Film review: a quiet thriller that lingers",
        [
            P(
                f"Director {who} returns with a slow-burning thriller set in a fishing village during one long winter. It runs {rng.randint(95, 150)} minutes and never feels rushed."
            ),
            P(
                "The lead performance is restrained and haunting, and the cinematography turns grey harbours into something beautiful."
            ),
            P(
                f"The film earned about {_money(rng)} in its opening weekend, modest numbers for a studio release but strong for an independent drama."
            ),
            P(
                "Not everything works: the final act leans on a twist that some viewers will see coming. Still, it is one of the best films of the season."
            ),
        ],
        topic="film",
    )


def gardening(rng: random.Random) -> Content:
    plant = rng.choice(["tomatoes", "sweet peas", "dahlias", "runner beans", "lavender", "strawberries"])
    return Content(
        f"How to grow {plant} in containers",
        [
            P(
                f"Growing {plant} in pots is easy if you give them sun, drainage and regular feeding. Here is what has worked in our small city garden."
            ),
            P(
                f"Choose a container at least {rng.randint(25, 45)} cm across, fill it with peat-free compost and add a handful of grit for drainage."
            ),
            P(
                "Water in the morning rather than the evening so the leaves dry before nightfall, and watch out for slugs after rain."
            ),
            P("Feed every two weeks once flowers appear, and pinch out side shoots to keep the plants tidy."),
        ],
        topic="gardening",
    )


def programming(rng: random.Random) -> Content:
    """A hard negative: shell variables and code with `$` signs, `*` and `=` but no mathematics."""
    d = rng.choice(["backups", "logs", "photos", "builds"])
    n = rng.randint(3, 30)
    return Content(
        f"Cleaning up old {d} with a small shell script",
        [
            P(
                f"I keep a folder of {d} that grows every day, so I wrote a script that deletes anything older than {n} days. Here it is."
            ),
            PRE(
                f'#!/bin/sh\nDIR="$HOME/{d}"\nfind "$DIR" -type f -mtime +{n} -print -delete\necho "cleaned $DIR at $(date)"'
            ),
            P(
                "The $HOME variable expands to your home folder and $(date) prints the current time. Run it from cron once a night:"
            ),
            PRE(f"0 3 * * * $HOME/bin/clean-{d}.sh >> $HOME/clean.log 2>&1"),
            P(
                f"In PHP the same variables look like $dir and $days, which confuses some syntax highlighters. The script costs nothing and saved me about ${rng.randint(5, 40)} a month in storage."
            ),
        ],
        topic="programming",
    )


NONMATH_EN: dict[str, Callable[[random.Random], Content]] = {
    f.__name__: f for f in [news, sports, recipe, travel, tech, finance, health, film, gardening, programming]
}

# --- Chinese ------------------------------------------------------------------------------------------
ZH_CITIES = ["杭州", "成都", "西安", "青岛", "厦门", "长沙", "昆明", "南京"]
ZH_TEAMS = ["猛龙", "雄鹰", "飞虎", "蓝鲸", "赤焰", "银狐"]


def zh_news(rng: random.Random) -> Content:
    city = rng.choice(ZH_CITIES)
    return Content(
        f"{city}市启动老旧小区改造工程",
        [
            P(
                f"记者从{city}市住建局获悉，今年全市计划改造老旧小区 {rng.randint(50, 300)} 个，惠及居民约 {rng.randint(2, 9)} 万户。"
            ),
            P("改造内容包括加装电梯、更新管网、增设停车位和健身设施，预计年底前完成主体工程。"),
            P("有居民表示，小区环境变好了，出行也更加方便，希望工程能够按时保质完成。"),
            P("相关负责人表示，将充分听取居民意见，做到一区一策。"),
        ],
        lang="zh",
        topic="news",
    )


def zh_sports(rng: random.Random) -> Content:
    t1, t2 = rng.sample(ZH_TEAMS, 2)
    return Content(
        f"{t1}队主场险胜{t2}队 取得三连胜",
        [
            P(
                f"昨晚，{t1}队在主场以 {rng.randint(2, 4)} 比 {rng.randint(0, 1)} 战胜{t2}队，取得联赛三连胜。"
            ),
            P("上半场双方互有攻守，下半场主队加强边路进攻，连续打进两球锁定胜局。"),
            P("赛后主教练表示，球员们执行战术非常坚决，防守端也非常专注。"),
        ],
        lang="zh",
        topic="sports",
    )


def zh_food(rng: random.Random) -> Content:
    dish = rng.choice(["红烧肉", "番茄炒蛋", "酸菜鱼", "宫保鸡丁", "麻婆豆腐"])
    return Content(
        f"家常{dish}的做法，简单又下饭",
        [
            P(f"{dish}是一道非常受欢迎的家常菜，做法简单，味道鲜美。"),
            P(f"准备材料：主料适量，葱姜蒜少许，生抽 {rng.randint(1, 3)} 勺，白糖少许。"),
            P(f"先将主料洗净切块，热锅凉油，放入葱姜蒜爆香，再加入主料翻炒 {rng.randint(3, 10)} 分钟。"),
            P("最后加入调料，大火收汁即可出锅，撒上葱花更加美味。"),
        ],
        lang="zh",
        topic="recipes",
    )


def zh_travel(rng: random.Random) -> Content:
    city = rng.choice(ZH_CITIES)
    return Content(
        f"{city}三日游攻略：吃住行一篇搞定",
        [
            P(f"{city}是一座历史悠久的城市，景点众多，美食丰富，非常适合周末出游。"),
            P("第一天可以游览老城区和博物馆，晚上去夜市品尝当地小吃。"),
            P(f"第二天建议早起去郊外爬山，门票大约 {rng.randint(30, 120)} 元，山顶风景非常壮观。"),
            P("住宿推荐选择地铁沿线的酒店，交通方便，价格也比较实惠。"),
        ],
        lang="zh",
        topic="travel",
    )


NONMATH_ZH: dict[str, Callable[[random.Random], Content]] = {
    f.__name__: f for f in [zh_news, zh_sports, zh_food, zh_travel]
}


def nonmath_content(rng: random.Random, topic: str, lang: str = "en", extra: int | None = None) -> Content:
    """One non-math page on `topic` (a key of NONMATH_EN / NONMATH_ZH), optionally longer."""
    pool = NONMATH_EN if lang == "en" else NONMATH_ZH
    c = pool[topic](rng)
    for _ in range(rng.choice([0, 0, 1]) if extra is None else extra):
        more = pool[topic](rng)
        c.blocks.append(H(more.title))
        c.blocks.extend(more.blocks)
    c.lang = lang
    c.blocks = enrich(
        c.blocks, rng, voice_for(None, topic, lang), density=0.9, extra_paragraphs=rng.randint(2, 4)
    )
    return c
