# Sourced by .ci/setup and .ci/test: puts a Node >= 22.18 first in PATH (it runs TypeScript natively).
# The machine's node may be older (Debian 12 ships 18, some images 20); then
# Node 24 LTS is installed from the npm registry into PTRACE_NODE_DIR.
PTRACE_NODE_DIR=${PTRACE_NODE_DIR:-/opt/ptrace-node24}
recent_node() { [ "$("$1" -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 22 || (a === 22 && b >= 18) ? 1 : 0' 2>/dev/null)" = 1 ]; }
if [ -x "$PTRACE_NODE_DIR/bin/node" ]; then
  export PATH="$PTRACE_NODE_DIR/bin:$PATH"
elif ! recent_node node; then
  echo "ptrace setup: node $(node --version 2>/dev/null || echo missing) is older than 22.18; installing Node 24 into $PTRACE_NODE_DIR" >&2
  npm install -g --prefix "$PTRACE_NODE_DIR" node@24 >/dev/null 2>&1 ||
    { echo "ptrace setup: installing node@24 from the npm registry failed" >&2; exit 1; }
  export PATH="$PTRACE_NODE_DIR/bin:$PATH"
fi
