#!/bin/bash
# The `tortie` CNI plugin. Hands the call to the resident helper over loopback
# TCP when one runs (protocol: src/plugin/helper-protocol.ts) and otherwise
# runs the plugin in Node, which then starts the helper for later calls.
# Set TORTIE_CNI_HELPER=off to always run in Node. The helper listens on a port
# below 1024 (927), which only root can take.
export LC_ALL=C
run_dir=${TORTIE_CNI_RUN_DIR:-/run/tortie-cni}
port=${TORTIE_CNI_HELPER_PORT:-927}

in_node() {
  local self
  self=$(readlink -f "${BASH_SOURCE[0]}")
  js="${self%/*}/tortie.mjs" # installed as dist/bin/tortie beside the bundle
  if [ "$#" -gt 0 ]; then
    printf '%s' "$1" | node "$js"
    exit $?
  fi
  exec node "$js"
}

[ "$TORTIE_CNI_HELPER" = off ] && in_node
IFS= read -r token < "$run_dir/token" 2>/dev/null || in_node
exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || in_node
IFS= read -r -d '' req
{
  printf 'TORTIE-CNI 1\n%s\n%s\n' "$token" "${#req}"
  for v in CNI_COMMAND CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_ARGS CNI_PATH; do
    [ -n "${!v+x}" ] && printf '%s=%s\n' "$v" "${!v}"
  done
  printf '\n%s' "$req"
} >&3
IFS= read -r code <&3 || in_node "$req"
[ "$code" = R ] && in_node "$req" # the helper was restarted since the token was read
IFS= read -r -d '' out <&3
printf '%s' "$out"
exit "$code"
