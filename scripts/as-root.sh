# Sourced by the scripts that need root (network namespaces, iptables): as root they just run; a
# normal user's run restarts itself through sudo, keeping PATH (Go, Node.js) as it is.
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "$(basename "$0"): needs root (network namespaces, iptables): run it as root" >&2
    exit 1
  fi
  exec sudo env "PATH=$PATH" "$0" "$@"
fi
