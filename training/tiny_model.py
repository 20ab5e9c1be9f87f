"""A tiny Llama-architecture model and a byte-level BPE tokenizer trained on local text.

The embedded default and the tests use it in place of DeepSeek-Coder-Base-v1.5 7B: same
architecture family (LlamaForCausalLM), same loading path (`from_pretrained` on a folder), small
enough to train on a CPU in minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>"]
# A minimal chat template: SFT, GRPO and zero-shot evaluation render prompts through it.
CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'user' %}User: {{ m['content'] }}\n\n"
    "{% elif m['role'] == 'assistant' %}Assistant: {{ m['content'] }}{{ eos_token }}"
    "{% else %}{{ m['content'] }}\n\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 4096):
    """Train a byte-level BPE tokenizer (the `tokenizers` library) and wrap it for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_tiny_model(
    tokenizer,
    hidden_size: int = 128,
    layers: int = 4,
    heads: int = 4,
    intermediate_size: int | None = None,
    max_positions: int = 2048,
    seed: int = 0,
):
    """A randomly initialised LlamaForCausalLM sized for a CPU."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        intermediate_size=intermediate_size or 4 * hidden_size,
        max_position_embeddings=max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        rms_norm_eps=1e-5,
    )
    return LlamaForCausalLM(config)


def make_tiny(out_dir: str | Path, texts: Iterable[str], vocab_size: int = 4096, **model_kw) -> Path:
    """Train the tokenizer on `texts`, build the model and save both to `out_dir` (HF format)."""
    out = Path(out_dir)
    tok = train_tokenizer(texts, vocab_size)
    model = build_tiny_model(tok, **model_kw)
    out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(out)
    model.save_pretrained(out)
    return out


def _shard_texts(path: Path, limit: int) -> Iterable[str]:
    import pyarrow.parquet as pq

    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    n = 0
    for f in files:
        for batch in pq.ParquetFile(f).iter_batches(columns=["text"], batch_size=1024):
            for t in batch.column(0).to_pylist():
                if n >= limit:
                    return
                n += 1
                yield t


@click.command("tiny-model")
@click.option(
    "--texts",
    "texts_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Parquet shard or folder of shards whose `text` column trains the tokenizer.",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output model folder.")
@click.option("--vocab-size", default=4096, show_default=True)
@click.option("--hidden-size", default=128, show_default=True)
@click.option("--layers", default=4, show_default=True)
@click.option("--max-docs", default=20000, show_default=True, help="Documents used to train the tokenizer.")
def tiny_model_cli(
    texts_path: Path, out: Path, vocab_size: int, hidden_size: int, layers: int, max_docs: int
):
    """Build the tiny Llama model and BPE tokenizer used by the embedded default."""
    path = make_tiny(
        out, _shard_texts(texts_path, max_docs), vocab_size, hidden_size=hidden_size, layers=layers
    )
    click.echo(f"tiny model written to {path}")
