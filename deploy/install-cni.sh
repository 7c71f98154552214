#!/usr/bin/env bash
# install-cni.sh: puts the Tortie CNI plugin and its network configuration list
# into the host's CNI directories, as Calico's install-cni does. Run by the
# DaemonSet's init container (host directories mounted at /host/...) or by hand
# on a host (CNI_BIN_DIR=/opt/cni/bin CNI_NET_DIR=/etc/cni/net.d).
#
# On the host afterwards:
#   $CNI_BIN_DIR/tortie              -> .tortie-<build>-<id>/bin/tortie (a symlink, swapped atomically)
#   $CNI_BIN_DIR/.tortie-<build>-<id>/bin/    tortie (the bash shim), tortie.mjs and its sibling bundles
#   $CNI_BIN_DIR/.tortie-<build>-<id>/nodejs  the Node.js the shim runs (unless TORTIE_CNI_NODEJS=none)
#   $CNI_BIN_DIR/.tortie-<build>-<id>/node_modules  native modules (koffi, better-sqlite3, etcd3) if given
#   $CNI_NET_DIR/$CNI_CONF_NAME         the conflist (written to a temporary file, then renamed)
#
# Environment (defaults in brackets):
#   CNI_BIN_DIR [/host/opt/cni/bin]  CNI_NET_DIR [/host/etc/cni/net.d]
#   CNI_CONF_NAME [10-tortie.conflist]
#   TORTIE_CNI_SRC [/opt/tortie/packages/cni/dist/bin]  the built plugin (tortie + *.mjs)
#   TORTIE_CNI_MODULES []   a node_modules folder to copy beside the plugin
#   TORTIE_CNI_NODEJS [node on PATH]  Node.js binary to copy; "none" keeps the shim's own choice
#   CNI_NETWORK_CONFIG []   conflist template; else the built-in one below. Placeholders:
#       __NODENAME__ __CNI_MTU__ __DATASTORE__ (a JSON object) __LOG_FILE__
#   NODENAME (required)  CNI_MTU [1450]  TORTIE_CNI_LOG_FILE [/var/log/tortie/cni.log]
#   DATASTORE_TYPE [sqlite] | etcdv3, ETCD_ENDPOINTS (comma-separated http(s)://host:port),
#   TORTIE_DATASTORE_PATH [/var/lib/tortie/store.db]
#   HOST_ROOT [/host]  where the host's root is mounted (stripped from the node path recorded in the shim)
#   SLEEP [false]  true: stay running after installing (for a sidecar instead of an init container)
# Exit status: 0 installed, 1 a bad setting or a failed copy (one line on stderr).
set -euo pipefail

die() { printf 'install-cni: %s\n' "$1" >&2; exit 1; }

bin_dir=${CNI_BIN_DIR:-/host/opt/cni/bin}
net_dir=${CNI_NET_DIR:-/host/etc/cni/net.d}
conf_name=${CNI_CONF_NAME:-10-tortie.conflist}
src=${TORTIE_CNI_SRC:-/opt/tortie/packages/cni/dist/bin}
modules=${TORTIE_CNI_MODULES:-}
nodejs=${TORTIE_CNI_NODEJS:-$(command -v node || true)}
mtu=${CNI_MTU:-1450}
log_file=${TORTIE_CNI_LOG_FILE:-/var/log/tortie/cni.log}
nodename=${NODENAME:-}

# --- check every setting before touching the host ---------------------------
[[ -n $nodename ]] || die "NODENAME is not set (the DaemonSet sets it from spec.nodeName)"
# a Kubernetes node name is a DNS subdomain (RFC 1123): it also goes into JSON unescaped
[[ $nodename =~ ^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$ ]] ||
  die "NODENAME '$nodename' is not a DNS subdomain name (lower-case letters, digits, '-', '.')"
[[ $mtu =~ ^[0-9]+$ ]] && ((mtu >= 576 && mtu <= 65535)) ||
  die "CNI_MTU '$mtu' is not a number from 576 to 65535"
[[ $conf_name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*\.conflist$ ]] ||
  die "CNI_CONF_NAME '$conf_name' must be a file name ending in .conflist"
