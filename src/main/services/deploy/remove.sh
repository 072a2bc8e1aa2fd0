# What an app leaves in the server's data dir once its containers are gone: its Caddy site file (then a graceful
# reload, so its hosts stop routing) and its jobs' folders (state + log of each deploy). Deploy ids are checked by
# the caller (they name folders). Exit 3 when something could not be removed.
set -u
# @include shell-lib.sh
if [ -f "$OP_SITE_FILE" ]; then
  rm -f "$OP_SITE_FILE" "$OP_SITE_FILE.previous" || { echo "!! cannot remove the proxy site $(basename "$OP_SITE_FILE")"; exit 3; }
  echo "removed the proxy site $(basename "$OP_SITE_FILE")"
  if docker inspect "$OP_PROXY_CONTAINER" >/dev/null 2>&1; then
    caddy_reload >/dev/null 2>&1 && echo "proxy reloaded" || { echo "!! the proxy did not reload"; exit 3; }
  fi
fi
n=0
for id in $OP_JOB_IDS; do
  if [ -d "$OP_DATA/jobs/$id" ]; then rm -rf "$OP_DATA/jobs/$id" || { echo "!! cannot remove the job folder $id"; exit 3; }; n=$((n + 1)); fi
done
echo "removed $n job folder(s)"
