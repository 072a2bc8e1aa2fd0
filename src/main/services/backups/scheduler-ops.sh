# Small operations in the backup scheduler container, one per subcommand ($1); every value arrives as an argument.
op=$1
shift
case "$op" in
  write) # $1 path, $2 mode; the content on stdin, put in place atomically
    umask 077 && mkdir -p "${1%/*}" && cat > "$1.tmp" && chmod "$2" "$1.tmp" && mv "$1.tmp" "$1"
    ;;
  prune) # the job files to keep; every other one is removed
    cd /openpanel/jobs || exit 1
    for f in *.job; do
      keep=0
      for k in "$@"; do [ "$f" = "$k" ] && keep=1; done
      [ $keep = 1 ] || rm -f -- "$f"
    done
    ;;
  status) # each run dir's state.json (R) and each status file of the older layout (S), one per line
    for f in /openpanel/runs/*/state.json; do [ -f "$f" ] && { printf 'R '; cat "$f"; echo; }; done
    for f in /openpanel/status/*.json; do [ -f "$f" ] && { printf 'S '; cat "$f"; echo; }; done
    true
    ;;
  history) # every job's run history
    for f in /openpanel/status/*.history; do [ -f "$f" ] && cat "$f"; done
    true
    ;;
  metrics) # every backup schedule file in the textfile volume, each after a "==> <name>" line; exit 3: no such volume
    [ -d /openpanel-metrics ] || exit 3
    for f in /openpanel-metrics/backup-schedule-*.prom; do [ -f "$f" ] && { printf '==> %s\n' "${f##*/}"; cat "$f"; }; done
    true
    ;;
  prune-metrics) # $1 the scheduled jobs (space-separated), $2 every job: other jobs' schedule and run files are removed
    cd /openpanel-metrics || exit 1
    for f in backup-*.prom; do
      [ -f "$f" ] || continue
      case "$f" in
        backup-schedule-*) id=${f#backup-schedule-}; keep=$1 ;;
        *) id=${f#backup-}; keep=$2 ;;
      esac
      id=${id%.prom}
      case " $keep " in *" $id "*) ;; *) rm -f -- "$f" ;; esac
    done
    ;;
  busy) # exit 75 while any run holds its job's lock
    for l in /openpanel/locks/*.lock; do
      [ -e "$l" ] || continue
      flock -n "$l" true || exit 75
    done
    ;;
  lock-held) # $1 a job's lock file: exit 75 while a run holds it (backup.bash holds it for the whole run)
    [ -e "$1" ] || exit 0
    flock -n "$1" true && exit 0
    exit 75
    ;;
  *)
    echo "unknown operation $op" >&2
    exit 2
    ;;
esac
