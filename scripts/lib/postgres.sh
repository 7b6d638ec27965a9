# Sourced by scripts/test and bench/heartbeats: makes sure a PostgreSQL server is there, installing Debian's
# package when it is missing and starting a throwaway cluster on a local port, and exports its connection
# string as FERRY_TEST_POSTGRES. The cluster stops when the calling script exits.
# Usage: start_postgres WORKDIR PORT
start_postgres() {
  local work=$1 port=$2
  find_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
  pg_bin=$(find_pg_bin || true)
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "== installing PostgreSQL from Debian's packages"
    if [ "$(id -u)" -ne 0 ]; then echo "PostgreSQL is missing and installing it needs root (apt-get install postgresql)." >&2; return 1; fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    pg_bin=$(find_pg_bin)
  fi
  pg_dir="$work/pg"
  pg_run_as=()
  if [ "$(id -u)" -eq 0 ]; then pg_run_as=(runuser -u postgres --); fi
  stop_postgres
  rm -rf "$pg_dir" && mkdir -p "$pg_dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg_dir"; fi
  "${pg_run_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust >/dev/null
  # The superuser the tests set up with needs no password; every other user must give one over TCP, so tests can
  # prove that a wrong password is told apart from a right one.
  printf '%s\n' "local all all trust" "host all postgres 127.0.0.1/32 trust" "host all all 127.0.0.1/32 scram-sha-256" \
    "host all all ::1/128 scram-sha-256" > "$pg_dir/data/pg_hba.conf"
  "${pg_run_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  trap stop_postgres EXIT
  export FERRY_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true"
  echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

stop_postgres() {
  if [ -n "${pg_dir:-}" ] && [ -d "$pg_dir/data" ]; then
    "${pg_run_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  fi
}
