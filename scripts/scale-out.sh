#!/usr/bin/env bash
# The PostgreSQL topology the scale-out tests run against, made on this
# machine (Debian's PostgreSQL 15, as root). Each command is idempotent and
# fails loudly when it cannot do its job: the tests must run, never skip.
#
#   scripts/scale-out.sh replica         a streaming replica of the main cluster
#                                        on 127.0.0.1:5433 (reused when it runs)
#   scripts/scale-out.sh pgbouncer       PgBouncer on 127.0.0.1:6432 in
#                                        transaction pooling mode, in front of
#                                        the main cluster (installed if missing)
#   scripts/scale-out.sh pair NAME PORT sync|async
#                                        a throwaway primary on PORT and its
#                                        standby on PORT+1 (synchronous or not),
#                                        for failover tests (made afresh)
#   scripts/scale-out.sh drop-pair NAME  removes that pair
#
# The main cluster is never stopped, promoted or reconfigured beyond one
# `host replication` trust line in its pg_hba.conf (a reload, no restart).
set -euo pipefail

version=15
main_conf=/etc/postgresql/$version/main
replication_line="host replication all 127.0.0.1/32 trust"

as_postgres() { su postgres -s /bin/bash -c "$*"; }
sql() { psql -h 127.0.0.1 -p "$1" -U postgres -XAtqc "$2"; }

wait_ready() { # port, what
  for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p "$1" -q && return 0; sleep 0.5; done
  echo "$2 on port $1 did not come up" >&2
  exit 1
}

# A standby of the cluster on `source_port`, as cluster `name` on `port`.
make_standby() { # name, port, source_port
  local name=$1 port=$2 source=$3
  pg_dropcluster --stop "$version" "$name" 2>/dev/null || true
  pg_createcluster "$version" "$name" --port "$port" >/dev/null
  local data=/var/lib/postgresql/$version/$name
  rm -rf "$data"
  mkdir -p "$data"
  chown postgres:postgres "$data"
  chmod 700 "$data"
  as_postgres "pg_basebackup -h 127.0.0.1 -p $source -U postgres -D $data -R -X stream -c fast"
  # Name the standby, so a primary's synchronous_standby_names can pick it.
  echo "primary_conninfo = 'host=127.0.0.1 port=$source user=postgres application_name=$name'" \
    >>"$data/postgresql.auto.conf"
  trust_local "$name"
  pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start
  wait_ready "$port" "standby $name"
}

trust_local() { # cluster
  local hba=/etc/postgresql/$version/$1/pg_hba.conf
  sed -i 's/scram-sha-256$/trust/; s/md5$/trust/; s/peer$/trust/' "$hba"
  grep -qx "$replication_line" "$hba" || echo "$replication_line" >>"$hba"
  grep -qx "host all all 127.0.0.1/32 trust" "$hba" || echo "host all all 127.0.0.1/32 trust" >>"$hba"
}

replica() {
  if pg_isready -h 127.0.0.1 -p 5433 -q && [ "$(sql 5433 'SELECT pg_is_in_recovery()')" = t ]; then
    # Reused; a replay a failed test paused is resumed.
    sql 5433 "SELECT pg_wal_replay_resume()" >/dev/null
    echo "replica: streaming on 5433 (reused)"
    return
  fi
  if ! grep -qx "$replication_line" "$main_conf/pg_hba.conf"; then
    echo "$replication_line" >>"$main_conf/pg_hba.conf"
    sql 5432 "SELECT pg_reload_conf()" >/dev/null
  fi
  make_standby replica 5433 5432
  for _ in $(seq 1 60); do
    [ "$(sql 5432 "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'replica' AND state = 'streaming'")" = 1 ] && break
    sleep 0.5
  done
  [ "$(sql 5433 'SELECT pg_is_in_recovery()')" = t ] || { echo "5433 is not a replica" >&2; exit 1; }
  echo "replica: streaming on 5433 (made)"
}

pgbouncer_dir=/var/lib/authstore-pgbouncer

