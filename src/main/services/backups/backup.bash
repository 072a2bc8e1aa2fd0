#!/bin/bash
set -u -o pipefail
ROOT=/openpanel
JOB="${1:-}"
case "$JOB" in ''|*[!A-Za-z0-9_-]*) echo "usage: backup.sh <job-id>" >&2; exit 2;; esac
JOBFILE="$ROOT/jobs/$JOB.job"
[ -f "$JOBFILE" ] || { echo "no such job: $JOB" >&2; exit 2; }
umask 022
mkdir -p "$ROOT/status" "$ROOT/locks"
get() { sed -n "s/^$1=//p" "$JOBFILE" | base64 -d; }
jstr() { printf '%s' "$1" | tr '\000-\037' ' ' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }
exec 9>"$ROOT/locks/$JOB.lock"
flock -n 9 || { echo "a backup of this job is already running" >&2; exit 3; }

# The run in the job layout: runs/<job>/state.json (JobState + run, key, size, ms times) and runs/<job>/log (stderr).
RUN_DIR="$ROOT/runs/$JOB"
mkdir -p "$RUN_DIR"
RUN_ID="${OP_RUN_ID:-cron-$(date +%s%3N)}"
case "$RUN_ID" in *[!A-Za-z0-9_-]*) RUN_ID=invalid;; esac
exec 2>"$RUN_DIR/log"
START_S=$(date +%s); START_MS=$(date +%s%3N); TS=$(date -u +%Y%m%dT%H%M%SZ)
STEP=starting
record() { # status key size error
  local now end="" progress=0
  now=$(date +%s%3N)
  [ "$1" = succeeded ] && progress=100
  [ "$1" != running ] && end=",\"finishedAt\":$((now / 1000))"
  printf '{"status":"%s","step":"%s","progress":%s,"error":"%s","at":%s,"startedAt":%s%s,"run":"%s","job":"%s","key":"%s","size":%s,"startedMs":%s,"atMs":%s}\n' \
    "$1" "$STEP" "$progress" "$(jstr "$4")" "$((now / 1000))" "$START_S" "$end" "$RUN_ID" "$JOB" "$(jstr "$2")" "$3" "$START_MS" "$now" > "$RUN_DIR/state.tmp" \
    && mv "$RUN_DIR/state.tmp" "$RUN_DIR/state.json"
  if [ "$1" != running ]; then
    # The run history (notices of failed runs) keeps the record format of status/<job>.json before the job layout.
    local state=ok
    [ "$1" = failed ] && state=failed
    printf '{"job":"%s","state":"%s","startedAt":%s,"finishedAt":%s,"key":"%s","size":%s,"error":"%s"}\n' "$JOB" "$state" "$START_MS" "$now" "$(jstr "$2")" "$3" "$(jstr "$4")" >> "$ROOT/status/$JOB.history"
    tail -n 50 "$ROOT/status/$JOB.history" > "$ROOT/status/$JOB.history.tmp" && mv "$ROOT/status/$JOB.history.tmp" "$ROOT/status/$JOB.history"
    signals "$1" "$now" "$3" "$4" || echo "could not write the run's metrics" >&2
  fi
}
# Watch signals (signals.ts): backup-<job>.prom in the textfile volume, atomically. The last success (time, size) and
# the last failure (time) are kept in status/<job>.signals, so a failed run still reports the success before it.
# Few processes: a run of a small job stays well under a second. The labels come escaped in the job file.
METRICS=/openpanel-metrics
lval() { local v=${1//\\/\\\\}; v=${v//\"/\\\"}; printf '%s' "${v//$'\n'/\\n}"; }
signals() { # status now-ms size error
  [ -d "$METRICS" ] || return 0
  local mem="$ROOT/status/$JOB.signals" ok=0 okts="" oksize=0 failts="" kind a b reason l
  if [ -f "$mem" ]; then
    while read -r kind a b; do
      case "$kind" in success) okts=$a; oksize=$b ;; failure) failts=$a ;; esac
    done < "$mem"
  fi
  if [ "$1" = succeeded ]; then ok=1; okts=$2; oksize=$3; else failts=$2; fi
  # Read and written under the job's lock only.
  {
    if [ -n "$okts" ]; then echo "success $okts $oksize"; fi
    if [ -n "$failts" ]; then echo "failure $failts"; fi
  } > "$mem"
  l=$(get METRIC_LABELS)
  # A job file written before the labels were (the next sync adds them): the job id, which needs no escaping.
  [ -n "$l" ] || l="job_id=\"$JOB\",job_name=\"$JOB\",database=\"\""
  gauge() { printf '# HELP openpanel_backup_%s %s\n# TYPE openpanel_backup_%s gauge\nopenpanel_backup_%s{%s} %s\n' "$1" "$2" "$1" "$1" "$3" "$4"; }
  local okv="" failv="" durv
  secs() { printf -v "$1" '%d.%03d' $(($2 / 1000)) $(($2 % 1000)); }
  [ -n "$okts" ] && secs okv "$okts"
  [ -n "$failts" ] && secs failv "$failts"
  secs durv $(($2 - START_MS))
  {
    gauge last_run_success "Whether the backup job's last run succeeded (1) or failed (0)." "$l" "$ok"
    if [ -n "$okts" ]; then gauge last_success_timestamp_seconds "When the backup job last succeeded." "$l" "$okv"; fi
    if [ -n "$failts" ]; then gauge last_failure_timestamp_seconds "When the backup job last failed." "$l" "$failv"; fi
    gauge last_duration_seconds "How long the backup job's last run took." "$l" "$durv"
    gauge last_size_bytes "The size of the backup job's last successful backup (the encrypted object)." "$l" "$oksize"
    if [ $ok = 0 ]; then
      # The reason as the app shows it (state.json's error), on one line, at most 200 characters.
      reason=$(LC_ALL=C.UTF-8; r=$(printf '%s' "$4" | tr '\000-\037\177' ' ' | iconv -c -f UTF-8 -t UTF-8 2>/dev/null); printf '%s' "${r:0:200}")
      gauge last_failure_info "Why the backup job's last run failed (present only after a failed run)." "$l,reason=\"$(lval "$reason")\"" 1
    fi
  } > "$METRICS/backup-$JOB.prom.tmp" && mv "$METRICS/backup-$JOB.prom.tmp" "$METRICS/backup-$JOB.prom"
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "backup failed: $1" >&2; record failed "${KEY:-}" 0 "$1"; exit 1; }
record running "" 0 ""

