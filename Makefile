# Set-up and the two everyday jobs. `make demo` and `make test` each create the pinned
# environment first (.venv, from requirements.lock) when it is missing or out of date.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED_JETS ?= ../shared/data/jets_pythia8_train.h5
# The shipped model that fits the default Level-1 budget, and the conversion settings it was shipped
# with (its metadata.json, "shipped" -> "conversion"; tests/test_shipped_models.py keeps them equal).
MODEL ?= keras_models/salt_n32_l1t
CONVERT ?= --backend Vivado --dense-strategy distributed_arithmetic --products dsp
# PUPPI candidate words per jet into the IP of `make demo` (2N for the default model)
CANDIDATES ?= 64

.PHONY: venv demo test test-fast lock clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/salt-hls doctor
	touch $(STAMP)

# The main job on the shipped default model: convert -> C simulation checked bit for bit against
# the reference -> estimate -> budget check, on the held-out test part of the shared jets or,
# without them, on a sample made here by the project's own generator. salt-hls flow exits 3
# (OVER_BUDGET in salt_hls/cli/exit_codes.py) when everything ran and is bit-exact but the design
# is over the budget: that is a result. 1 (not bit-exact), 2 (bad input) are failures.
# Then from Level-1 words to scores: the jets as PUPPI words (M = CANDIDATES per jet), the IP
# (input stage + network in one top), its estimate, and the export bundle, whose own testbench is
# compiled and checked bit for bit against the reference (exit 1 on a difference).
demo: $(STAMP)
	@if [ -f "$(SHARED_JETS)" ]; then src="$(SHARED_JETS)"; jets="$$src --test-split"; else \
		mkdir -p out && { [ -f out/demo_jets.h5 ] || $(BIN)/salt-hls generate-jets --out out/demo_jets.h5 --per-class 200 --seed 1; } && \
		src=out/demo_jets.h5; jets=$$src; fi; \
	$(BIN)/salt-hls flow $(MODEL) $(CONVERT) --jets $$jets --out out/flow --force; rc=$$?; \
	if [ $$rc -eq 3 ]; then echo "flow complete: bit-exact, over the budget (see out/flow/summary.json)"; elif [ $$rc -ne 0 ]; then exit $$rc; fi; \
	$(BIN)/salt-hls write-words --jets $$src --out out/demo_words.h5 --max-jets 1000 --candidates $(CANDIDATES) --force && \
	$(BIN)/salt-hls ip $(MODEL) $(CONVERT) --out out/ip --candidates $(CANDIDATES) --force && \
	$(BIN)/salt-hls estimate out/ip --out out/ip/estimate.json > /dev/null && \
	$(BIN)/salt-hls export out/ip --out out/ip_export --words out/demo_words.h5 --max-jets 1000 --csim --force

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

# Re-pin after a deliberate dependency change (then commit requirements.lock).
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v '^salt' > requirements.lock

clean:
	rm -rf $(VENV) out
