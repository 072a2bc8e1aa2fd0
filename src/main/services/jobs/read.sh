# The state of one job in one round trip. $1: the job dir; $2: how many log bytes were already read.
# Four sections separated by RS (\036): state.json; the exit file and the liveness of the pid file (alive, dead or
# none) of a job started on the host (also the layout of host jobs from before state.json); at most 1 MiB of log.
d=$1
cat "$d/state.json" 2>/dev/null
printf '\036'
cat "$d/exit" 2>/dev/null
printf '\036'
if [ -f "$d/pid" ]; then
  if kill -0 "$(cat "$d/pid")" 2>/dev/null; then printf alive; else printf dead; fi
else
  printf none
fi
printf '\036'
tail -c +"$(($2 + 1))" "$d/log" 2>/dev/null | head -c 1048576
