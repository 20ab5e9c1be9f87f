"""Rendering question → solution pairs through the tokenizer's chat template (SFT, GRPO, evaluation).

The prompt is the template with `add_generation_prompt=True`; the response is whatever the full
conversation adds after it (solution + end-of-turn). Prompt and response are tokenised separately and
concatenated, so the label mask boundary is exact and the prompt tokens match those GRPO samples from.
"""

from __future__ import annotations


def prompt_text(tokenizer, question: str, system: str | None = None) -> str:
    msgs = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": question}
    ]
    return tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)


def response_text(tokenizer, question: str, answer: str, system: str | None = None) -> str:
    """The text the template puts after the prompt for an assistant turn `answer` (incl. EOS)."""
    msgs = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer},
    ]
    full = tokenizer.apply_chat_template(msgs, tokenize=False)
    prompt = prompt_text(tokenizer, question, system)
    if not full.startswith(prompt):
        raise ValueError("chat template: the assistant turn does not extend the generation prompt")
    return full[len(prompt) :]


def encode_prompt(tokenizer, question: str, system: str | None = None) -> list[int]:
    return tokenizer(prompt_text(tokenizer, question, system), add_special_tokens=False)["input_ids"]


def encode_pair(
    tokenizer, question: str, answer: str, system: str | None = None
) -> tuple[list[int], list[int]]:
    """(prompt ids, response ids) for one example."""
    p = encode_prompt(tokenizer, question, system)
    r = tokenizer(response_text(tokenizer, question, answer, system), add_special_tokens=False)["input_ids"]
    return p, r