start_pgbouncer() {
  if ! command -v pgbouncer >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q pgbouncer || { apt-get update -q && apt-get install -y -q pgbouncer; }
  fi
  if psql -h 127.0.0.1 -p 6432 -U postgres -XAtqc "SELECT 1" postgres >/dev/null 2>&1; then
    if psql -h 127.0.0.1 -p 6432 -U postgres -XAtqc "SHOW CONFIG" pgbouncer 2>/dev/null |
      grep -q '^server_reset_query_always|1|'; then
      echo "pgbouncer: on 6432 (reused)"
      return
    fi
    echo "a PgBouncer on 6432 lacks server_reset_query_always = 1; restarting ours" >&2
    [ -f "$pgbouncer_dir/pgbouncer.pid" ] && kill "$(cat "$pgbouncer_dir/pgbouncer.pid")" 2>/dev/null || true
    sleep 1
  fi
  mkdir -p "$pgbouncer_dir"
  cat >"$pgbouncer_dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6432
unix_socket_dir =
auth_type = trust
auth_file = $pgbouncer_dir/userlist.txt
pool_mode = transaction
; What SeaORM's prepared statements need in transaction pooling mode before
; PgBouncer 1.21 (see service/src/pooler.rs): no statement outlives its
; transaction on a server connection.
server_reset_query = DEALLOCATE ALL
server_reset_query_always = 1
admin_users = postgres
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
logfile = $pgbouncer_dir/pgbouncer.log
pidfile = $pgbouncer_dir/pgbouncer.pid
EOF
  echo '"postgres" ""' >"$pgbouncer_dir/userlist.txt"
  chown -R postgres:postgres "$pgbouncer_dir"
  as_postgres "pgbouncer -d $pgbouncer_dir/pgbouncer.ini"
  for _ in $(seq 1 30); do
    psql -h 127.0.0.1 -p 6432 -U postgres -XAtqc "SELECT 1" postgres >/dev/null 2>&1 && break
    sleep 0.5
  done
  psql -h 127.0.0.1 -p 6432 -U postgres -XAtqc "SELECT 1" postgres >/dev/null ||
    { echo "pgbouncer did not come up on 6432" >&2; cat "$pgbouncer_dir/pgbouncer.log" >&2; exit 1; }
  echo "pgbouncer $(pgbouncer --version | head -1): transaction pooling on 6432"
}

pair() { # name, port, sync|async
  local name=$1 port=$2 mode=$3
  local sync_names=""
  [ "$mode" = sync ] && sync_names="${name}_standby"
  local primary=${name}_primary standby=${name}_standby
  pg_dropcluster --stop "$version" "$primary" 2>/dev/null || true
  pg_dropcluster --stop "$version" "$standby" 2>/dev/null || true
  pg_createcluster "$version" "$primary" --port "$port" >/dev/null
  trust_local "$primary"
  cat >>"/etc/postgresql/$version/$primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
synchronous_standby_names = '$sync_names'
wal_level = replica
EOF
  pg_ctlcluster --skip-systemctl-redirect "$version" "$primary" start
  wait_ready "$port" "primary $primary"
  make_standby "$standby" "$((port + 1))" "$port"
  local expected=async
  [ "$mode" = sync ] && expected=sync
  for _ in $(seq 1 60); do
    [ "$(sql "$port" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = '$expected' AND state = 'streaming'")" = 1 ] && break
    sleep 0.5
  done
  [ "$(sql "$port" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = '$expected' AND state = 'streaming'")" = 1 ] ||
    { echo "pair $name: the standby is not streaming ($expected)" >&2; exit 1; }
  echo "pair $name: primary on $port, $expected standby on $((port + 1))"
}

drop_pair() { # name
  pg_dropcluster --stop "$version" "${1}_primary" 2>/dev/null || true
  pg_dropcluster --stop "$version" "${1}_standby" 2>/dev/null || true
}

case "${1:-}" in
  replica) replica ;;
  pgbouncer) start_pgbouncer ;;
  pair) pair "$2" "$3" "${4:-sync}" ;;
  drop-pair) drop_pair "$2" ;;
  *) echo "usage: $0 replica | pgbouncer | pair NAME PORT sync|async | drop-pair NAME" >&2; exit 2 ;;
esac
