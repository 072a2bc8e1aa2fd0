# Starts a job on the host, detached (setsid), unless one is running in that dir: prints state=started or
# state=running, and pid=<pid>. $1: the job dir; $2: the runner (host-run.sh); $3: the job script.
set -eu
d=$1
mkdir -p "$d"
if [ -f "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null; then
  echo state=running
  echo "pid=$(cat "$d/pid")"
  exit 0
fi
rm -f "$d/state.json" "$d/state.tmp" "$d/step" "$d/exit" "$d/log"
printf '%s' "$2" > "$d/run.sh"
printf '%s' "$3" > "$d/job.sh"
setsid sh "$d/run.sh" "$d" < /dev/null > /dev/null 2>&1 &
echo $! > "$d/pid"
echo state=started
echo "pid=$!"
