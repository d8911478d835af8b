# Backend Dojo: `make run` starts the app, `make test` runs every test suite.
# Both install what is missing first (scripts/setup.sh).

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/backend-dojo/target
export TOOLS_DIR ?= $(HOME)/.cache/backend-dojo/tools
export DOJO_BIN := $(CARGO_TARGET_DIR)/debug/dojo
export DOJO_DESKTOP_BIN := $(CARGO_TARGET_DIR)/debug/backend-dojo
export TAURI_DRIVER := $(TOOLS_DIR)/bin/tauri-driver

.PHONY: run test setup ui build lint dist test-rust test-ui test-desktop test-postman test-realtime test-fuzz

run: build
	@scripts/run.sh

test: build lint test-rust test-ui test-postman test-realtime test-fuzz test-desktop

setup:
	@scripts/setup.sh

ui: setup
	cd ui && npm run --silent build

build: ui
	cargo build --workspace

# Formatting and every clippy warning are errors.
lint: build
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(TOOLS_DIR)/bin/cargo-deny deny --offline check licenses bans sources

test-rust: build
	cargo test --workspace

# The README shows screenshots these tests take, so they stay current.
README_SHOTS := dashboard topic-17-console traffic review mentor export settings-sandbox-dark mailbox-topic-4 upload-topic-21 socket-panel-topic-24

test-ui: build
	cd ui && npm run --silent check
	cd tests/web && node --test --test-reporter=spec
	cp $(README_SHOTS:%=tests/web/artifacts/%.png) docs/screenshots/

# The exported Postman collection, run by newman against a fresh sandbox.
test-postman: build
	cd tests/postman && node --test --test-reporter=spec

# Socket.IO (topics 24, 25) with the real socket.io-client, against a fresh sandbox.
test-realtime: build
	cd tests/realtime && node --test --test-reporter=spec

# Schemathesis against a fresh sandbox, from its own OpenAPI document.
test-fuzz: build
	tests/fuzz/openapi-fuzz.sh
	tests/fuzz/parser-fuzz.sh

test-desktop: build
	cd tests/desktop && node --test --test-reporter=spec
	cp tests/desktop/artifacts/desktop-topic-17.png docs/screenshots/

# A release .deb of the desktop app (icon, desktop entry, dojo:// links); not part of `test`.
dist: ui
	scripts/dist.sh
