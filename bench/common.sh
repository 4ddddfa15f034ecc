# Pieces shared by the bench/run-*.sh scripts; source it after setting ROOT.

# usage [EXIT]: prints the calling script's header comment (from line 2 to `set -euo`) and exits.
usage() { sed -n '2,/^set -euo/{/^set -euo/!p}' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

# output_dir DIR DEFAULT_NAME: creates DIR (or work/bench/DEFAULT_NAME-<stamp>) and prints its absolute path.
output_dir() {
  local out="${1:-$ROOT/work/bench/$2-$(date +%Y%m%d-%H%M%S)}"
  mkdir -p "$out" && (cd "$out" && pwd)
}

# ensure_jar JAR: a private, complete copy of the job jar at JAR, so a rebuild of flink-job/target during a
# run cannot change what is measured (copied only when JAR is missing, and only from a jar unzip can read).
ensure_jar() {
  local jar="$1" src="$ROOT/flink-job/target/twotower-job.jar"
  if [[ ! -f "$jar" ]]; then
    if [[ -f "$src" ]] && unzip -l "$src" >/dev/null 2>&1; then
      cp -p "$src" "$jar.tmp.$$" && unzip -l "$jar.tmp.$$" >/dev/null && mv "$jar.tmp.$$" "$jar"
      echo "copied $src to $jar"
    else
      echo "no complete job jar: $jar missing and $src absent or unreadable (build it with bin/demo or mvn package)" >&2
      exit 1
    fi
  fi
  unzip -l "$jar" >/dev/null || { echo "$jar is not a readable jar" >&2; exit 1; }
}

# ensure_python_packages MODULE=DEBIAN_PACKAGE...: installs the Debian packages whose module /usr/bin/python3
# cannot import (the PyTorch references run on Debian's torch, numpy and pandas, as CI's machines have them)
ensure_python_packages() {
  local missing=() pair
  for pair in "$@"; do
    /usr/bin/python3 -c "import ${pair%%=*}" 2>/dev/null || missing+=("${pair#*=}")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "installing ${missing[*]} for the PyTorch references..."
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  ($sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}") >/dev/null
}
