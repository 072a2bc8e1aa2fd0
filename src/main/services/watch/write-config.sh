# Writes the Watch config files uploaded at /in into the config dir mounted at /w: each file through a temporary
# name and mv (Prometheus never reads half a file), owned by the stack's uid, mode 0600, the dir 0700.
set -eu
uid="${OP_UID:?}"
mkdir -p /w/rules
chown "$uid:$uid" /w /w/rules
chmod 0700 /w /w/rules
cd /in
find . -type f | while IFS= read -r f; do
  f="${f#./}"
  mkdir -p "/w/$(dirname "$f")"
  cp "/in/$f" "/w/$f.tmp"
  chown "$uid:$uid" "/w/$f.tmp"
  chmod 0600 "/w/$f.tmp"
  mv -f "/w/$f.tmp" "/w/$f"
done
