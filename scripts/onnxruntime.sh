# Sourced from the repository's root: makes onnxruntime-node importable by node (NODE_PATH), installing it
# from the npm registry into build/onnxruntime-node on first use, and Node.js with npm from Debian when the
# machine has neither.
command -v node >/dev/null && command -v npm >/dev/null || scripts/setup.sh nodejs npm
onnxruntime_dir=build/onnxruntime-node
if [ ! -d "$onnxruntime_dir/node_modules/onnxruntime-node" ]; then
  mkdir -p "$onnxruntime_dir"
  # Its install script downloads GPU binaries from a host CI cannot reach; the CPU ones are in the package.
  (cd "$onnxruntime_dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error onnxruntime-node@1.30.0)
fi
export NODE_PATH=$PWD/$onnxruntime_dir/node_modules
