# Every tool comes from go.mod / cmd/tools/*.mod (run with `go tool`, built on first use) or,
# for PostgreSQL's server binaries, from Debian's packages when they are missing.
SHELL := /bin/bash
GO    ?= go
APIS  := emailcode betterauth custodian
# sqlc runs from its own modfile so its many modules stay out of the server's go.mod. It is
# built without cgo: the pure-Go parser gives the same output and builds in half the time.
SQLC  := CGO_ENABLED=0 $(GO) tool -modfile=cmd/tools/sqlc.mod sqlc
OAPI  := $(GO) tool oapi-codegen
# Redocly CLI, pinned in openapi/package-lock.json; no telemetry, no update check.
REDOCLY := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_NOTIFICATIONS=true openapi/node_modules/.bin/redocly

.DEFAULT_GOAL := help
.PHONY: help build run generate verify lint-spec test postgres bench bench-node clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## Build bin/server
	$(GO) build -o bin/server ./cmd/server

run: build postgres ## Build and serve on the embedded PostgreSQL (DATA_DIR, default ./.data)
	./bin/server serve

generate: ## Regenerate gen/ from openapi/*.yaml and queries/*.sql
	@for a in $(APIS); do \
		mkdir -p gen/$${a}api && \
		$(OAPI) -config oapi-codegen.yaml -package $${a}api -o gen/$${a}api/$${a}api.gen.go openapi/$$a.yaml || exit 1; \
	done
	$(SQLC) generate

verify: generate lint-spec ## Fail when gen/ is stale, a spec or query is invalid, or code is unformatted
	$(SQLC) vet
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd db handlers)" || { echo "gofmt needed:"; gofmt -l cmd db handlers; exit 1; }
	@git diff --exit-code --stat -- gen/ || { echo "gen/ is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- gen/)" || { echo "gen/ has files not committed:"; git status --porcelain -- gen/; exit 1; }

lint-spec: openapi/node_modules/.package-lock.json ## Validate every spec with kin-openapi and lint it
	$(GO) run ./cmd/speccheck openapi/*.yaml
	$(REDOCLY) lint --config openapi/.redocly.yaml --format stylish openapi/*.yaml

# The pinned spec linter, reinstalled when openapi/package*.json change; npm from Debian if missing.
openapi/node_modules/.package-lock.json: openapi/package.json openapi/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	npm ci --prefix openapi --no-audit --no-fund

# The real better-auth client the compatibility suite drives (handlers/betterauth/compat).
handlers/betterauth/compat/node_modules/.package-lock.json: handlers/betterauth/compat/package.json handlers/betterauth/compat/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	npm ci --prefix handlers/betterauth/compat --no-audit --no-fund

test: postgres handlers/betterauth/compat/node_modules/.package-lock.json ## Run every test with -race against a real PostgreSQL (embedded, or DATABASE_URL)
	@mkdir -p bin && rm -f bin/conformance.txt
	CONFORMANCE_REPORT=$(CURDIR)/bin/conformance.txt $(GO) test -race -count=1 ./...
	@sort bin/conformance.txt

postgres: ## Install PostgreSQL's server binaries (Debian) when they are missing
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing PostgreSQL from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql; \
	fi

bench: build postgres ## Load-test a freshly built server on its embedded database
	$(GO) run ./cmd/bench -server bin/server

# The real Better Auth server (Node) measured beside ours by bench-node.
cmd/bench/betterauth-node/node_modules/.package-lock.json: cmd/bench/betterauth-node/package.json cmd/bench/betterauth-node/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	npm ci --prefix cmd/bench/betterauth-node --no-audit --no-fund

bench-node: build postgres cmd/bench/betterauth-node/node_modules/.package-lock.json ## Better Auth scenarios on this server and on Node Better Auth, one PostgreSQL, back to back
	cmd/bench/betterauth-node/compare.sh

clean: ## Remove build output
	rm -rf bin
