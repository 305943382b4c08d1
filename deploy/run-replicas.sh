#!/usr/bin/env bash
# Run the classroom as N replicas behind nginx on one machine (or as the model for several machines).
#
#   deploy/run-replicas.sh [REPLICAS] [PORT]
#
# REPLICAS (default 2) Streamlit servers listen on 127.0.0.1:PORT+1 .. PORT+REPLICAS; nginx listens on
# ${LISTEN_ADDRESS:-0.0.0.0}:PORT (default 8500) and sends each browser to one of them (deploy/nginx.conf.template).
# All share the run folder S2S_STATE_DIR (default /var/lib/seq2seq-classroom/runs; on several machines, a shared
# file system) and one cookie secret, so a student whose replica stops comes back on another with the run.
# Stops everything on Ctrl-C or SIGTERM. Needs nginx (apt-get install nginx) and the app's requirements.
set -euo pipefail
cd "$(dirname "$0")/.."

replicas="${1:-2}"
port="${2:-8500}"
if ! [[ "$replicas" =~ ^[1-9][0-9]*$ && "$port" =~ ^[1-9][0-9]*$ ]] || (( port + replicas > 65535 )); then
  echo "usage: deploy/run-replicas.sh [REPLICAS >= 1] [PORT], with PORT + REPLICAS <= 65535" >&2
  exit 2
fi
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx)" >&2; exit 1; }
export S2S_STATE_DIR="${S2S_STATE_DIR:-/var/lib/seq2seq-classroom/runs}"
mkdir -p "$S2S_STATE_DIR"
run="${RUN_DIR:-$(mktemp -d -t seq2seq-classroom.XXXXXX)}"
mkdir -p "$run"
# one secret for all replicas: a page's upload token (XSRF cookie) stays valid on whichever replica it reaches
export STREAMLIT_SERVER_COOKIE_SECRET="${STREAMLIT_SERVER_COOKIE_SECRET:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"

stop() {
  trap - EXIT INT TERM
  kill 0 2>/dev/null || true  # every process of this script's group: nginx, the replicas and their loops
}
trap stop EXIT INT TERM

# A replica that ends (a crash, the OOM killer) is started again after RESTART_DELAY seconds; meanwhile nginx
# sends its students to the others, where they resume their runs.
replica() {
  local p="$1"
  while :; do
    python3 -m streamlit run app.py --server.port "$p" --server.address 127.0.0.1 >>"$run/replica-$p.log" 2>&1 &
    echo "$!" >"$run/replica-$p.pid"
    wait "$!" || echo "replica on port $p ended ($?); starting it again in ${RESTART_DELAY:-5} s" >&2
    sleep "${RESTART_DELAY:-5}"
  done
}

servers=""
for ((k = 1; k <= replicas; k++)); do
  p=$((port + k))
  replica "$p" &
  servers+="        server 127.0.0.1:$p max_fails=1 fail_timeout=10s;"$'\n'
done
sed -e "s|@RUN@|$run|g" -e "s|@LISTEN@|${LISTEN_ADDRESS:-0.0.0.0}:$port|g" deploy/nginx.conf.template \
  | awk -v servers="$servers" '{ if ($0 == "@SERVERS@") printf "%s", servers; else print }' >"$run/nginx.conf"
nginx -t -q -c "$run/nginx.conf" -p "$run"
echo "classroom: http://${LISTEN_ADDRESS:-0.0.0.0}:$port ($replicas replicas; logs and pids in $run; runs in $S2S_STATE_DIR)"
nginx -c "$run/nginx.conf" -p "$run" -g "daemon off;"
