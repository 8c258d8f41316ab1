# S3 -> Lambda module: build, test and demo. `make help` lists the targets.
#
# Everything this needs is installed by the targets themselves: the pinned Python tools in
# .venv, LocalStack in .venv-localstack (by emulator/ctl.py), checkov in .venv-checkov.

SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON       ?= python3
VENV         := .venv
PY           := $(CURDIR)/$(VENV)/bin/python
BUILD        := $(CURDIR)/build
ZIP          := $(BUILD)/handler.zip
EMULATOR     ?= localstack
EMULATORS    ?= localstack ministack
# Run a command with the emulator up: reuses one that answers, stops only what it started.
WITH_EMULATOR = $(PY) emulator/ctl.py run --emulator
EXAMPLES     := $(wildcard examples/*)
# End-to-end stacks applied in parallel against the one emulator (applies mostly wait).
E2E_WORKERS  ?= 4
# MiniStack is one process: with 4 stacks bursting at once it drops invocations and answers
# slowly enough for SDK retries (README, emulator differences), so it gets 2.
MINISTACK_WORKERS ?= 2

# Terraform CLI config written by this Makefile: the provider filesystem mirror when one is on
# the machine (override with TF_PROVIDER_MIRROR=/path, or TF_PROVIDER_MIRROR= for none), the
# public registry for everything else.
TF_PROVIDER_MIRROR ?= $(firstword $(foreach d,/opt/tf-plugins $(HOME)/.terraform.d/plugins /usr/local/share/terraform/plugins /usr/share/terraform/plugins,$(if $(wildcard $(d)/registry.terraform.io),$(d))))
TFRC := $(BUILD)/terraformrc
export TF_CLI_CONFIG_FILE := $(TFRC)
export TF_IN_AUTOMATION  := 1
export CHECKPOINT_DISABLE := 1

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# --- setup ------------------------------------------------------------------------------

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python >= 3.11 or set PYTHON=..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Install the pinned Python tools into .venv

.PHONY: tfrc
tfrc: $(TFRC) ## Write the Terraform CLI config (provider mirror when present)

$(TFRC): Makefile
	@mkdir -p $(BUILD)/tf-plugin-cache
	@{ \
	  echo '# Written by make; uses the provider mirror "$(TF_PROVIDER_MIRROR)" when set.'; \
	  echo 'plugin_cache_dir = "$(BUILD)/tf-plugin-cache"'; \
	  echo 'provider_installation {'; \
	  if [ -n "$(TF_PROVIDER_MIRROR)" ]; then \
	    echo '  filesystem_mirror {'; \
	    echo '    path    = "$(TF_PROVIDER_MIRROR)"'; \
	    echo '    include = ["registry.terraform.io/*/*"]'; \
	    echo '  }'; \
	    echo '  direct {'; \
	    echo '    exclude = ["registry.terraform.io/*/*"]'; \
	    echo '  }'; \
	  else \
	    echo '  direct {}'; \
	  fi; \
	  echo '}'; \
	} > $@
	@echo "wrote $@ (mirror: $(or $(TF_PROVIDER_MIRROR),none, public registry))"

# --- build --------------------------------------------------------------------------------

.PHONY: package
package: $(VENV)/.installed ## Build build/handler.zip: the handler alone, through `s3-lambda-trigger package`
	$(VENV)/bin/s3-lambda-trigger package --output $(ZIP)

# --- checks -------------------------------------------------------------------------------

.PHONY: lint
lint: $(VENV)/.installed $(TFRC) package ## ruff, mypy --strict, terraform fmt/validate
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy handler s3_lambda_trigger tools emulator/ctl.py bench
	terraform fmt -check -recursive -diff
	terraform init -backend=false -input=false >/dev/null && terraform validate -no-color
	@for d in $(EXAMPLES); do \
	  echo "validate $$d"; \
	  terraform -chdir=$$d init -backend=false -input=false >/dev/null && terraform -chdir=$$d validate -no-color; \
	done

.PHONY: tftest
tftest: $(TFRC) package ## terraform test: plan-time validations and policies (mock provider)
	terraform init -backend=false -input=false >/dev/null
	terraform test -no-color

.venv-checkov/.installed:
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --disable-pip-version-check checkov==3.3.30
	@touch $@

.PHONY: checkov
checkov: .venv-checkov/.installed ## checkov over the module (skips justified in .checkov.yaml)
	.venv-checkov/bin/checkov --quiet --compact -d . --framework terraform --config-file .checkov.yaml

.PHONY: unit
unit: $(VENV)/.installed $(TFRC) package ## Unit tests (handler against recorded events, packaging, plan messages, the example's processor)
	$(PY) -m pytest tests/unit tests/terraform examples/thumbnails/tests

.PHONY: integration
integration: $(VENV)/.installed $(TFRC) package ## End-to-end tests on each of EMULATORS (LocalStack, MiniStack), E2E_WORKERS (MiniStack: MINISTACK_WORKERS) stacks at a time: real terraform apply/destroy
	@for e in $(EMULATORS); do \
	  echo "=== end-to-end tests on $$e"; \
	  n=$(E2E_WORKERS); [ $$e = ministack ] && n=$(MINISTACK_WORKERS); \
	  $(WITH_EMULATOR) $$e -- $(PY) -m pytest -m integration -n $$n --dist loadgroup tests/integration || exit 1; \
	done

.PHONY: test
test: lint tftest checkov unit integration ## Everything CI runs: static checks, unit, terraform test, e2e

# --- run ----------------------------------------------------------------------------------

.PHONY: demo
demo: $(VENV)/.installed $(TFRC) package ## Apply examples/basic on the embedded emulator, upload, show the handler's log line
	$(WITH_EMULATOR) $(EMULATOR) -- $(PY) tools/demo.py

.PHONY: bench
bench: $(VENV)/.installed $(TFRC) package ## Benchmarks: cold start, parse, zip size, e2e and deploy time on the emulator, summary
	$(PY) bench/cold_start.py
	$(PY) bench/parse.py
	$(PY) bench/zip_size.py
	$(PY) bench/package.py
	$(WITH_EMULATOR) $(EMULATOR) -- $(SHELL) -c '$(PY) bench/e2e.py --burst 1000 && $(PY) bench/deploy.py && $(PY) bench/backfill.py'
	$(PY) bench/summary.py

.PHONY: emulator-start emulator-stop
emulator-start: ## Start the emulator (reuses one already answering at AWS_ENDPOINT_URL)
	$(PYTHON) emulator/ctl.py start --emulator $(EMULATOR)
emulator-stop: ## Stop the emulator if this project started it
	$(PYTHON) emulator/ctl.py stop --emulator $(EMULATOR)

.PHONY: clean
clean: ## Remove build output and Terraform working files (keeps the venvs)
	rm -rf $(BUILD) .terraform examples/*/.terraform examples/*/terraform.tfstate* examples/*/*_override.tf examples/*/build