KIND=$(get KIND); BUCKET=$(get BUCKET); PREFIX=$(get PREFIX); RECIPIENT=$(get RECIPIENT)
export RCLONE_CONFIG_DST_TYPE=s3 RCLONE_CONFIG_DST_PROVIDER=Other
RCLONE_CONFIG_DST_ENDPOINT=$(get ENDPOINT); RCLONE_CONFIG_DST_REGION=$(get REGION)
RCLONE_CONFIG_DST_ACCESS_KEY_ID=$(get ACCESS_KEY); RCLONE_CONFIG_DST_SECRET_ACCESS_KEY=$(get SECRET_KEY)
RCLONE_CONFIG_DST_FORCE_PATH_STYLE=$(get PATH_STYLE)
export RCLONE_CONFIG_DST_ENDPOINT RCLONE_CONFIG_DST_REGION RCLONE_CONFIG_DST_ACCESS_KEY_ID RCLONE_CONFIG_DST_SECRET_ACCESS_KEY RCLONE_CONFIG_DST_FORCE_PATH_STYLE
RC_OPTS=(-q --s3-no-check-bucket --contimeout 10s --timeout 60s --retries 1 --low-level-retries 2)

case "$KIND" in
  postgres)
    EXT=sql
    PGHOST=$(get DB_HOST); PGPORT=$(get DB_PORT); PGUSER=$(get DB_USER); PGPASSWORD=$(get DB_PASSWORD); PGDATABASE=$(get DB_NAME)
    export PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
    VERSION=$(psql -At -c 'show server_version' 2>"$T/err") || fail "cannot reach the database: $(tail -c 400 "$T/err")"
    EST=$(psql -At -c 'select pg_database_size(current_database())' 2>/dev/null || echo 0)
    dump() { pg_dump --no-owner --no-privileges; } ;;
  mariadb|mysql)
    EXT=sql
    DBN=$(get DB_NAME)
    case "$DBN" in ''|*[!a-z0-9_]*) fail "bad database name";; esac
    export MYSQL_PWD; MYSQL_PWD=$(get DB_PASSWORD)
    MY=(--protocol=TCP -h "$(get DB_HOST)" -P "$(get DB_PORT)" -u "$(get DB_USER)")
    if [ "$KIND" = mysql ]; then CLI=mysql; DUMPER=mysqldump; else CLI=mariadb; DUMPER=mariadb-dump; fi
    command -v "$CLI" >/dev/null 2>&1 || CLI=$([ "$CLI" = mysql ] && echo mariadb || echo mysql)
    command -v "$DUMPER" >/dev/null 2>&1 || DUMPER=$([ "$DUMPER" = mysqldump ] && echo mariadb-dump || echo mysqldump)
    VERSION=$("$CLI" "${MY[@]}" -N -B -e 'select version()' 2>"$T/err") || fail "cannot reach the database: $(tail -c 400 "$T/err")"
    EST=$("$CLI" "${MY[@]}" -N -B -e "select coalesce(sum(data_length + index_length), 0) from information_schema.tables where table_schema = '$DBN'" 2>/dev/null || echo 0)
    # One consistent snapshot (InnoDB); no CREATE DATABASE/USE, so the dump restores into any database name.
    dump() { "$DUMPER" "${MY[@]}" --single-transaction --routines --triggers --events --hex-blob --skip-dump-date --no-tablespaces "$DBN"; } ;;
  redis)
    EXT=rdb
    export REDISCLI_AUTH; REDISCLI_AUTH=$(get DB_PASSWORD)
    RARGS=(-h "$(get DB_HOST)" -p "$(get DB_PORT)" --no-auth-warning)
    VERSION=$(redis-cli "${RARGS[@]}" info server 2>"$T/err" | tr -d '\r' | sed -n 's/^redis_version://p')
    [ -n "$VERSION" ] || fail "cannot reach redis: $(tail -c 400 "$T/err")"
    EST=$(redis-cli "${RARGS[@]}" info memory 2>/dev/null | tr -d '\r' | sed -n 's/^used_memory://p')
    # The RDB snapshot as a replica receives it (the server forks a BGSAVE), written to stdout.
    dump() { redis-cli "${RARGS[@]}" --rdb -; } ;;
  mongo)
    EXT=archive
    DBN=$(get DB_NAME)
    case "$DBN" in ''|*[!a-z0-9_]*) fail "bad database name";; esac
    # The password goes to mongodump in a config file (0600, removed with $T), not on its command line.
    (umask 077; printf 'password: "%s"\n' "$(get DB_PASSWORD)" > "$T/mongo.yaml")
    MG=(--host "$(get DB_HOST)" --port "$(get DB_PORT)" --username "$(get DB_USER)" --authenticationDatabase admin --config "$T/mongo.yaml")
    command -v mongodump >/dev/null 2>&1 || fail "mongodump is not in the backup tools image"
    VERSION=$(mongodump --version 2>/dev/null | head -n 1 | tr -d '\r')
    EST=0
    dump() { mongodump "${MG[@]}" --db "$DBN" --archive --quiet; } ;;
  volume)
    EXT=tar
    VOL=$(get VOLUME)
    [ -d "/volumes/$VOL" ] || fail "volume $VOL is not mounted in the scheduler"
    VERSION=tar; EST=$(du -sb "/volumes/$VOL" | cut -f1)
    dump() { tar --numeric-owner -C "/volumes/$VOL" -cf - .; } ;;
  *) fail "unknown kind $KIND" ;;
