# Sourced by bin/test and bin/kitex4j: makes sure the Debian packages the project needs are present.
# Installs them with apt-get when missing and running as root; otherwise says how to install them.

kitex4j_need_debian_packages() {
  # Arguments: pairs of "command:package". KITEX4J_APT_OPTS: more apt-get install options (e.g.
  # --no-install-recommends).
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    if [ "$cmd" = etcd ] && [ -n "${ETCD_BIN:-}" ] && [ -x "${ETCD_BIN}" ]; then
      continue
    fi
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "kitex4j: installing ${missing[*]} (Debian packages)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${KITEX4J_APT_OPTS:-} "${missing[@]}" >&2 || {
        echo "kitex4j: apt-get install ${missing[*]} failed" >&2
        return 1
      }
  else
    echo "kitex4j: missing ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}" \
      "(or set ETCD_BIN to an etcd binary)" >&2
    return 1
  fi
}
