#!/bin/bash
# The `tortie` CNI plugin. Hands the call to the resident helper of this
# network namespace over loopback TCP (bash's /dev/tcp), in one round trip
# and without starting any other process (protocol:
# src/plugin/helper-protocol.ts). Before it sends a byte it checks that the
# socket it reached is the helper's: the helper's root-only folder names its
# pid, start time, listening fd, that socket's inode and port; after
# connecting, /proc/<pid>/fdinfo/<fd> must still show that inode — a
# listening socket that still exists holds the port, so nobody else can have
# accepted us. Only then does it send the root-only secret and the request.
# When no helper answers, or it answers for another build or
# namespace, the call runs in Node, which then starts the helper. Once the
# helper has accepted a call ("A") the call is never run a second time:
# losing the helper then is code 11 (try again later).
#
#   TORTIE_CNI_HELPER=off    always run in Node
#   TORTIE_CNI_HELPER=only   never run in Node (code 11 when no helper answers)
#   TORTIE_CNI_RUN_DIR, TORTIE_CNI_HELPER_PORT, TORTIE_CNI_NODE (node's path)
#
# The runtime's environment may have no PATH: node is found at the path
# recorded when the plugin was built (@NODE@ below), then on PATH, then in
# /usr/local/bin and /usr/bin.
t0=$EPOCHREALTIME # when the runtime invoked us: a DEL begun later supersedes this ADD
export LC_ALL=C
trap '' PIPE # a helper that goes away is an error to handle, not a signal to die of
build='@BUILD@'
node_bin='@NODE@'
run_dir=${TORTIE_CNI_RUN_DIR:-/run/tortie/cni}
port=${TORTIE_CNI_HELPER_PORT:-927}
have_req=

fail() { # code message: a CNI error on stdout (SPEC.md section 2, "Error")
  local v=1.1.0
  [[ $req =~ \"cniVersion\"[[:space:]]*:[[:space:]]*\"([0-9][0-9.]*)\" ]] && v=${BASH_REMATCH[1]}
  printf '{"cniVersion":"%s","code":%d,"msg":"%s"}' "$v" "$1" "$2"
  printf 'tortie: %s\n' "$2" >&2
  exit 1
}

in_node() {
  exec 3>&- # (no redirection here: on a bare exec it would stay for good)
  [ "$TORTIE_CNI_HELPER" = only ] && fail 11 "the resident helper is not available"
  local self node
  self=$(readlink -f "${BASH_SOURCE[0]}" 2>/dev/null || echo "${BASH_SOURCE[0]}")
  node=$TORTIE_CNI_NODE
  [ -x "$node" ] || node=$node_bin
  [ -x "$node" ] || node=$(command -v node 2>/dev/null)
  for n in /usr/local/bin/node /usr/bin/node; do [ -x "$node" ] || node=$n; done
  [ -x "$node" ] || fail 5 "node (Node.js) not found: set TORTIE_CNI_NODE"
  [[ $t0 =~ ^[0-9]+\.[0-9]+$ ]] && export TORTIE_CNI_T0=$t0 # the invocation's start, for DEL-wins
  # installed as dist/bin/tortie beside the bundle; exec keeps our pid (a kill reaches node)
  [ -n "$have_req" ] && exec "$node" "${self%/*}/tortie.mjs" < <(printf '%s' "$req")
  exec "$node" "${self%/*}/tortie.mjs"
}

[ "$TORTIE_CNI_HELPER" = off ] && in_node
IFS= read -r -d '' req
have_req=1

# this network namespace's helper folder: the one whose helper shares our namespace
[ -O "$run_dir" ] && [ ! -L "$run_dir" ] || in_node
scope=
for d in "$run_dir"/net-*; do
  [ -O "$d" ] && [ ! -L "$d" ] || continue
  IFS=' ' read -r pid lfd pst lino lport < "$d/pid" 2>/dev/null || continue
  [[ $pid =~ ^[0-9]+$ && $lfd =~ ^[0-9]+$ && $lino =~ ^[0-9]+$ && $lport = "$port" ]] || continue
  [ /proc/self/ns/net -ef "/proc/$pid/ns/net" ] || continue
  # the same process, not a later one with a reused pid: its start time (stat field 22)
  IFS= read -r st < "/proc/$pid/stat" 2>/dev/null || continue
  read -r -a f <<< "${st##*) }"
  [ "${f[19]}" = "$pst" ] || continue
  scope=${d##*/}
  break
done
[ -n "$scope" ] || in_node
[ -O "$run_dir/$scope/secret" ] && IFS= read -r secret < "$run_dir/$scope/secret" || in_node
{ exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || in_node
# Who accepted us? The helper's listening socket, if it still exists: while it
# does it holds 127.0.0.1:<port>, so no impostor can be listening there.
# (Its inode is in /proc/<pid>/fdinfo/<fd> from Linux 5.14 on; else Node.)
ino=
{ while read -r k v; do
  [ "$k" = ino: ] && ino=$v && break
done < "/proc/$pid/fdinfo/$lfd"; } 2>/dev/null
[ "$ino" = "$lino" ] || in_node # not the helper's socket: it gets nothing

# the request: records "<NAME> <bytes>\n<value>\n", then "STDIN <bytes>\n<config>"
body=
for v in CNI_COMMAND CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_ARGS CNI_PATH; do
  [ -n "${!v+x}" ] || continue
  val=${!v}
  body+="$v ${#val}"$'\n'"$val"$'\n'
done
[[ $t0 =~ ^[0-9]+\.[0-9]+$ ]] && body+="T0 ${#t0}"$'\n'"$t0"$'\n'
body+="STDIN ${#req}"$'\n'"$req"
printf 'TORTIE-CNI 3 %s %s %s %s\n%s' "$build" "$scope" "$secret" "${#body}" "$body" >&3 2>/dev/null ||
  in_node
IFS= read -r ack <&3
[ "$ack" = A ] || in_node # not accepted ("V", "S", closed): the call did not run

# accepted: from here on the call runs once, in the helper, whatever happens
IFS=' ' read -r code olen elen <&3 || fail 11 "the resident helper stopped during the call"
[[ $code =~ ^[0-9]{1,3}$ && $olen =~ ^[0-9]{1,8}$ && $elen =~ ^[0-9]{1,8}$ ]] ||
  fail 11 "the resident helper answered garbage"
out= err=
if [ "$olen" -gt 0 ]; then
  IFS= read -r -N "$olen" out <&3
  [ "${#out}" = "$olen" ] || fail 11 "the resident helper stopped during the call"
fi
if [ "$elen" -gt 0 ]; then
  IFS= read -r -N "$elen" err <&3
  printf '%s' "$err" >&2
fi
printf '%s' "$out"
exit "$code"