esac

# Keys have a one-second resolution: a run in the same second as the previous one (runs of a job never overlap: flock)
# waits for the next second instead of overwriting that backup (or deleting it, should this run fail).
for _ in 1 2 3; do
  [ "$(cat "$ROOT/status/$JOB.lastkey" 2>/dev/null)" = "$TS" ] || break
  sleep 1; TS=$(date -u +%Y%m%dT%H%M%SZ)
done
printf '%s\n' "$TS" > "$ROOT/status/$JOB.lastkey"
DIR="${PREFIX:+$PREFIX/}$JOB"
# The codec: zstd on every core (-T0) when the tools image has it, else gzip (tools images made before); the key's
# extension and the manifest's codec say which, and the app reads both.
if command -v zstd >/dev/null 2>&1; then
  CODEC=zstd; CEXT=zst; compress() { zstd -q -T0 -3 -c; }
else
  CODEC=gzip; CEXT=gz; compress() { gzip -c; }
fi
KEY="$DIR/$TS.$EXT.$CEXT.age"
echo "estimate $EST" >&2
STEP=dumping; record running "$KEY" 0 ""
mkfifo "$T/plain" "$T/obj"
sha256sum < "$T/plain" | cut -d' ' -f1 > "$T/plain.sha" & P1=$!
tee >(wc -c > "$T/obj.size") < "$T/obj" | sha256sum | cut -d' ' -f1 > "$T/obj.sha" & P2=$!
if [ "${OP_PROGRESS:-}" = 1 ]; then
  progress() { dd bs=1M iflag=fullblock status=progress 2> >(tr '\r' '\n' | grep --line-buffered -o '^[0-9]* bytes' >&2); }