[[ $log_file == /* && $log_file != *[\"\\]* ]] || die "TORTIE_CNI_LOG_FILE '$log_file' must be an absolute path without quotes"
for f in tortie tortie.mjs; do
  [[ -f $src/$f ]] || die "$src/$f not found (TORTIE_CNI_SRC: the built plugin, packages/cni/dist/bin)"
done
[[ -d $bin_dir ]] || die "CNI bin directory $bin_dir does not exist (mount the host's /opt/cni/bin there)"
[[ -d $net_dir ]] || die "CNI config directory $net_dir does not exist (mount the host's /etc/cni/net.d there)"
[[ -z $modules || -d $modules ]] || die "TORTIE_CNI_MODULES $modules is not a directory"
if [[ $nodejs != none ]]; then
  [[ -n $nodejs && -x $nodejs ]] || die "no Node.js binary to copy (set TORTIE_CNI_NODEJS, or none)"
fi

case ${DATASTORE_TYPE:-sqlite} in
  sqlite)
    path=${TORTIE_DATASTORE_PATH:-/var/lib/tortie/store.db}
    [[ $path == /* && $path != *[\"\\]* ]] || die "TORTIE_DATASTORE_PATH '$path' must be an absolute path without quotes"
    datastore="{\"type\": \"sqlite\", \"path\": \"$path\"}" ;;
  etcdv3)
    [[ -n ${ETCD_ENDPOINTS:-} ]] || die "DATASTORE_TYPE=etcdv3 needs ETCD_ENDPOINTS"
    eps=
    IFS=, read -r -a list <<<"$ETCD_ENDPOINTS"
    url='^https?://[][A-Za-z0-9.:_-]+/?$' # host or [v6]:port, nothing JSON would need escaped
    for e in "${list[@]}"; do
      [[ $e =~ $url ]] || die "ETCD_ENDPOINTS: '$e' is not an http(s)://host:port URL"
      eps+="${eps:+, }\"$e\""
    done
    datastore="{\"type\": \"etcd\", \"endpoints\": [$eps]}" ;;
  *) die "DATASTORE_TYPE '${DATASTORE_TYPE}' is not sqlite or etcdv3" ;;
esac

# The conflist. `tortie` wires the pod and allocates from the pools in the
# datastore; portmap (a reference plugin) serves hostPort.
template=${CNI_NETWORK_CONFIG:-'{
  "cniVersion": "1.1.0",
  "name": "k8s-pod-network",
  "plugins": [
    {
      "type": "tortie",
      "mtu": __CNI_MTU__,
      "nodename": "__NODENAME__",
      "logFile": "__LOG_FILE__",
      "datastore": __DATASTORE__,
      "ipam": { "type": "tortie" }
    },
    { "type": "portmap", "snat": true, "capabilities": { "portMappings": true } }
  ]
}'}
conf=${template//__NODENAME__/$nodename}
conf=${conf//__CNI_MTU__/$mtu}
conf=${conf//__LOG_FILE__/$log_file}
conf=${conf//__DATASTORE__/$datastore}
[[ $conf != *__[A-Z_]*__* ]] || die "CNI_NETWORK_CONFIG has an unknown placeholder: $(grep -o '__[A-Z_]*__' <<<"$conf" | head -1)"

# --- the plugin: a new folder per install, then one atomic rename of the link --
# (a new folder even for the same build: the link never points at a folder
# that is being replaced while a runtime calls the plugin)
build=$(sed -n "s/^build='\([A-Za-z0-9-]*\)'$/\1/p" "$src/tortie")
[[ -n $build ]] || die "$src/tortie has no build id (is it the built shim, dist/bin/tortie?)"
tmp=$(mktemp -d "$bin_dir/.tortie-new.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
name=.tortie-$build-${tmp##*.}
dest=$bin_dir/$name
chmod 0755 "$tmp"
mkdir "$tmp/bin"
cp "$src"/tortie "$src"/*.mjs "$tmp/bin/"
chmod 0755 "$tmp/bin/tortie" "$tmp/bin/tortie.mjs"
if [[ $nodejs != none ]]; then
  cp "$nodejs" "$tmp/nodejs"
  chmod 0755 "$tmp/nodejs"
  # the shim runs the node recorded at build time: point it at the copy on the host
  node_on_host=${dest#"${HOST_ROOT-/host}"}
  sed -i "s|^node_bin='.*'$|node_bin='$node_on_host/nodejs'|" "$tmp/bin/tortie"
  grep -q "^node_bin='$node_on_host/nodejs'$" "$tmp/bin/tortie" || die "could not record the node path in the shim"
fi
[[ -z $modules ]] || cp -a "$modules" "$tmp/node_modules"
mv -T "$tmp" "$dest"
trap - EXIT
ln -sfn "$name/bin/tortie" "$bin_dir/.tortie.link"
mv -T "$bin_dir/.tortie.link" "$bin_dir/tortie"
for old in "$bin_dir"/.tortie-*; do # earlier installs (a call still running keeps its open files)
  [[ $old == "$dest" || ! -d $old || $old == "$bin_dir"/.tortie-new.* ]] || rm -rf "$old"
done

# --- the conflist: a temporary file, then rename (the runtime never reads half) --
printf '%s\n' "$conf" >"$net_dir/.$conf_name.tmp"
chmod 0644 "$net_dir/.$conf_name.tmp"
mv -T "$net_dir/.$conf_name.tmp" "$net_dir/$conf_name"
printf 'install-cni: installed tortie (build %s) in %s and %s in %s\n' "$build" "$bin_dir" "$conf_name" "$net_dir"

if [[ ${SLEEP:-false} == true ]]; then
  trap 'exit 0' TERM INT
  while :; do sleep 3600 & wait $!; done
fi
