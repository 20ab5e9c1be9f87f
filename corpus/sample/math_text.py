"""Math page content in two styles.

* "latex": formula-rich writing (calculus, algebra, number theory, linear algebra, …) in the voice of
  forums, lecture notes and blogs. The positive seed is made of this style only.
* "plain": math discussed in words (word problems, arithmetic explained, mental-math tips) with no TeX
  and a vocabulary the latex style and the seed do not use. A classifier trained on the seed misses
  these pages; domain/path discovery has to find them (the hidden math sections of the sample).

Every generator takes a seeded `random.Random` and returns a `Content`; numbers, variables, names and
sentence templates are drawn at random so a text classifier sees varied text, not a few fixed pages.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from corpus.sample.chatter import enrich, voice_for
from corpus.sample.content import LI, Content, H, P, d, m

# --- shared pools ------------------------------------------------------------------------------------
VARS = ["x", "t", "u", "z", "s"]
SEQ_VARS = ["n", "k", "m"]
OPENERS = ["Let", "Suppose", "Consider", "Assume", "Define"]
CONNECT = ["Hence", "Therefore", "It follows that", "Thus", "Consequently", "So", "This gives"]
FORUM_ASK = [
    "I am stuck on the following exercise from my analysis course.",
    "Here is a problem from an old qualifying exam that I cannot finish.",
    "I tried to prove this myself but my argument seems circular.",
    "Can someone check whether my computation below is correct?",
    "This came up while I was reviewing for the final, any hint is welcome.",
    "My textbook states the identity without proof, so I tried to derive it.",
]
FORUM_ANSWER = [
    "Here is a cleaner way to see it.",
    "Your approach works, but there is a shortcut.",
    "Hint: rewrite the expression first and the rest is routine.",
    "A standard trick applies here.",
    "You are almost there; the last step needs one more observation.",
]
CLOSERS = [
    "which completes the proof.",
    "and we are done.",
    "as claimed.",
    "which is exactly the bound we wanted.",
    "so the identity holds for every admissible value.",
]
NOTE_INTROS = [
    "In this lecture we continue the discussion of",
    "These notes review",
    "The following section treats",
    "We now turn to",
    "Recall from the previous chapter our study of",
]


def _poly(rng: random.Random, v: str, deg: int) -> tuple[str, list[int]]:
    coeffs = [rng.randint(1, 9) * rng.choice([1, 1, -1]) for _ in range(deg + 1)]
    terms = []
    for p in range(deg, -1, -1):
        c = coeffs[deg - p]
        mag = abs(c)
        body = (f"{mag}" if (mag != 1 or p == 0) else "") + (f"{v}^{{{p}}}" if p > 1 else v if p == 1 else "")
        terms.append((c < 0, body))
    s = ("-" if terms[0][0] else "") + terms[0][1]
    for neg, body in terms[1:]:
        s += (" - " if neg else " + ") + body
    return s, coeffs


def _deriv(coeffs: list[int], v: str) -> str:
    deg = len(coeffs) - 1
    out = []
    for i, c in enumerate(coeffs[:-1]):
        p = deg - i
        nc = c * p
        body = f"{abs(nc)}" + (f"{v}^{{{p - 1}}}" if p - 1 > 1 else v if p - 1 == 1 else "")
        out.append(("-" if nc < 0 else "+", body))
    s = ("-" if out[0][0] == "-" else "") + out[0][1]
    for sign, body in out[1:]:
        s += f" {sign} {body}"
    return s


# --- latex style, English ----------------------------------------------------------------------------


def derivative(rng: random.Random) -> Content:
    v = rng.choice(VARS)
    deg = rng.randint(2, 4)
    f, co = _poly(rng, v, deg)
    fp = _deriv(co, v)
    a = rng.randint(-3, 5)
    val = sum(c * p * a ** (p - 1) for c, p in zip(co[:-1], range(deg, 0, -1)))
    return Content(
        f"Derivative of a degree {deg} polynomial at {v} = {a}",
        [
            P(
                f"{rng.choice(OPENERS)} ",
                m(f"f({v}) = {f}"),
                ". We want the slope of the tangent line at ",
                m(f"{v} = {a}"),
                ".",
            ),
            P(
                "By the power rule ",
                m(f"\\frac{{d}}{{d{v}}} {v}^{{n}} = n {v}^{{n-1}}"),
                " applied term by term,",
            ),
            P(d(f"f'({v}) = {fp}")),
            P(
                f"{rng.choice(CONNECT)} ",
                m(f"f'({a}) = {val}"),
                ", so the tangent line is ",
                m(f"y = f({a}) + {val}({v} - {a})"),
                ".",
            ),
            P(
                "Note that the derivative of a polynomial of degree ",
                m(f"{deg}"),
                " has degree ",
                m(f"{deg - 1}"),
                ", " + rng.choice(CLOSERS),
            ),
        ],
        topic="calculus",
    )


def integral(rng: random.Random) -> Content:
    v = rng.choice(VARS)
    a, b = sorted(rng.sample(range(0, 6), 2))
    k = rng.randint(2, 5)
    c = rng.randint(1, 9)
    return Content(
        f"Evaluating the definite integral of {v}^{k} plus a constant",
        [
            P(rng.choice(FORUM_ASK), " Compute"),
            P(d(f"\\int_{{{a}}}^{{{b}}} \\left( {v}^{{{k}}} + {c} \\right) \\, d{v}")),
            P(
                rng.choice(FORUM_ANSWER),
                " An antiderivative is ",
                m(f"F({v}) = \\frac{{{v}^{{{k + 1}}}}}{{{k + 1}}} + {c}{v}"),
                ".",
            ),
            P("By the fundamental theorem of calculus,"),
            P(
                d(
                    f"\\int_{{{a}}}^{{{b}}} \\left( {v}^{{{k}}} + {c} \\right) d{v} = \\frac{{{b}^{{{k + 1}}} - {a}^{{{k + 1}}}}}{{{k + 1}}} + {c}({b} - {a})"
                )
            ),
            P(
                "The integrand is continuous on ",
                m(f"[{a}, {b}]"),
                ", so the Riemann sums converge " + rng.choice(CLOSERS),
            ),
        ],
        topic="calculus",
    )


def quadratic(rng: random.Random) -> Content:
    v = rng.choice(VARS)
    r1, r2 = rng.sample(range(-9, 10), 2)
    b, c = -(r1 + r2), r1 * r2
    eq = f"{v}^{{2}} {'-' if b < 0 else '+'} {abs(b)}{v} {'-' if c < 0 else '+'} {abs(c)} = 0"
    return Content(
        f"Solving {v}^2 {'-' if b < 0 else '+'} {abs(b)}{v} {'-' if c < 0 else '+'} {abs(c)} = 0 with the quadratic formula",
        [
            P(f"{rng.choice(OPENERS)} the quadratic equation ", m(eq), "."),
            P(
                "The discriminant is ",
                m(f"\\Delta = b^{{2}} - 4ac = {b * b - 4 * c}"),
                ", which is positive, so there are two real roots.",
            ),
            P(d(f"{v}_{{1,2}} = \\frac{{-b \\pm \\sqrt{{\\Delta}}}}{{2a}}")),
            P(
                f"{rng.choice(CONNECT)} ",
                m(f"{v}_{{1}} = {max(r1, r2)}"),
                " and ",
                m(f"{v}_{{2}} = {min(r1, r2)}"),
                ". By Vieta's formulas ",
                m(f"{v}_{{1}} + {v}_{{2}} = {-b}"),
                " and ",
                m(f"{v}_{{1}} {v}_{{2}} = {c}"),
                ", " + rng.choice(CLOSERS),
            ),
        ],
        topic="algebra",
    )


def limit(rng: random.Random) -> Content:
    v = rng.choice(VARS)
    a = rng.randint(2, 7)
    k = rng.randint(2, 6)
    return Content(
        f"A limit of the form 0/0 at {v} = {a}",
        [
            P(rng.choice(FORUM_ASK)),
            P(d(f"\\lim_{{{v} \\to {a}}} \\frac{{{v}^{{2}} - {a * a}}}{{{v} - {a}}}")),
            P(
                rng.choice(FORUM_ANSWER),
                " Factor the numerator as ",
                m(f"({v} - {a})({v} + {a})"),
                " and cancel for ",
                m(f"{v} \\neq {a}"),
                ".",
            ),
            P(
                f"{rng.choice(CONNECT)} the limit equals ",
                m(f"{2 * a}"),
                ". Alternatively, L'Hôpital's rule gives ",
                m(f"\\lim_{{{v} \\to {a}}} \\frac{{2{v}}}{{1}} = {2 * a}"),
                ".",
            ),
            P(
                "Similarly ",
                m(f"\\lim_{{{v} \\to 0}} \\frac{{\\sin({k}{v})}}{{{v}}} = {k}"),
                " follows from the squeeze theorem, " + rng.choice(CLOSERS),
            ),
        ],
        topic="calculus",
    )


def matrix(rng: random.Random) -> Content:
    a, b, c, e = (rng.randint(-5, 9) for _ in range(4))
    det = a * e - b * c
    tr = a + e
    return Content(
        "Determinant, trace and eigenvalues of a 2 by 2 matrix",
        [
            P(
                f"{rng.choice(OPENERS)} ",
                m(f"A = \\begin{{pmatrix}} {a} & {b} \\\\ {c} & {e} \\end{{pmatrix}}"),
                ".",
            ),
            P(
                "Then ",
                m(f"\\det A = {a} \\cdot {e} - {b} \\cdot {c} = {det}"),
                " and ",
                m(f"\\operatorname{{tr}} A = {tr}"),
                ".",
            ),
            P("The characteristic polynomial is"),
            P(d(f"p(\\lambda) = \\lambda^{{2}} - {tr}\\lambda + {det}")),
            P(
                f"{rng.choice(CONNECT)} the eigenvalues satisfy ",
                m(f"\\lambda_{{1}} + \\lambda_{{2}} = {tr}"),
                " and ",
                m(f"\\lambda_{{1}} \\lambda_{{2}} = {det}"),
                ".",
            ),
            P(
                "If ",
                m("\\det A \\neq 0"),
                " the matrix is invertible and ",
                m("A^{-1} = \\frac{1}{\\det A} \\operatorname{adj} A"),
                ", " + rng.choice(CLOSERS),
            ),
        ],
        topic="linear_algebra",
    )


def modular(rng: random.Random) -> Content:
    a = rng.randint(2, 9)
    e = rng.randint(10, 60)
    p = rng.choice([5, 7, 11, 13, 17, 19, 23])
    return Content(
        f"Computing {a}^{e} modulo {p} with Fermat's little theorem",
        [
            P(
                rng.choice(FORUM_ASK),
                " Find the remainder of ",
                m(f"{a}^{{{e}}}"),
                " upon division by ",
                m(f"{p}"),
                ".",
            ),
            P(
                rng.choice(FORUM_ANSWER),
                " Since ",
                m(f"{p}"),
                " is prime and ",
                m(f"\\gcd({a}, {p}) = 1"),
                ", Fermat's little theorem gives",
            ),
            P(d(f"{a}^{{{p - 1}}} \\equiv 1 \\pmod{{{p}}}")),
            P(
                "Write ",
                m(f"{e} = {p - 1} \\cdot {e // (p - 1)} + {e % (p - 1)}"),
                ". " + rng.choice(CONNECT) + " ",
                m(f"{a}^{{{e}}} \\equiv {a}^{{{e % (p - 1)}}} \\equiv {pow(a, e, p)} \\pmod{{{p}}}"),
                ",",
            ),
            P(rng.choice(CLOSERS).capitalize()),
        ],
        topic="number_theory",
    )


def geometric_series(rng: random.Random) -> Content:
    n = rng.choice(SEQ_VARS)
    num, den = rng.choice([(1, 2), (1, 3), (2, 3), (1, 4), (3, 4), (2, 5)])
    a = rng.randint(1, 9)
    return Content(
        "Sum of a geometric series and its convergence",
        [
            P(f"{rng.choice(NOTE_INTROS)} infinite series. {rng.choice(OPENERS)} ", m("|r| < 1"), "."),
            P(d(f"\\sum_{{{n}=0}}^{{\\infty}} a r^{{{n}}} = \\frac{{a}}{{1 - r}}")),
            P(
                "With ",
                m(f"a = {a}"),
                " and ",
                m(f"r = \\frac{{{num}}}{{{den}}}"),
                " the sum is ",
                m(f"\\frac{{{a}}}{{1 - \\frac{{{num}}}{{{den}}}}} = \\frac{{{a * den}}}{{{den - num}}}"),
                ".",
            ),
            P(
                "The partial sums ",
                m("S_{N} = a \\frac{1 - r^{N+1}}{1 - r}"),
                " converge because ",
                m("r^{N} \\to 0"),
                ".",
            ),
            P(
                f"{rng.choice(CONNECT)} the series diverges for ",
                m("|r| \\geq 1"),
                ", since its terms do not tend to zero, " + rng.choice(CLOSERS),
            ),
        ],
        topic="analysis",
    )


def combinatorics(rng: random.Random) -> Content:
    n = rng.randint(6, 15)
    k = rng.randint(2, 5)
    from math import comb

    return Content(
        f"Counting subsets: binomial coefficient {n} choose {k}",
        [
            P(
                rng.choice(FORUM_ASK),
                " In how many ways can we choose ",
                m(f"{k}"),
                " elements from a set of ",
                m(f"{n}"),
                "?",
            ),
            P(d(f"\\binom{{{n}}}{{{k}}} = \\frac{{{n}!}}{{{k}! \\, ({n}-{k})!}} = {comb(n, k)}")),
            P(
                "The probability that a fixed element is chosen is ",
                m(f"\\frac{{\\binom{{{n - 1}}}{{{k - 1}}}}}{{\\binom{{{n}}}{{{k}}}}} = \\frac{{{k}}}{{{n}}}"),
                ".",
            ),
            P(
                rng.choice(FORUM_ANSWER),
                " Pascal's rule ",
                m("\\binom{n}{k} = \\binom{n-1}{k-1} + \\binom{n-1}{k}"),
                " gives the same value by induction, " + rng.choice(CLOSERS),
            ),
        ],
        topic="combinatorics",
    )


def trig(rng: random.Random) -> Content:
    th = rng.choice(["\\theta", "\\alpha", "\\phi", "x"])
    k = rng.randint(2, 4)
    return Content(
        "Proving a trigonometric identity with the double angle formula",
        [
            P(f"{rng.choice(OPENERS)} ", m(th), " be any real angle. We show that"),
            P(
                d(
                    f"\\sin^{{2}} {th} + \\cos^{{2}} {th} = 1 \\quad \\text{{and}} \\quad \\cos(2{th}) = 1 - 2\\sin^{{2}} {th}"
                )
            ),
            P(
                "Start from the addition formula ",
                m("\\cos(a + b) = \\cos a \\cos b - \\sin a \\sin b"),
                " with ",
                m(f"a = b = {th}"),
                ".",
            ),
            P(
                f"{rng.choice(CONNECT)} ",
                m(f"\\cos(2{th}) = \\cos^{{2}} {th} - \\sin^{{2}} {th}"),
                ", and substituting the Pythagorean identity gives the claim.",
            ),
            P(
                "Iterating, ",
                m(f"\\cos({k}{th})"),
                " is a polynomial in ",
                m(f"\\cos {th}"),
                " of degree ",
                m(f"{k}"),
                ", " + rng.choice(CLOSERS),
            ),
        ],
        topic="trigonometry",
    )


def am_gm(rng: random.Random) -> Content:
    a, b = rng.choice(["a", "p", "u"]), rng.choice(["b", "q", "v"])
    c = rng.randint(2, 9)
    return Content(
        "An inequality via AM-GM",
        [
            P(
                rng.choice(FORUM_ASK),
                " Show that for positive reals ",
                m(f"{a}, {b}"),
                " with ",
                m(f"{a}{b} = {c * c}"),
                " we have ",
                m(f"{a} + {b} \\geq {2 * c}"),
                ".",
            ),
            P(rng.choice(FORUM_ANSWER), " By the arithmetic-geometric mean inequality"),
            P(d(f"\\frac{{{a} + {b}}}{{2}} \\geq \\sqrt{{{a}{b}}} = {c}")),
            P(
                "with equality if and only if ",
                m(f"{a} = {b} = {c}"),
                ". Equivalently ",
                m(f"(\\sqrt{{{a}}} - \\sqrt{{{b}}})^{{2}} \\geq 0"),
                ", " + rng.choice(CLOSERS),
            ),
        ],
        topic="inequalities",
    )


def induction(rng: random.Random) -> Content:
    n = rng.choice(SEQ_VARS)
    return Content(
        "Proof by induction of the sum of squares formula",
        [
            P(
                f"{rng.choice(NOTE_INTROS)} mathematical induction. Claim: for every integer ",
                m(f"{n} \\geq 1"),
                ",",
            ),
            P(d(f"\\sum_{{i=1}}^{{{n}}} i^{{2}} = \\frac{{{n}({n}+1)(2{n}+1)}}{{6}}")),
            P("Base case: for ", m(f"{n} = 1"), " both sides equal ", m("1"), "."),
            P(
                "Inductive step: assume the formula for ",
                m(n),
                ". Adding ",
                m(f"({n}+1)^{{2}}"),
                " to both sides,",
            ),
            P(
                d(
                    f"\\frac{{{n}({n}+1)(2{n}+1)}}{{6}} + ({n}+1)^{{2}} = \\frac{{({n}+1)({n}+2)(2{n}+3)}}{{6}}"
                )
            ),
            P(f"{rng.choice(CONNECT)} the statement holds for ", m(f"{n}+1"), ", " + rng.choice(CLOSERS)),
        ],
        topic="proofs",
    )


def complex_numbers(rng: random.Random) -> Content:
    a, b = rng.randint(1, 6), rng.randint(1, 6)
    k = rng.randint(3, 8)
    return Content(
        "Modulus and argument of a complex number, and De Moivre's formula",
        [
            P(
                f"{rng.choice(OPENERS)} ",
                m(f"z = {a} + {b}i"),
                ". Its modulus is ",
                m(f"|z| = \\sqrt{{{a}^{{2}} + {b}^{{2}}}} = \\sqrt{{{a * a + b * b}}}"),
                ".",
            ),
            P(
                "Writing ",
                m("z = r e^{i\\theta}"),
                " with ",
                m(f"\\tan \\theta = \\frac{{{b}}}{{{a}}}"),
                ", De Moivre's formula gives",
            ),
            P(d(f"z^{{{k}}} = r^{{{k}}} \\left( \\cos {k}\\theta + i \\sin {k}\\theta \\right)")),
            P(
                f"{rng.choice(CONNECT)} ",
                m(f"|z^{{{k}}}| = {a * a + b * b}^{{{k}/2}}"),
                ", " + rng.choice(CLOSERS),
            ),
        ],
        topic="complex_analysis",
    )


def logarithms(rng: random.Random) -> Content:
    b = rng.choice([2, 3, 5, 10])
    e1, e2 = rng.randint(2, 6), rng.randint(2, 6)
    return Content(
        f"Solving an exponential equation with logarithms base {b}",
        [
            P(
                rng.choice(FORUM_ASK),
                " Solve ",
                m(f"{b}^{{x+{e1}}} = {b**e2}"),
                " and simplify ",
                m(f"\\log_{{{b}}} {b**e1} + \\log_{{{b}}} {b**e2}"),
                ".",
            ),
            P(
                rng.choice(FORUM_ANSWER),
                " Take ",
                m(f"\\log_{{{b}}}"),
                " of both sides: ",
                m(f"x + {e1} = {e2}"),
                ", so ",
                m(f"x = {e2 - e1}"),
                ".",
            ),
            P(
                d(
                    f"\\log_{{{b}}} ({b**e1} \\cdot {b**e2}) = \\log_{{{b}}} {b**e1} + \\log_{{{b}}} {b**e2} = {e1 + e2}"
                )
            ),
            P(
                "The change of base formula ",
                m("\\log_{b} y = \\frac{\\ln y}{\\ln b}"),
                " handles any other base, " + rng.choice(CLOSERS),
            ),
        ],
        topic="algebra",
    )


def ode(rng: random.Random) -> Content:
    k = rng.randint(2, 7)
    y0 = rng.randint(1, 9)
    return Content(
        "A first order linear differential equation",
        [
            P(f"{rng.choice(NOTE_INTROS)} separable differential equations. Solve the initial value problem"),
            P(d(f"y' = -{k} y, \\qquad y(0) = {y0}")),
            P(
                "Separating variables, ",
                m(f"\\frac{{dy}}{{y}} = -{k} \\, dt"),
                ", and integrating gives ",
                m(f"\\ln |y| = -{k}t + C"),
                ".",
            ),
            P(
                f"{rng.choice(CONNECT)} ",
                m(f"y(t) = {y0} e^{{-{k}t}}"),
                ", which decays to zero as ",
                m("t \\to \\infty"),
                ".",
            ),
            P(
                "Uniqueness follows from the Picard-Lindelöf theorem since the right side is Lipschitz in ",
                m("y"),
                ", " + rng.choice(CLOSERS),
            ),
        ],
        topic="differential_equations",
    )


def vectors(rng: random.Random) -> Content:
    u = [rng.randint(-4, 6) for _ in range(3)]
    w = [rng.randint(-4, 6) for _ in range(3)]
    dot = sum(a * b for a, b in zip(u, w))
    return Content(
        "Dot product and the angle between two vectors",
        [
            P(
                f"{rng.choice(OPENERS)} ",
                m(f"\\mathbf{{u}} = ({u[0]}, {u[1]}, {u[2]})"),
                " and ",
                m(f"\\mathbf{{v}} = ({w[0]}, {w[1]}, {w[2]})"),
                " in ",
                m("\\mathbb{R}^{3}"),
                ".",
            ),
            P(
                "Their inner product is ",
                m(f"\\mathbf{{u}} \\cdot \\mathbf{{v}} = {dot}"),
                ", and the angle satisfies",
            ),
            P(
                d(
                    "\\cos \\theta = \\frac{\\mathbf{u} \\cdot \\mathbf{v}}{\\|\\mathbf{u}\\| \\, \\|\\mathbf{v}\\|}"
                )
            ),
            P(
                f"{rng.choice(CONNECT)} the vectors are orthogonal exactly when the dot product vanishes; by Cauchy-Schwarz ",
                m("|\\mathbf{u} \\cdot \\mathbf{v}| \\leq \\|\\mathbf{u}\\| \\|\\mathbf{v}\\|"),
                ", " + rng.choice(CLOSERS),
            ),
        ],
        topic="linear_algebra",
    )


LATEX_EN: list[Callable[[random.Random], Content]] = [
    derivative,
    integral,
    quadratic,
    limit,
    matrix,
    modular,
    geometric_series,
    combinatorics,
    trig,
    am_gm,
    induction,
    complex_numbers,
    logarithms,
    ode,
    vectors,
]

# --- plain style, English: math in words, no TeX, a vocabulary the latex style never uses ---------------
KIDS = ["Maya", "Leo", "Priya", "Tom", "Aisha", "Ben", "Chloe", "Omar", "Rosa", "Sam", "Hana", "Jack"]
THINGS = [
    "marbles",
    "stickers",
    "crayons",
    "cupcakes",
    "seashells",
    "pencils",
    "trading cards",
    "beads",
    "cookies",
    "balloons",
]
NUMWORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
TEACH_OPEN = [
    "Word problems can feel tricky, so let us go through this one slowly together.",
    "Here is a homework question my daughter brought home from third grade.",
    "Teachers often use this kind of puzzle to practise mental arithmetic.",
    "This worksheet question trips up a lot of pupils, so here is a friendly walkthrough.",
    "A parent asked how to explain this problem without a calculator.",
]
TEACH_TIP = [
    "Always read the question twice and underline the numbers you need.",
    "Drawing a quick picture with circles or boxes helps a lot.",
    "Check your answer by working backwards from the result.",
    "Say the sum out loud; hearing it makes the steps easier to remember.",
    "Estimate first, then count exactly, and compare the two.",
]


def shopping(rng: random.Random) -> Content:
    kid = rng.choice(KIDS)
    th = rng.choice(THINGS)
    n, price = rng.randint(3, 12), rng.randint(2, 9)
    paid = (n * price // 10 + 1) * 10
    return Content(
        f"How much change does {kid} get back? A money word problem",
        [
            P(rng.choice(TEACH_OPEN)),
            P(
                f"{kid} buys {n} packs of {th} at the school fair. Each pack costs {price} dollars, and {kid} pays with {paid} dollars. How much change should {kid} get back?"
            ),
            P(
                f"First find the total cost. {n} packs times {price} dollars each makes {n * price} dollars altogether."
            ),
            P(
                f"Then take the total away from the money handed over: {paid} take away {n * price} leaves {paid - n * price}. So the change is {paid - n * price} dollars."
            ),
            P(rng.choice(TEACH_TIP)),
        ],
        topic="money",
    )


def sharing(rng: random.Random) -> Content:
    kids = rng.sample(KIDS, 3)
    th = rng.choice(THINGS)
    each = rng.randint(4, 15)
    left = rng.randint(1, 2)
    total = each * 3 + left
    return Content(
        f"Sharing {th} equally between three friends",
        [
            P(rng.choice(TEACH_OPEN)),
            P(
                f"{kids[0]}, {kids[1]} and {kids[2]} have {total} {th} and want to share them fairly. How many does each friend get, and how many are left over?"
            ),
            P(
                f"Sharing fairly means dividing into three equal groups. Three groups of {each} use up {each * 3} {th}, and {NUMWORDS[left]} is left over because it cannot be split."
            ),
            P(
                f"So each friend gets {each} {th} and the remainder is {left}. You can check: {each} plus {each} plus {each} plus {left} gives back {total}."
            ),
            P(rng.choice(TEACH_TIP)),
        ],
        topic="division",
    )


def speed(rng: random.Random) -> Content:
    kid = rng.choice(KIDS)
    mph = rng.choice([30, 40, 45, 50, 60])
    hours = rng.randint(2, 5)
    return Content(
        "Distance, speed and time: how far does the car go?",
        [
            P(rng.choice(TEACH_OPEN)),
            P(
                f"{kid}'s family drives to the seaside at a steady {mph} miles every hour. The journey takes {NUMWORDS[hours]} hours. How many miles is the trip?"
            ),
            P(
                f"Each hour the car covers {mph} miles, so in {hours} hours it covers {hours} lots of {mph}. Counting up: "
                + ", ".join(str(mph * i) for i in range(1, hours + 1))
                + "."
            ),
            P(
                f"The trip is {mph * hours} miles long. If they wanted to arrive one hour sooner they would need to go faster, about {round(mph * hours / (hours - 1))} miles every hour."
            ),
            P(rng.choice(TEACH_TIP)),
        ],
        topic="rates",
    )


def percent_sale(rng: random.Random) -> Content:
    item = rng.choice(["bicycle", "jacket", "board game", "pair of trainers", "backpack", "lamp"])
    price = rng.choice([40, 60, 80, 120, 150, 200])
    pct = rng.choice([10, 20, 25, 50])
    off = price * pct // 100
    return Content(
        f"Working out a {pct} percent discount in your head",
        [
            P(rng.choice(TEACH_OPEN)),
            P(
                f"A {item} normally costs {price} dollars. The shop takes {pct} percent off in the spring sale. What is the new price?"
            ),
            P(
                f"Ten percent of {price} is found by moving the digits one place, giving {price // 10}. "
                f"For {pct} percent we need {pct // 10 if pct % 10 == 0 else 'two and a half'} lots of that, which is {off} dollars."
            ),
            P(
                f"Subtract the saving from the old price: {price} minus {off} is {price - off}. The {item} now costs {price - off} dollars."
            ),
            P(
                "Quarter off means the same as twenty-five percent, and half price means fifty percent. "
                + rng.choice(TEACH_TIP)
            ),
        ],
        topic="percentages",
    )


def ages(rng: random.Random) -> Content:
    a, b = rng.sample(KIDS, 2)
    age_b = rng.randint(4, 10)
    k = rng.randint(2, 4)
    return Content(
        f"An age puzzle: {a} is {NUMWORDS[k]} times as old as {b}",
        [
            P(rng.choice(TEACH_OPEN)),
            P(
                f"{a}'s grandmother is {NUMWORDS[k]} times as old as {a}, and {a} is {age_b} years old. How old will the grandmother be in five years?"
            ),
            P(
                f"{NUMWORDS[k].capitalize()} times {age_b} is {k * age_b}, so today the grandmother is {k * age_b}. In five years everybody is five years older, so she will be {k * age_b + 5}."
            ),
            P(
                f"A common mistake is to multiply after adding the five years. Try it both ways with {b} and see why the order matters."
            ),
            P(rng.choice(TEACH_TIP)),
        ],
        topic="ages",
    )


def area_words(rng: random.Random) -> Content:
    w, h = rng.randint(3, 12), rng.randint(3, 12)
    return Content(
        "Fencing a garden: perimeter and area without formulas",
        [
            P(rng.choice(TEACH_OPEN)),
            P(
                f"A vegetable patch is shaped like a rectangle, {w} metres long and {h} metres wide. How much fence goes all the way round, and how many square metres of soil are inside?"
            ),
            P(f"Walk around the edge: {w} plus {h} plus {w} plus {h} gives {2 * (w + h)} metres of fence."),
            P(
                f"For the inside, imagine square tiles one metre on each side. There are {h} rows with {w} tiles in each row, so {w * h} tiles, which means {w * h} square metres."
            ),
            P(rng.choice(TEACH_TIP)),
        ],
        topic="measurement",
    )


def times_tables(rng: random.Random) -> Content:
    n = rng.randint(6, 12)
    return Content(
        f"Tricks for learning the {n} times table",
        [
            P(rng.choice(TEACH_OPEN)),
            P(
                f"Many children find the {n} times table hard to remember. Here are some tricks that make it stick."
            ),
            LI(
                f"Double the {n // 2 if n % 2 == 0 else n - 1} times table and adjust when the number is even."
                if n % 2 == 0
                else f"Take the {n - 1} times table and add one more group each time."
            ),
            LI("Skip count out loud: " + ", ".join(str(n * i) for i in range(1, 7)) + " and so on."),
            LI("Notice the pattern in the last digits and clap along as you go."),
            P(
                f"For example, seven lots of {n} is {7 * n}, and eight lots of {n} is {8 * n}. "
                + rng.choice(TEACH_TIP)
            ),
        ],
        topic="multiplication",
    )


def fractions_words(rng: random.Random) -> Content:
    kid = rng.choice(KIDS)
    slices = rng.choice([8, 12, 16])
    ate = rng.randint(2, slices // 2)
    return Content(
        "Fractions of a pizza: a picture explanation",
        [
            P(rng.choice(TEACH_OPEN)),
            P(
                f"A pizza is cut into {slices} equal slices. {kid} eats {ate} slices and a friend eats the same amount. What part of the pizza is left?"
            ),
            P(
                f"Together they ate {2 * ate} slices out of {slices}. The slices left over number {slices - 2 * ate}, so {slices - 2 * ate} out of {slices} parts remain."
            ),
            P(
                f"If you can split both numbers into smaller equal groups, the fraction gets simpler. Half of the pizza would be {slices // 2} slices, and a quarter would be {slices // 4} slices."
            ),
            P(rng.choice(TEACH_TIP)),
        ],
        topic="fractions",
    )


def work_rate(rng: random.Random) -> Content:
    a, b = rng.sample(KIDS, 2)
    ta, tb = rng.choice([(3, 6), (4, 12), (2, 6), (6, 12), (10, 15)])
    together = ta * tb / (ta + tb)
    return Content(
        "Two painters working together: a classic puzzle in words",
        [
            P(rng.choice(TEACH_OPEN)),
            P(
                f"{a} can paint the fence alone in {ta} hours and {b} needs {tb} hours. If they paint together, how long will the job take?"
            ),
            P(
                f"Think about one hour of work. In one hour {a} finishes one part out of {ta}, and {b} finishes one part out of {tb}."
            ),
            P(
                f"Put both amounts over the same number of parts and add them; turning the answer upside down gives the time, about {together:g} hours. That is quicker than either painter alone, which makes sense."
            ),
            P(rng.choice(TEACH_TIP)),
        ],
        topic="rates",
    )


def rounding(rng: random.Random) -> Content:
    n = rng.randint(1000, 9999)
    return Content(
        f"Rounding {n} to the nearest ten, hundred and thousand",
        [
            P(rng.choice(TEACH_OPEN)),
            P(f"Round the number {n} to the nearest ten, the nearest hundred and the nearest thousand."),
            P(
                "Look at the digit just to the right of the place you are rounding to. Five or more means round up, four or less means round down."
            ),
            P(
                f"So {n} becomes {round(n, -1)} to the nearest ten, {round(n, -2)} to the nearest hundred and {round(n, -3)} to the nearest thousand."
            ),
            P(
                "Place value charts with columns for ones, tens, hundreds and thousands make this much easier to see. "
                + rng.choice(TEACH_TIP)
            ),
        ],
        topic="place_value",
    )


PLAIN_EN: list[Callable[[random.Random], Content]] = [
    shopping,
    sharing,
    speed,
    percent_sale,
    ages,
    area_words,
    times_tables,
    fractions_words,
    work_rate,
    rounding,
]

# --- Chinese ------------------------------------------------------------------------------------------
ZH_NAMES = ["小明", "小红", "小刚", "小丽", "小华", "小军", "小芳", "小强"]
ZH_CONNECT = ["因此", "所以", "于是", "从而", "由此可得"]


def zh_derivative(rng: random.Random) -> Content:
    f, co = _poly(rng, "x", rng.randint(2, 3))
    return Content(
        "求多项式函数的导数与切线方程",
        [
            P(
                "设函数 ",
                m(f"f(x) = {f}"),
                "，求 ",
                m("f'(x)"),
                " 以及曲线在点 ",
                m("x = 1"),
                " 处的切线方程。",
            ),
            P("解：由求导法则"),
            P(d(f"f'(x) = {_deriv(co, 'x')}")),
            P(
                f"{rng.choice(ZH_CONNECT)}切线斜率为 ",
                m(f"k = f'(1) = {sum(c * p for c, p in zip(co[:-1], range(len(co) - 1, 0, -1)))}"),
                "，切线方程为 ",
                m("y - f(1) = k(x - 1)"),
                "。",
            ),
            P("点评：本题考查导数的几何意义，属于基础题。"),
        ],
        lang="zh",
        topic="calculus",
    )


def zh_sequence(rng: random.Random) -> Content:
    a1, q = rng.randint(1, 5), rng.randint(2, 4)
    n = rng.randint(5, 9)
    return Content(
        "等比数列的通项公式与前 n 项和",
        [
            P(
                "已知等比数列 ",
                m("\\{a_n\\}"),
                " 中 ",
                m(f"a_1 = {a1}"),
                "，公比 ",
                m(f"q = {q}"),
                "，求 ",
                m("a_n"),
                " 及 ",
                m(f"S_{{{n}}}"),
                "。",
            ),
            P("解：通项公式为 ", m(f"a_n = {a1} \\cdot {q}^{{n-1}}"), "。"),
            P(d(f"S_{{{n}}} = \\frac{{a_1(1 - q^{{{n}}})}}{{1 - q}} = {a1 * (q**n - 1) // (q - 1)}")),
            P(f"{rng.choice(ZH_CONNECT)}所求前 {n} 项和为 ", m(f"{a1 * (q**n - 1) // (q - 1)}"), "。"),
        ],
        lang="zh",
        topic="sequences",
    )


def zh_equation(rng: random.Random) -> Content:
    r1, r2 = rng.sample(range(-6, 8), 2)
    b, c = -(r1 + r2), r1 * r2
    return Content(
        "一元二次方程的解法与根与系数的关系",
        [
            P(
                "解方程 ",
                m(f"x^{{2}} {'-' if b < 0 else '+'} {abs(b)}x {'-' if c < 0 else '+'} {abs(c)} = 0"),
                "。",
            ),
            P("解：判别式 ", m(f"\\Delta = {b * b - 4 * c} > 0"), "，方程有两个不相等的实数根。"),
            P(d(f"x_{{1}} = {r1}, \\quad x_{{2}} = {r2}")),
            P("由韦达定理 ", m(f"x_1 + x_2 = {-b}"), "，", m(f"x_1 x_2 = {c}"), "，验证无误。"),
        ],
        lang="zh",
        topic="algebra",
    )


def zh_probability(rng: random.Random) -> Content:
    r, w = rng.randint(2, 6), rng.randint(2, 6)
    return Content(
        "古典概型：从袋中摸球的概率",
        [
            P(f"袋中有 {r} 个红球和 {w} 个白球，从中任取两个球，求两球颜色相同的概率。"),
            P(
                "解：基本事件总数为 ",
                m(f"C_{{{r + w}}}^{{2}}"),
                "，两球同色的事件数为 ",
                m(f"C_{{{r}}}^{{2}} + C_{{{w}}}^{{2}}"),
                "。",
            ),
            P(d(f"P = \\frac{{C_{{{r}}}^{{2}} + C_{{{w}}}^{{2}}}}{{C_{{{r + w}}}^{{2}}}}")),
            P(f"{rng.choice(ZH_CONNECT)}所求概率如上式所示。"),
        ],
        lang="zh",
        topic="probability",
    )


LATEX_ZH: list[Callable[[random.Random], Content]] = [zh_derivative, zh_sequence, zh_equation, zh_probability]


def zh_plain_apples(rng: random.Random) -> Content:
    a, b = rng.sample(ZH_NAMES, 2)
    x, y = rng.randint(10, 40), rng.randint(2, 9)
    return Content(
        f"{a}和{b}分苹果：小学应用题讲解",
        [
            P(f"{a}有 {x} 个苹果，给了{b} {y} 个以后，两人的苹果一样多。{b}原来有多少个苹果？"),
            P(f"分析：{a}给出 {y} 个后还剩 {x - y} 个，这时两人一样多，所以{b}现在也有 {x - y} 个。"),
            P(f"{b}原来的苹果要减去得到的 {y} 个，也就是 {x - 2 * y} 个。答：{b}原来有 {x - 2 * y} 个苹果。"),
            P("提示：做应用题时先画线段图，把数量关系看清楚再列式计算。"),
        ],
        lang="zh",
        topic="word_problem",
    )


def zh_plain_trip(rng: random.Random) -> Content:
    a = rng.choice(ZH_NAMES)
    v, t = rng.choice([40, 50, 60, 80]), rng.randint(2, 6)
    return Content(
        "行程问题：速度、时间和路程",
        [
            P(f"{a}一家开车去外婆家，每小时行 {v} 千米，{t} 小时到达。外婆家离{a}家有多远？"),
            P(f"分析：路程等于速度乘时间，每小时 {v} 千米，走了 {t} 小时，一共走了 {v * t} 千米。"),
            P(f"答：外婆家离{a}家 {v * t} 千米。如果想提前一小时到达，每小时要多走一些。"),
            P("提示：行程问题要抓住速度、时间、路程三者之间的关系。"),
        ],
        lang="zh",
        topic="word_problem",
    )


PLAIN_ZH: list[Callable[[random.Random], Content]] = [zh_plain_apples, zh_plain_trip]


def _extend(
    rng: random.Random, content: Content, pool: list[Callable[[random.Random], Content]], extra: int
) -> Content:
    """Append `extra` more worked examples from the same style pool: longer, more varied pages."""
    for _ in range(extra):
        more = rng.choice(pool)(rng)
        content.blocks.append(H(more.title))
        content.blocks.extend(more.blocks)
    return content


def math_content(rng: random.Random, style: str, lang: str) -> Content:
    """One math page body in `style` ("latex" | "plain") and `lang` ("en" | "zh")."""
    pool = {
        ("latex", "en"): LATEX_EN,
        ("plain", "en"): PLAIN_EN,
        ("latex", "zh"): LATEX_ZH,
        ("plain", "zh"): PLAIN_ZH,
    }[(style, lang)]
    c = _extend(rng, rng.choice(pool)(rng), pool, rng.choice([0, 1, 1, 2]))
    c.style = style
    c.lang = lang
    c.blocks = enrich(c.blocks, rng, voice_for(style, c.topic, lang), extra_paragraphs=rng.randint(1, 3))
    return c