else
  progress() { cat; }
fi
dump 2>>"$T/err" | progress | tee "$T/plain" | compress 2>>"$T/err" | age -r "$RECIPIENT" 2>>"$T/err" | tee "$T/obj" \
  | rclone rcat "${RC_OPTS[@]}" "dst:$BUCKET/$KEY" 2>>"$T/err"
RC=$?
wait $P1 $P2
if [ $RC -ne 0 ]; then
  rclone deletefile "${RC_OPTS[@]}" "dst:$BUCKET/$KEY" >/dev/null 2>&1
  fail "pipeline exit $RC: $(tail -c 600 "$T/err")"
fi
SIZE=$(tr -d ' ' < "$T/obj.size")
REMOTE=$(rclone lsjson "${RC_OPTS[@]}" "dst:$BUCKET/$KEY" 2>>"$T/err" | grep -o '"Size":[0-9]*' | cut -d: -f2)
[ "$REMOTE" = "$SIZE" ] || { rclone deletefile "${RC_OPTS[@]}" "dst:$BUCKET/$KEY" >/dev/null 2>&1; fail "uploaded size ${REMOTE:-none} != $SIZE: $(tail -c 400 "$T/err")"; }
DUR=$(( $(date +%s%3N) - START_MS ))
MANIFEST="{\"format\":1,\"job\":\"$JOB\",\"kind\":\"$KIND\",\"key\":\"$(jstr "$KEY")\",\"createdAt\":$START_MS,\"size\":$SIZE,\"plainSha256\":\"$(cat "$T/plain.sha")\",\"objectSha256\":\"$(cat "$T/obj.sha")\",\"dbVersion\":\"$(jstr "$VERSION")\",\"durationMs\":$DUR,\"recipient\":\"$(jstr "$RECIPIENT")\",\"codec\":\"$CODEC\"}"
printf '%s\n' "$MANIFEST" | rclone rcat "${RC_OPTS[@]}" "dst:$BUCKET/$KEY.manifest.json" 2>>"$T/err" || {
  rclone deletefile "${RC_OPTS[@]}" "dst:$BUCKET/$KEY" >/dev/null 2>&1; fail "manifest upload failed: $(tail -c 400 "$T/err")"; }

STEP=retention; record running "$KEY" 0 ""
# Retention, only now that the upload and its manifest are in place. A backup is deleted only when no rule keeps it.
KEEP_LAST=$(get KEEP_LAST); KEEP_DAYS=$(get KEEP_DAYS)
if [ -n "$KEEP_LAST" ] || [ -n "$KEEP_DAYS" ]; then
  CUTOFF=""
  [ -n "$KEEP_DAYS" ] && CUTOFF=$(date -u -d "@$(( START_S - KEEP_DAYS * 86400 ))" +%Y%m%dT%H%M%SZ)
  rclone lsf "${RC_OPTS[@]}" --files-only "dst:$BUCKET/$DIR/" 2>>"$T/err" | grep '\.manifest\.json$' | sort -r > "$T/all" || true
  N=0
  while IFS= read -r M; do
    N=$((N + 1))
    OBJ="${M%.manifest.json}"
    [ "$DIR/$OBJ" = "$KEY" ] && continue
    KEEP=0
    [ -n "$KEEP_LAST" ] && [ "$N" -le "$KEEP_LAST" ] && KEEP=1
    [ -n "$CUTOFF" ] && [[ ! "$OBJ" < "$CUTOFF" ]] && KEEP=1
    if [ $KEEP = 0 ]; then
      rclone deletefile "${RC_OPTS[@]}" "dst:$BUCKET/$DIR/$M" 2>>"$T/err" && rclone deletefile "${RC_OPTS[@]}" "dst:$BUCKET/$DIR/$OBJ" 2>>"$T/err"
      echo "retention: deleted $OBJ" >&2
    fi
  done < "$T/all"
fi
STEP='done'
record succeeded "$KEY" "$SIZE" ""
echo "done $KEY $SIZE" >&2
