# Runs $1/job.sh on the host with its output in $1/log and its state in $1/state.json: running while it runs, then
# succeeded or failed with its exit code (also in $1/exit, as host jobs wrote it before state.json). The job runs
# in a subshell and may call `step <name> [progress]`; names here start with op_ so that the job's own do not clash.
OP_JOB_DIR=$1
op_started=$(date +%s)
op_state() {
  if [ -f "$OP_JOB_DIR/step" ]; then read -r op_progress op_step < "$OP_JOB_DIR/step" || true; else op_progress=0; op_step=; fi
  op_step=$(printf '%s' "$op_step" | tr -d '\042\134')
  if [ "$1" = succeeded ]; then op_progress=100; fi
  printf '{"status":"%s","step":"%s","progress":%s,"error":"%s","at":%s,"startedAt":%s%s}\n' \
    "$1" "$op_step" "${op_progress:-0}" "$2" "$(date +%s)" "$op_started" "$3" > "$OP_JOB_DIR/state.tmp" && mv -f "$OP_JOB_DIR/state.tmp" "$OP_JOB_DIR/state.json"
}
step() {
  printf '%s %s\n' "${2:-0}" "$1" > "$OP_JOB_DIR/step"
  echo "openpanel: step $1"
  op_state running "" ""
}
op_state running "" ""
( . "$OP_JOB_DIR/job.sh" ) > "$OP_JOB_DIR/log" 2>&1
op_code=$?
echo "$op_code" > "$OP_JOB_DIR/exit"
op_end=",\"finishedAt\":$(date +%s),\"exitCode\":$op_code"
if [ "$op_code" = 0 ]; then op_state succeeded "" "$op_end"; else op_state failed "exit $op_code" "$op_end"; fi
