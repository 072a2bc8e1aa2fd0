#!/bin/sh
# The assistant's read of an app's repository (ai/app-access.ts), in a throwaway builder container: a shallow
# clone of the branch, then a bounded listing (shallow entries first) and the manifests, the app's Dockerfile and
# .dockerignore, each as `@@FILE <bytes> <name>` and exactly that many bytes. Values arrive in OP_* variables only.
set -u
set -f
if [ -n "$OP_DEPLOY_KEY" ]; then
  umask 077; printf '%s\n' "$OP_DEPLOY_KEY" > /tmp/deploy_key; umask 022
  export GIT_SSH_COMMAND="ssh -i /tmp/deploy_key -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/openpanel/known_hosts"
fi
OP_DEPLOY_KEY=
git clone -q --depth 1 --branch "$OP_GIT_BRANCH" -- "$OP_GIT_URL" /src >&2 || { echo "git clone of branch $OP_GIT_BRANCH failed" >&2; exit 3; }
rm -f /tmp/deploy_key
cd /src || exit 3
printf '@@COMMIT %s\n' "$(git rev-parse HEAD)"
echo '@@FILES'
set --
for n in $OP_SKIP; do set -- "$@" -o -name "$n"; done
shift
find . -mindepth 1 -maxdepth "$OP_MAX_DEPTH" -type d \( "$@" \) -prune -o -print | awk -F/ '{ d = NF; sub(/^\.\//, ""); print d " " $0 }' | LC_ALL=C sort -k1,1n -k2 | cut -d' ' -f2- | head -n "$((OP_MAX_FILES + 1))" | while IFS= read -r f; do
  if [ -d "$f" ]; then printf '%s/\n' "$f"; else printf '%s\n' "$f"; fi
done
echo '@@END'
for f in $OP_MANIFESTS "$OP_DOCKERFILE" .dockerignore; do
  if [ -f "$f" ] && [ ! -L "$f" ]; then
    printf '@@FILE %s %s\n' "$(head -c "$OP_MAX_BYTES" "$f" | wc -c | tr -d ' ')" "$f"
    head -c "$OP_MAX_BYTES" "$f"
    echo
  fi
done
