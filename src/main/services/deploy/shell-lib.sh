# The shared library of the deploy-side scripts (POSIX sh: dash and busybox ash). Each script includes it with a
# `# @include shell-lib.sh` line, replaced by this text when the module is imported (shell-lib.ts), so what is sent
# stays one constant script; values come in OP_* variables, never in the text.

# Checked writes.
# put <file> <text>: text + newline into file through cat, which reports write errors (a full disk); on failure it
#   returns 1 with $WERR = "<reason> on <server>:<path as on the server>", e.g. "No space left on device on
#   web1:/var/lib/openpanel/jobs/d1/state.tmp". Never a pipeline stage: $WERR must reach the caller's shell.
# copy_to <src> <dst>: the same for a copy.
# wmsg <path> <error text>: that message (the reason is the last ": " part of the tool's last error line).
# host_path <path>: a builder path as it is on the server (/openpanel is the data dir, $OP_DATA_DIR).
# $WFAILED is set once a write failed.
WFAILED=
host_path() {
  case "$1" in
    /openpanel|/openpanel/*) printf '%s%s\n' "$OP_DATA_DIR" "$(printf '%s' "$1" | sed 's,^/openpanel,,')";;
    /tmp/*) printf '%s (in the builder)\n' "$1";;
    *) printf '%s\n' "$1";;
  esac
}
wmsg() {
  r=$(printf '%s\n' "$2" | grep -v '^$' | tail -n 1 | sed 's/.*: //' | tr -d '"\\')
  [ -n "$r" ] || r="write failed"
  printf '%s on %s:%s\n' "$r" "$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)" "$(host_path "$1")"
}
put() { werr=$( { printf '%s\n' "$2" | cat > "$1"; } 2>&1 ) && return 0; WERR=$(wmsg "$1" "$werr"); WFAILED=1; return 1; }
copy_to() { werr=$( { cat "$1" > "$2"; } 2>&1 ) && return 0; WERR=$(wmsg "$2" "$werr"); WFAILED=1; return 1; }

# caddy_reload: the Caddy proxy ($OP_PROXY_CONTAINER) loads its Caddyfile again. The one place this command is
# written; each caller decides what its exit status means (proxy/caddy.ts has the same argv for the app's own exec).
caddy_reload() { docker exec "$OP_PROXY_CONTAINER" caddy reload --config /etc/openpanel/Caddyfile --adapter caddyfile; }

# The deploy jobs (job.sh, compose-job.sh). Each defines fail (its own clean-up, then failed_because and
# record_failure); these use it and $J (the job dir), $STEP and $PROGRESS.
# step <name> <progress> <message>: a new step, recorded as running (a failed write fails the job).
# record_failure: the failed state with $FMSG, then exit 1 (75 when not even that can be written).
# succeed <message>: the last lines and the succeeded state (75 when it cannot be written).
# open_job: makes $J, its log and its reserve (64 KiB kept so that a failure on a full disk can still write its
#   last lines and state), then sends all output to the log. If not even that can be written, the reason goes to
#   the builder's own stderr and the job exits with 75: the app reads both (see jobs/tracker.ts).
# record <status> <step> <progress> <error>: state.json written atomically and checked (1 + $WERR on failure).
# failed_because <message>: see below; fail uses it first.
# now: seconds since the epoch. ms: milliseconds (falls back to seconds x 1000 where date has no %N).
# probe <ip> <port> <path> [host]: an HTTP GET answered 2xx/3xx within 3 s, with curl, bash, nc or wget.
# health_once <container>: one look at a new container: 0 = it answers (running, Docker's own HEALTHCHECK healthy
#   if it has one, and the HTTP probe on $OP_NETWORK passes); 1 = not yet; 2 = not running (its state in $HSTATE).
# caddy_site <upstream>: writes the app's Caddy site ($OP_SITE with __UPSTREAM__ replaced) and reloads Caddy; the
#   previous file is kept as a hard link (no space needed) and comes back if Caddy refuses the new one.
# caddy_back: puts the previous site file back and reloads (the switch could not be confirmed).
# confirm_route <upstream>: the switch is confirmed by a request through the proxy ($OP_PROXY_PORT on this server,
#   Host $OP_CHECK_HOST, the health path) and, with Caddy, by the site file on disk naming the new upstream.
# wait_healthy <stopped message> <timeout message> [find]: probes $HC (health_once) until it answers, for up to
#   $OP_HEALTH_TIMEOUT s; a stopped container or the timeout prints its last 50 log lines and fails with the job's
#   own message (the stopped one followed by its state). [find]: a function run before each probe that sets $HC
#   (it may fail the job itself).
# switch_route <upstream> <message> [drop]: sends the app's traffic to <upstream>. Caddy with a site: caddy_site,
#   then confirm_route, else the previous site comes back and the job fails with <message>. Caddy without a site
#   and "drop": the app has no domains now, its site file goes. Traefik: $OP_SWITCH_DELAY s for its provider to see
#   the new container, then confirm_route.
# deploy_metric <1|0> [reason]: the result for Watch, $OP_METRICS_DIR/deploy-$OP_APP_ID.prom (node-exporter's
#   textfile collector reads it): success, end time, duration since open_job and, after a failure, the reason as the
#   app shows it (at most 200 bytes). Written to a .tmp file, then mv, before the final state (whoever sees the job
#   ended finds its metric written). Never fails the job: a builder started without
#   the volume (a push-to-deploy spec written by an earlier version) only says so in the log.
# prom_label <value>: the value escaped for a label of the Prometheus text format (\ then " then newline).
# alias_base_images: for every from=to line of $OP_BASE_IMAGES (image overrides of FROM images), gets `to` (local
#   or pulled) and tags it as `from`, so a Dockerfile's FROM resolves without a registry.
open_job() {
  exec 3>&2
  oerr=$( { mkdir -p "$J" && chmod 755 "$J" && : >> "$J/log" && head -c 65536 /dev/zero > "$J/reserve"; } 2>&1 ) || {
    rm -f "$J/reserve"; echo "!! the job cannot write its files: $(wmsg "$J" "$oerr")" >&3; exit 75; }
  exec >> "$J/log" 2>&1
  JOB_T0=$(ms)
}
now() { date +%s; }
ms() { t=$(date +%s%N); case "$t" in *N) echo $(( $(date +%s) * 1000 ));; *) echo $(( t / 1000000 ));; esac; }
probe() {
  url="http://$1:$2$3"; h=$1; [ "$#" -ge 4 ] && h=$4
  if command -v curl >/dev/null 2>&1; then
    code=$(curl -s -o /dev/null -m 3 -H "Host: $h" -w '%{http_code}' "$url") || return 1
    case "$code" in 2*|3*) return 0;; esac; return 1
  elif command -v bash >/dev/null 2>&1; then
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" "$3" >&3; read -r v c rest <&3; case "$c" in 2*|3*) exit 0;; esac; exit 1' "$1" "$2" "$3" "$h" 2>/dev/null
  elif command -v nc >/dev/null 2>&1; then
    # before wget: busybox wget follows a redirect (a TLS host's) instead of reporting it
    code=$(printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$3" "$h" | timeout 3 nc -w 3 "$1" "$2" 2>/dev/null | head -n 1 | cut -d ' ' -f 2)
    case "$code" in 2*|3*) return 0;; esac; return 1
  elif command -v wget >/dev/null 2>&1; then wget -q -T 3 --header "Host: $h" -O /dev/null "$url"
  else return 1; fi
}
health_once() {
  HSTATE=$(docker inspect -f '{{.State.Status}}' "$1" 2>/dev/null)
  [ "$HSTATE" = running ] || return 2
  hs=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null)
  ip=$(docker inspect -f "{{with index .NetworkSettings.Networks \"$OP_NETWORK\"}}{{.IPAddress}}{{end}}" "$1" 2>/dev/null)
  [ -n "$ip" ] && { [ -z "$hs" ] || [ "$hs" = healthy ]; } && probe "$ip" "$OP_PORT" "$OP_HEALTH_PATH"
}
prom_label() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }'; }
gauge() { printf '# HELP %s %s\n# TYPE %s gauge\n%s{%s} %s\n' "$1" "$2" "$1" "$1" "$3" "$4"; }
deploy_metric() {
  if [ -z "${OP_METRICS_DIR:-}" ] || [ ! -d "$OP_METRICS_DIR" ]; then echo "(no Watch metrics volume in this builder: the result is not exported)"; return 0; fi
  mf="$OP_METRICS_DIR/deploy-$OP_APP_ID.prom"
  ml="app_id=\"$(prom_label "$OP_APP_ID")\",app_name=\"$(prom_label "$OP_APP")\""
  md=$(( $(ms) - ${JOB_T0:-0} )); [ -n "${JOB_T0:-}" ] && [ "$md" -ge 0 ] || md=0
  mt=$(
    gauge openpanel_deploy_last_success "Whether the app's last deploy succeeded (1) or failed (0); cancelled ones do not count." "$ml" "$1"
    gauge openpanel_deploy_last_timestamp_seconds "When the app's last deploy ended." "$ml" "$(now)"
    gauge openpanel_deploy_last_duration_seconds "How long the app's last deploy took." "$ml" "$((md / 1000)).$(printf '%03d' $((md % 1000)))"
    if [ "$1" = 0 ]; then
      # The reason as state.json has it (what the app shows), cut to 200 bytes without splitting a UTF-8 character.
      mr=$(printf '%s' "${2:-}" | tr -d '"\\' | tr '\n' ' ')
      if [ "$(printf '%s' "$mr" | wc -c)" -gt 200 ]; then mr=$(printf '%s' "$mr" | head -c 200 | LC_ALL=C sed "s/$(printf '[\300-\377][\200-\277]*$')//"); fi
      gauge openpanel_deploy_last_failure_info "Why the app's last deploy failed." "$ml,reason=\"$(prom_label "$mr")\"" 1
    fi
  )
  if put "$mf.tmp" "$mt" && chmod 644 "$mf.tmp" && mv -f "$mf.tmp" "$mf"; then echo "result exported for Watch ($mf)"; return 0; fi
  rm -f "$mf.tmp"; echo "!! the result could not be exported for Watch: ${WERR:-cannot write $mf}"
}
alias_base_images() {
  while IFS='=' read -r from to; do
    [ -n "$from" ] || continue
    docker image inspect "$to" >/dev/null 2>&1 || docker pull "$to" || fail "cannot get base image $to"
    docker tag "$to" "$from" || fail "cannot alias base image $from"
    echo "base image $from -> $to"
  done <<EOF_BASE
$OP_BASE_IMAGES
EOF_BASE
}
caddy_site() {
  mkdir -p "$(dirname "$OP_SITE_FILE")" || fail "cannot create the folder of $(host_path "$OP_SITE_FILE")"
  rm -f "$OP_SITE_FILE.previous"
  if [ -f "$OP_SITE_FILE" ]; then ln -f "$OP_SITE_FILE" "$OP_SITE_FILE.previous" || fail "cannot keep the previous proxy site $(host_path "$OP_SITE_FILE")"; fi
  site=$(printf '%s\n' "$OP_SITE" | sed "s|__UPSTREAM__|$1|g")
  put "$OP_SITE_FILE.tmp" "$site" || { rm -f "$OP_SITE_FILE.tmp"; fail "the proxy site was not changed: $WERR"; }
  mv -f "$OP_SITE_FILE.tmp" "$OP_SITE_FILE" || { rm -f "$OP_SITE_FILE.tmp"; fail "cannot put the proxy site $(host_path "$OP_SITE_FILE") in place"; }
  if ! caddy_reload; then
    caddy_back
    fail "the proxy did not take the new configuration (is it installed and running?)"
  fi
}
caddy_back() {
  if [ -f "$OP_SITE_FILE.previous" ]; then mv -f "$OP_SITE_FILE.previous" "$OP_SITE_FILE"; else rm -f "$OP_SITE_FILE"; fi
  caddy_reload || echo "!! the proxy did not reload the previous site"
}
confirm_route() {
  if [ "$OP_PROXY" = caddy ]; then grep -qF -- "$1" "$OP_SITE_FILE" || return 1; fi
  [ -n "$OP_CHECK_HOST" ] || return 0
  i=0
  while [ "$i" -lt 20 ]; do
    if probe 127.0.0.1 "$OP_PROXY_PORT" "$OP_HEALTH_PATH" "$OP_CHECK_HOST"; then echo "the proxy routes $OP_CHECK_HOST to the new version"; return 0; fi
    i=$((i + 1)); sleep 0.5
  done
  return 1
}
wait_healthy() {
  deadline=$(( $(now) + OP_HEALTH_TIMEOUT )); ok=; n=0
  while [ "$(now)" -lt "$deadline" ]; do
    n=$((n + 1))
    if [ "$#" -ge 3 ]; then "$3"; fi
    health_once "$HC"; hr=$?
    if [ "$hr" = 0 ]; then ok=1; break; fi
    if [ "$hr" = 2 ]; then docker logs --tail 50 "$HC"; fail "$1 (state $HSTATE)"; fi
    sleep 0.3
  done
  [ -n "$ok" ] || { [ -n "$HC" ] && docker logs --tail 50 "$HC"; fail "$2"; }
  echo "healthy after $n probe(s)"
}
switch_route() {
  if [ "$OP_PROXY" = caddy ] && [ -n "$OP_SITE" ]; then
    caddy_site "$1"
    # The previous containers go only once a request through the proxy confirms the new route.
    confirm_route "$1" || { caddy_back; fail "$2"; }
    rm -f "$OP_SITE_FILE.previous"
  elif [ "$OP_PROXY" = caddy ] && [ "${3:-}" = drop ] && [ -n "$OP_SITE_FILE" ] && [ -f "$OP_SITE_FILE" ]; then
    echo "the app has no domains now: removing its proxy site"
    rm -f "$OP_SITE_FILE" || fail "cannot remove the proxy site $(host_path "$OP_SITE_FILE")"
    caddy_reload || fail "the proxy did not take the new configuration (is it installed and running?)"
  elif [ "$OP_PROXY" = traefik ]; then
    # Traefik routes to every healthy container with the app's labels; give its provider time to see the new one.
    sleep "$OP_SWITCH_DELAY"
    confirm_route "$1" || fail "the switch was not confirmed: $OP_CHECK_HOST did not answer through the proxy"
  fi
}
# failed_because <message>: the message, plus the job dir's write error when it cannot be written (a command that
# failed because the disk is full rarely says so itself). Then frees the reserve for the last lines and state.
# shellcheck disable=SC2034 # FMSG is the result, read by the caller's fail
failed_because() {
  FMSG=$1
  if [ -z "$WFAILED" ] && ! put "$J/room" x; then FMSG="$1 ($WERR)"; fi
  rm -f "$J/room" "$J/reserve"
}
record() {
  e=$(printf '%s' "$4" | tr -d '"\\' | tr '\n' ' ')
  # The commit's subject line (job.sh sets SUBJECT): control characters, quotes and backslashes dropped for JSON.
  sj=$(printf '%s' "${SUBJECT:-}" | tr -d '\000-\037"\\' | cut -c1-200)
  put "$J/state.tmp" "$(printf '{"status":"%s","step":"%s","progress":%s,"image":"%s","commit":"%s","subject":"%s","container":"%s","buildMs":%s,"error":"%s","at":%s}' \
    "$1" "$2" "$3" "$OP_IMAGE" "$COMMIT" "$sj" "$CONTAINER" "$BUILD_MS" "$e" "$(now)")" || return 1
  mv -f "$J/state.tmp" "$J/state.json" || { WERR="cannot rename $(host_path "$J/state.tmp")"; return 1; }
}
step() { STEP=$1; PROGRESS=$2; echo "==> $3"; record running "$1" "$2" "" || fail "$WERR"; }
record_failure() {
  deploy_metric 0 "$FMSG"
  record failed "$STEP" "$PROGRESS" "$FMSG" || { echo "!! $FMSG (and the failure could not be recorded: $WERR)" >&3; exit 75; }
  exit 1
}
succeed() {
  STEP="done"; PROGRESS=100
  rm -f "$J/reserve"
  echo "==> $1"
  deploy_metric 1
  record succeeded "done" 100 "" || { echo "!! deployed, but the result could not be recorded: $WERR" >&3; exit 75; }
}
