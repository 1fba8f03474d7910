#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, trust auth for user postgres), Redis (127.0.0.1:6379) and
# RabbitMQ (127.0.0.1:5672, guest/guest) answer, installing them from Debian's packages and
# starting them when they do not. The chaos and broker-restart tests also start private servers
# of their own from the same packages (postgres, redis-server, rabbitmq-server binaries).
set -euo pipefail

log() { echo "ensure_services: $*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  log "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
rabbitmq_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

wait_until() {
  for _ in $(seq 1 60); do "$1" && return 0; sleep 0.5; done
  log "$2 did not come up"; return 1
}

ensure_postgres() {
  postgres_up && return 0
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql
    local hba
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n 1)
    # The suite connects as postgres over TCP without a password, as on the project's machines.
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  log "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  wait_until postgres_up PostgreSQL
}

ensure_redis() {
  redis_up && return 0
  command -v redis-server >/dev/null || apt_install redis-server redis-tools
  log "starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_until redis_up Redis
}

ensure_rabbitmq() {
  rabbitmq_up && return 0
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  log "starting RabbitMQ"
  as_root rabbitmq-server -detached
  for _ in $(seq 1 120); do rabbitmq_up && return 0; sleep 0.5; done
  log "RabbitMQ did not come up"; return 1
}

command -v pg_isready >/dev/null || apt_install postgresql-client
command -v redis-cli >/dev/null || apt_install redis-tools
ensure_postgres
ensure_redis
ensure_rabbitmq
# The private servers of the restart tests need the server binaries even when the shared
# services run elsewhere.
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || apt_install postgresql
command -v redis-server >/dev/null || apt_install redis-server
log "PostgreSQL, Redis and RabbitMQ are up"
