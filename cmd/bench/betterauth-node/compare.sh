#!/usr/bin/env bash
# compare.sh measures the Better Auth scenarios of cmd/bench on gatehouse and on the real Better
# Auth (this folder's Node server), back to back, on one PostgreSQL cluster started for the run
# (durable settings: fsync and synchronous commit on), each with its rate limiters off. Run from
# anywhere in the repository (make bench-node does):
#
#   cmd/bench/betterauth-node/compare.sh [extra cmd/bench flags, e.g. -duration 5s]
#
# It prints one cmd/bench table per server, and each server's peak RSS (VmHWM; PostgreSQL not
# counted). gatehouse runs twice: with its default argon2id hashes and with Better Auth's scrypt
# format (BETTERAUTH_PASSWORD_HASH=scrypt), which is the work the Node server does on sign-in.
set -euo pipefail

root=$(git rev-parse --show-toplevel)
cd "$root"
scenarios="/api/auth/"
work=$(mktemp -d /tmp/gatehouse-ba-compare.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	[ -d "$work/pg" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: run it as the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgbin=$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url pid
	for _ in $(seq 300); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || { echo "compare: the server exited" >&2; return 1; }
		sleep 0.1
	done
	echo "compare: $1 not ready" >&2
	return 1
}
peak_rss() { awk '/VmHWM/ {printf "%.1f MiB\n", $2/1024}' "/proc/$1/status"; }
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

pgport=$(free_port)
mkdir -m 700 "$work/pg" && [ "$(id -u)" != 0 ] || chown postgres: "$work/pg" "$work"
as_pg "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
	-o "-c listen_addresses=127.0.0.1 -c port=$pgport -c unix_socket_directories=$work -c max_connections=200" start >/dev/null
for db in gatehouse_argon2id gatehouse_scrypt betterauth_node; do
	as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres "$db"
done
dburl() { echo "postgres://postgres@127.0.0.1:$pgport/$1?sslmode=disable"; }

go build -o bin/server ./cmd/server
[ -d cmd/bench/betterauth-node/node_modules ] || npm ci --prefix cmd/bench/betterauth-node --no-audit --no-fund

for hash in argon2id scrypt; do
	port=$(free_port)
	DATABASE_URL=$(dburl "gatehouse_$hash") ADDR=127.0.0.1:$port ENV=development LOG_LEVEL=warn \
		SECRET=compare-secret-compare-secret-compare-secret DATA_DIR="$work/data-$hash" \
		MAIL_TRANSPORT=file:"$work/mail.jsonl" BETTERAUTH_RATE_LIMIT=off BETTERAUTH_API_KEY_RATE_LIMIT=off \
		BETTERAUTH_PASSWORD_HASH=$hash \
		bin/server serve >"$work/gatehouse-$hash.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	wait_http "http://127.0.0.1:$port/readyz" "$pid"
	echo "== gatehouse (BETTERAUTH_PASSWORD_HASH=$hash)"
	go run ./cmd/bench -url "http://127.0.0.1:$port" -scenarios "$scenarios" "$@"
	echo "gatehouse peak RSS: $(peak_rss "$pid")"
	stop "$pid"
done

port=$(free_port)
PORT=$port DATABASE_URL=$(dburl betterauth_node) RATE_LIMIT=off MAIL_FILE="$work/node-mail.jsonl" \
	BETTER_AUTH_SECRET=compare-secret-compare-secret-compare-secret NODE_ENV=production \
	node cmd/bench/betterauth-node/server.mjs >"$work/node.log" 2>&1 &
pid=$!
pids+=("$pid")
wait_http "http://127.0.0.1:$port/api/auth/ok" "$pid"
echo "== Better Auth $(node -p 'require("./cmd/bench/betterauth-node/node_modules/better-auth/package.json").version') on Node $(node --version)"
go run ./cmd/bench -url "http://127.0.0.1:$port" -scenarios "$scenarios" "$@"
echo "Node peak RSS: $(peak_rss "$pid")"
stop "$pid"
