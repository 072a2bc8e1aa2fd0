# The Caddy container's entrypoint: writes the Caddyfile (and the ACME server's root, if any) it was given in OP_*
# variables, then runs Caddy in the foreground.
set -e
mkdir -p /etc/openpanel/sites
# exactly one final newline, as `caddy fmt` writes it (Caddy warns "input is not formatted" on any difference)
conf=$(printf '%s' "$OP_CADDYFILE")
printf '%s\n' "$conf" > /etc/openpanel/Caddyfile
if [ -n "${OP_ACME_CA_ROOT:-}" ]; then printf '%s\n' "$OP_ACME_CA_ROOT" > /etc/openpanel/acme-ca-root.pem; else rm -f /etc/openpanel/acme-ca-root.pem; fi
exec caddy run --config /etc/openpanel/Caddyfile --adapter caddyfile
