#!/usr/bin/env bash
# The sandbox's region failure done by hand with psql, dig, nsupdate and curl: the baseline that
# scripts/bench times `lifeboat run plans/sandbox.yaml -s region-failure --drill --yes` against.
# Same steps, same order, same checks as runbooks/sandbox-region-failure.yaml, no bookkeeping.
# Needs a fresh sandbox (scripts/sandbox up).
set -euo pipefail
S=${LIFEBOAT_SANDBOX_DIR:-/tmp/lifeboat-sandbox}
repo=$(cd "$(dirname "$0")/.." && pwd)
sql() { psql -X -At -v ON_ERROR_STOP=1 -h "$1" -p 15432 -U postgres -d app -c "$2"; }
resolve() { dig +short +time=1 +tries=3 -p 15353 @127.0.0.1 db.sandbox.lifeboat.test A; }

# check-replica, check-dns
[ "$(sql 127.0.0.3 'SELECT pg_is_in_recovery()')" = t ] || { echo "replica not in recovery" >&2; exit 1; }
[ "$(resolve)" = 127.0.0.2 ] || { echo "unexpected DNS answer" >&2; exit 1; }
# promote: lag gate, fence, pg_promote, write check
lag=$(sql 127.0.0.2 "SELECT COALESCE(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0) FROM pg_stat_replication")
[ "${lag%.*}" -le 5000000 ] || { echo "lag $lag over the bound" >&2; exit 1; }
"$repo/scripts/sandbox" fence-primary >/dev/null
[ "$(sql 127.0.0.3 'SELECT pg_promote(true, 60)')" = t ] || { echo "pg_promote failed" >&2; exit 1; }
sql 127.0.0.3 "INSERT INTO lifeboat_write_probe DEFAULT VALUES" >/dev/null
sql 127.0.0.3 "DELETE FROM lifeboat_write_probe" >/dev/null
# switch-dns (signed update), then confirm by query
nsupdate -k "$S/dns/key.conf" <<UPDATE
server 127.0.0.1 15353
zone sandbox.lifeboat.test
update delete db.sandbox.lifeboat.test A
update add db.sandbox.lifeboat.test 5 A 127.0.0.3
send
UPDATE
until [ "$(resolve)" = 127.0.0.3 ]; do sleep 0.1; done
# smoke-service, smoke-database
until curl -fsS --max-time 3 http://127.0.0.1:18080/health/ready 2>/dev/null | grep -q '"address":"127.0.0.3"'; do sleep 0.3; done
[ "$(sql 127.0.0.3 "SELECT count(*) > 0 FROM health_probe WHERE at > now() - interval '1 minute' AND NOT pg_is_in_recovery()")" = t ] \
  || { echo "no writes on the new primary" >&2; exit 1; }
# rejoin-old-primary (drill cleanup)
"$repo/scripts/sandbox" rejoin-old-primary >/dev/null
