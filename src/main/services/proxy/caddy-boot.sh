# The Caddy container's entrypoint: writes the Caddyfile (and the ACME server's root, if any) it was given in OP_*
# variables, then runs Caddy in the foreground.
set -e
mkdir -p /etc/openpanel/sites
printf '%s\n' "$OP_CADDYFILE" > /etc/openpanel/Caddyfile
if [ -n "${OP_ACME_CA_ROOT:-}" ]; then printf '%s\n' "$OP_ACME_CA_ROOT" > /etc/openpanel/acme-ca-root.pem; else rm -f /etc/openpanel/acme-ca-root.pem; fi
exec caddy run --config /etc/openpanel/Caddyfile --adapter caddyfile
