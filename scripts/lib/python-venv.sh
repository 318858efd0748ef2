# Sourced by the scripts that build a venv under .alto (test, bench, minilm): finds a Python and
# serialises concurrent builds of one venv.

# find_python CANDIDATES...: prints the path of the first candidate that runs as Python >= 3.10.
find_python() {
  local py
  for py in "$@"; do
    if "$py" -c 'import sys; assert sys.version_info >= (3, 10)' 2>/dev/null; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}

# venv_lock ROOT NAME: holds .alto/NAME.lock (fd 9) until the script exits, where flock exists.
venv_lock() {
  mkdir -p "$1/.alto"
  exec 9>"$1/.alto/$2.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
}
