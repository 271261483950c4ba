#!/usr/bin/env python3
"""Offline checks of the Symbolon Kubernetes manifests.

Renders k8s/base and every k8s/overlays/* with `kubectl kustomize`, then
  1. validates every rendered object against the Kubernetes OpenAPI schemas bundled in the
     `kubernetes-validate` package (strict: unknown fields are errors), for the oldest and
     the newest Kubernetes minor version we support; custom resources (Istio, Linkerd,
     CloudNativePG) have no bundled schema and are checked by the rules below instead;
  2. checks the deployment rules of docs/operations.md: hardened pods, native gRPC probes,
     resources, named `grpc` ports, PDB and HPA per Deployment, pinned images, a grace
     period longer than the shutdown delay plus the drain timeout, configuration wiring,
     the network-policy call graph (evaluated, not pattern-matched), and the mesh, CNPG
     and OpenTelemetry Collector pieces.

Prints one line per failure (and per pass with -v) and ends with
`k8s: N passed, M failed`; exits 1 when anything failed.

Usage: python3 scripts/k8s_rules.py [--kubectl PATH] [--root DIR] [-v]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlparse

import yaml

try:
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError
except ImportError:  # reported as a failure below, never silently skipped
    kubernetes_validate = None

# Kubernetes minor versions the manifests must be valid for. 1.29: native sidecars (the
# mesh components rely on them) are on by default; gRPC probes are GA since 1.27.
SCHEMA_VERSIONS = ("1.29.0", "1.37.0")

# The contract: the three services, their ports, health names, env prefixes and databases.
@dataclass(frozen=True)
class Svc:
    name: str  # Deployment / Service name
    port: int
    health: str  # grpc.health.v1 service name used for readiness
    env: str  # SYMBOLON_<ENV>_<NAME> prefix
    package: str  # protobuf package
    database: str


SERVICES = {
    s.name: s
    for s in (
        Svc("customers", 50051, "symbolon.customers.v1.CustomersService", "CUSTOMERS",
            "symbolon.customers.v1", "customers"),
        Svc("labs", 50052, "symbolon.labs.v1.LabsService", "LABS", "symbolon.labs.v1", "labs"),
        Svc("supply-chain", 50053, "symbolon.supplychain.v1.SupplyChainService", "SUPPLYCHAIN",
            "symbolon.supplychain.v1", "supplychain"),
    )
}
# Who may call whom, besides the namespace's clients (which may call every service).
CALLS = {("labs", "customers"), ("customers", "supply-chain")}
CLIENT_LABELS = {"symbolon/client": "true"}
CLIENT_SERVICE_ACCOUNT = "symbolon-client"
# Which variable names the dependency address for each call.
CALL_ENV = {("labs", "customers"): "SYMBOLON_CUSTOMERS_URL",
            ("customers", "supply-chain"): "SYMBOLON_SUPPLYCHAIN_URL"}
GRPC_SERVER = ("app.kubernetes.io/component", "grpc-server")
DEFAULT_SHUTDOWN_DELAY_MS = 0
DEFAULT_DRAIN_TIMEOUT_MS = 20000
# Secrets the operator creates out of band (docs/operations.md, "Secrets").
EXTERNAL_SECRETS = {
    "symbolon-jwks", "customers-service-token",
    "customers-database", "labs-database", "supply-chain-database",
    "symbolon-pg-customers", "symbolon-pg-labs", "symbolon-pg-supplychain",
}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
CRD_KINDS = {
    ("networking.istio.io", "DestinationRule"),
    ("security.istio.io", "PeerAuthentication"),
    ("security.istio.io", "AuthorizationPolicy"),
    ("linkerd.io", "ServiceProfile"),
    ("postgresql.cnpg.io", "Cluster"),
    ("postgresql.cnpg.io", "Database"),
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PriorityClass", "StorageClass"}


# ------------------------------------------------------------------------------------------
class Report:
    def __init__(self, verbose: bool):
        self.verbose = verbose
        self.passed = 0
        self.failed = 0
        self.scope = ""

    def check(self, ok: bool, what: str, why: str = "") -> bool:
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"PASS [{self.scope}] {what}")
        else:
            self.failed += 1
            print(f"FAIL [{self.scope}] {what}" + (f": {why}" if why else ""))
        return ok


def kind_id(o):
    return f"{o.get('kind')}/{o.get('metadata', {}).get('name')}"


def group_of(o):
    api = o.get("apiVersion", "")
    return api.split("/")[0] if "/" in api else ""


def labels_of(o):
    return o.get("metadata", {}).get("labels") or {}


def pod_template(o):
    kind = o.get("kind")
    if kind == "CronJob":
        return o["spec"]["jobTemplate"]["spec"]["template"]
    return o.get("spec", {}).get("template") or {}


def selector_matches(sel, labels) -> bool:
    """A LabelSelector against a label map; an empty selector matches everything."""
    if sel is None:
        return False
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and labels.get(k) in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def image_pinned(image: str) -> tuple[bool, str]:
    if "@sha256:" in image:
        return True, ""
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False, f"image {image!r} has no tag"
    tag = last.split(":", 1)[1]
    if tag in ("latest", ""):
        return False, f"image {image!r} uses the tag {tag!r}"
    return True, ""


# ------------------------------------------------------------------------------------------
# Network policy evaluation
@dataclass
class Pod:
    ns: str
    labels: dict
    ports: dict = field(default_factory=dict)  # name -> number
    desc: str = ""
    ip: str | None = None  # set for endpoints outside the cluster


class NetPol:
    def __init__(self, objs, namespaces):
        self.policies = [o for o in objs if o.get("kind") == "NetworkPolicy"]
        self.ns_labels = namespaces

    def ns_label_map(self, ns):
        base = dict(self.ns_labels.get(ns, {}))
        base["kubernetes.io/metadata.name"] = ns
        return base

    @staticmethod
    def types(p):
        spec = p.get("spec", {})
        t = spec.get("policyTypes")
        if t:
            return set(t)
        out = {"Ingress"}
        if "egress" in spec:
            out.add("Egress")
        return out

    def peer_matches(self, peer, policy_ns, other: Pod) -> bool:
        if "ipBlock" in peer:
            if other.ip is None:
                return False  # ipBlock is for addresses outside the cluster
            block = peer["ipBlock"]
            ip = ipaddress.ip_address(other.ip)
            if ip not in ipaddress.ip_network(block["cidr"]):
                return False
            return not any(ip in ipaddress.ip_network(x) for x in block.get("except") or [])
        if other.ip is not None:
            return False
        ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
        if ns_sel is None:
            if other.ns != policy_ns:
                return False
        elif not selector_matches(ns_sel, self.ns_label_map(other.ns)):
            return False
        if pod_sel is not None and not selector_matches(pod_sel, other.labels):
            return False
        return True

    @staticmethod
    def port_matches(rule_ports, port, proto, target: Pod) -> bool:
        if not rule_ports:
            return True
        for rp in rule_ports:
            if rp.get("protocol", "TCP") != proto:
                continue
            p = rp.get("port")
            if p is None:
                return True
            if isinstance(p, str):
                p = target.ports.get(p)
                if p is None:
                    continue
            end = rp.get("endPort", p)
            if p <= port <= end:
                return True
        return False

    def direction_allows(self, direction, subject: Pod, other: Pod, port, proto, target: Pod):
        key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        selecting = [p for p in self.policies
                     if p["metadata"].get("namespace") == subject.ns
                     and direction in self.types(p)
                     and selector_matches(p["spec"].get("podSelector", {}), subject.labels)]
        if not selecting:
            return True
        for p in selecting:
            for rule in p["spec"].get(key) or []:
                peers = rule.get(peers_key)
                if peers and not any(self.peer_matches(x, subject.ns, other) for x in peers):
                    continue
                if self.port_matches(rule.get("ports"), port, proto, target):
                    return True
        return False

    def allowed(self, src: Pod, dst: Pod, port: int, proto="TCP") -> bool:
        if src.ip is None and not self.direction_allows("Egress", src, dst, port, proto, dst):
            return False
        if dst.ip is None and not self.direction_allows("Ingress", dst, src, port, proto, dst):
            return False
        return True


# ------------------------------------------------------------------------------------------
def env_of(container, configmaps, ns):
    """The container's effective environment as far as the manifests decide it:
    name -> literal value, or ('secret', name, key) / ('field', path) for references."""
    env = {}
    for ef in container.get("envFrom") or []:
        ref = ef.get("configMapRef")
        if ref and (ns, ref["name"]) in configmaps:
            prefix = ef.get("prefix", "")
            for k, v in (configmaps[(ns, ref["name"])].get("data") or {}).items():
                env[prefix + k] = v
    for e in container.get("env") or []:
        if "value" in e:
            env[e["name"]] = e["value"]
        elif "valueFrom" in e:
            vf = e["valueFrom"]
            if "secretKeyRef" in vf:
                env[e["name"]] = ("secret", vf["secretKeyRef"]["name"], vf["secretKeyRef"]["key"])
            elif "configMapKeyRef" in vf:
                ref = vf["configMapKeyRef"]
                env[e["name"]] = (configmaps.get((ns, ref["name"]), {}).get("data") or {}).get(ref["key"])
            elif "fieldRef" in vf:
                env[e["name"]] = ("field", vf["fieldRef"]["fieldPath"])
            else:
                env[e["name"]] = ("other",)
    return env


def setting(env, svc: Svc, name, default):
    """SYMBOLON_<SERVICE>_<NAME>, else SYMBOLON_<NAME>, else the default (platform config)."""
    for key in (f"SYMBOLON_{svc.env}_{name}", f"SYMBOLON_{name}"):
        v = env.get(key)
        if isinstance(v, str) and v != "":
            return key, v
    return None, default


def postgres_pool_size(root, default=32):
    """The per-replica PostgreSQL pool size, read from the platform crate."""
    try:
        text = open(os.path.join(root, "shared", "platform", "src", "db.rs"), encoding="utf-8").read()
    except OSError:
        return default
    m = re.search(r"Backend::Postgres\s*=>\s*\{\s*let\s+pool\s*=\s*options\((\d+)\)", text)
    return int(m.group(1)) if m else default


def proto_methods(root):
    """{package: {service: [methods]}} parsed from proto/ (empty when absent)."""
    out = defaultdict(lambda: defaultdict(list))
    proto_dir = os.path.join(root, "proto")
    for dirpath, _, files in os.walk(proto_dir):
        for f in files:
            if not f.endswith(".proto"):
                continue
            text = open(os.path.join(dirpath, f), encoding="utf-8").read()
            text = re.sub(r"//[^\n]*", "", text)
            pkg = re.search(r"^\s*package\s+([\w.]+)\s*;", text, re.M)
            if not pkg:
                continue
            for m in re.finditer(r"\bservice\s+(\w+)\s*\{", text):
                depth, i = 1, m.end()
                while i < len(text) and depth:
                    depth += {"{": 1, "}": -1}.get(text[i], 0)
                    i += 1
                body = text[m.end():i]
                out[pkg.group(1)][m.group(1)] += re.findall(r"\brpc\s+(\w+)\s*\(", body)
    return out


# ------------------------------------------------------------------------------------------
class Checker:
    def __init__(self, report: Report, root: str, methods):
        self.r = report
        self.root = root
        self.methods = methods

    # --- schema ---------------------------------------------------------------------------
    def schema(self, objs):
        r = self.r
        if not r.check(kubernetes_validate is not None, "kubernetes-validate is importable",
                       "install it: pip install kubernetes-validate"):
            return
        for o in objs:
            gk = (group_of(o), o.get("kind"))
            for v in SCHEMA_VERSIONS:
                try:
                    kubernetes_validate.validate(o, v, strict=True)
                    r.check(True, f"{kind_id(o)} valid against Kubernetes {v[:-2]} schema")
                except ValidationError as e:
                    path = ".".join(str(p) for p in e.path)
                    r.check(False, f"{kind_id(o)} valid against Kubernetes {v[:-2]} schema",
                            f"{path}: {e.message}")
                except SchemaNotFoundError:
                    r.check(gk in CRD_KINDS,
                            f"{kind_id(o)} ({o.get('apiVersion')}) is a known custom resource "
                            "checked by rules", "no schema and no rules for this kind")
                    break

    # --- workloads ------------------------------------------------------------------------
    def workloads(self, objs, idx, overlay):
        r = self.r
        configmaps = idx["configmaps"]
        secrets = idx["secrets"]
        sas = idx["serviceaccounts"]
        for o in objs:
            if o.get("kind") not in WORKLOAD_KINDS:
                continue
            ns = o["metadata"].get("namespace")
            tmpl = pod_template(o)
            spec = tmpl.get("spec", {})
            psc = spec.get("securityContext") or {}
            wid = kind_id(o)
            containers = (spec.get("initContainers") or []) + spec.get("containers", [])
            for c in containers:
                cid = f"{wid} container {c['name']}"
                ok, why = image_pinned(c.get("image", ""))
                r.check(ok, f"{cid} image is pinned", why)
                res = c.get("resources") or {}
                missing = [f"{k}.{x}" for k in ("requests", "limits") for x in ("cpu", "memory")
                           if not (res.get(k) or {}).get(x)]
                r.check(not missing, f"{cid} has resource requests and limits",
                        "missing " + ", ".join(missing))
                sc = c.get("securityContext") or {}
                problems = []
                if not (sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
                    problems.append("runAsNonRoot is not true")
                if sc.get("runAsUser", psc.get("runAsUser")) == 0:
                    problems.append("runAsUser is 0")
                if sc.get("readOnlyRootFilesystem") is not True:
                    problems.append("readOnlyRootFilesystem is not true")
                if sc.get("allowPrivilegeEscalation") is not False:
                    problems.append("allowPrivilegeEscalation is not false")
                if sc.get("privileged") is True:
                    problems.append("privileged")
                if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                    problems.append("capabilities do not drop ALL")
                if (sc.get("capabilities") or {}).get("add"):
                    problems.append("capabilities are added")
                seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
                if seccomp != "RuntimeDefault":
                    problems.append(f"seccompProfile is {seccomp!r}, not RuntimeDefault")
                r.check(not problems, f"{cid} has the hardened securityContext", "; ".join(problems))
                if c in spec.get("containers", []):
                    r.check(bool(c.get("livenessProbe")) and bool(c.get("readinessProbe")),
                            f"{cid} has liveness and readiness probes")
                # References resolve: ConfigMaps must be rendered, Secrets rendered or listed
                # in docs/operations.md as created out of band.
                for ef in c.get("envFrom") or []:
                    if "configMapRef" in ef:
                        n = ef["configMapRef"]["name"]
                        r.check((ns, n) in configmaps, f"{cid} envFrom ConfigMap {n} exists")
                    if "secretRef" in ef:
                        n = ef["secretRef"]["name"]
                        r.check((ns, n) in secrets or n in EXTERNAL_SECRETS,
                                f"{cid} envFrom Secret {n} is rendered or documented")
                for e in c.get("env") or []:
                    r.check(not ("value" in e and "valueFrom" in e),
                            f"{cid} env {e['name']} has one source", "both value and valueFrom")
                    ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                    if ref:
                        n = ref["name"]
                        r.check((ns, n) in secrets or n in EXTERNAL_SECRETS,
                                f"{cid} env {e['name']} Secret {n} is rendered or documented")
                        if (ns, n) in secrets:
                            data = {**(secrets[(ns, n)].get("data") or {}),
                                    **(secrets[(ns, n)].get("stringData") or {})}
                            r.check(ref["key"] in data, f"{cid} env {e['name']} key {ref['key']} exists in Secret {n}")
                    ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
                    if ref:
                        cm = configmaps.get((ns, ref["name"]))
                        r.check(cm is not None and ref["key"] in (cm.get("data") or {}),
                                f"{cid} env {e['name']} ConfigMap key {ref['name']}/{ref['key']} exists")
            for v in spec.get("volumes") or []:
                if "secret" in v:
                    n = v["secret"]["secretName"]
                    r.check((ns, n) in secrets or n in EXTERNAL_SECRETS,
                            f"{wid} volume {v['name']} Secret {n} is rendered or documented")
                if "configMap" in v:
                    n = v["configMap"]["name"]
                    r.check((ns, n) in configmaps, f"{wid} volume {v['name']} ConfigMap {n} exists")
            san = spec.get("serviceAccountName")
            r.check(bool(san) and (ns, san) in sas, f"{wid} runs as its own rendered ServiceAccount",
                    f"serviceAccountName={san!r}")
            r.check(spec.get("automountServiceAccountToken") is False
                    or (sas.get((ns, san)) or {}).get("automountServiceAccountToken") is False,
                    f"{wid} does not mount an API token")
            if o["kind"] == "Deployment":
                self.deployment_extras(o, idx, overlay)

    def deployment_extras(self, o, idx, overlay):
        r = self.r
        ns = o["metadata"].get("namespace")
        name = o["metadata"]["name"]
        wid = kind_id(o)
        tmpl_labels = labels_of(pod_template(o))
        replicas = o["spec"].get("replicas", 1)
        pdbs = [p for p in idx["pdbs"] if p["metadata"].get("namespace") == ns
                and selector_matches(p["spec"].get("selector"), tmpl_labels)]
        if r.check(len(pdbs) == 1, f"{wid} has exactly one PodDisruptionBudget", f"found {len(pdbs)}"):
            ps = pdbs[0]["spec"]
            ma = ps.get("minAvailable")
            r.check(ps.get("maxUnavailable") not in (None, 0, "0%") or
                    (isinstance(ma, int) and ma < replicas),
                    f"{wid} PodDisruptionBudget lets a node drain proceed")
        hpas = [h for h in idx["hpas"] if h["metadata"].get("namespace") == ns
                and h["spec"]["scaleTargetRef"].get("kind") == "Deployment"
                and h["spec"]["scaleTargetRef"].get("name") == name]
        if r.check(len(hpas) == 1 and hpas[0]["apiVersion"] == "autoscaling/v2",
                   f"{wid} has exactly one autoscaling/v2 HorizontalPodAutoscaler", f"found {len(hpas)}"):
            hs = hpas[0]["spec"]
            mn, mx = hs.get("minReplicas", 1), hs.get("maxReplicas", 0)
            r.check(1 <= mn <= mx and bool(hs.get("metrics")),
                    f"{wid} HPA has 1 <= minReplicas <= maxReplicas and metrics")
            r.check(replicas == mn, f"{wid} replicas equal the HPA's minReplicas",
                    f"replicas {replicas}, minReplicas {mn}")
        if tmpl_labels.get(GRPC_SERVER[0]) == GRPC_SERVER[1]:
            self.grpc_server(o, idx, overlay)

    def grpc_server(self, o, idx, overlay):
        r = self.r
        ns = o["metadata"].get("namespace")
        name = o["metadata"]["name"]
        wid = kind_id(o)
        svc = SERVICES.get(name)
        if not r.check(svc is not None, f"{wid} is one of the Symbolon services {sorted(SERVICES)}"):
            return
        spec = pod_template(o)["spec"]
        expected_replicas = 1 if overlay == "dev" else 2
        r.check(o["spec"].get("replicas") == expected_replicas,
                f"{wid} has {expected_replicas} replica(s)", f"replicas={o['spec'].get('replicas')}")
        strategy = o["spec"].get("strategy") or {}
        ru = strategy.get("rollingUpdate") or {}
        r.check(strategy.get("type", "RollingUpdate") == "RollingUpdate" and ru.get("maxUnavailable") in (0, "0", "0%"),
                f"{wid} rolls out without dropping below the desired replicas (maxUnavailable 0)")
        c = next((c for c in spec["containers"] if c["name"] == name), spec["containers"][0])
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
        r.check(ports.get("grpc") == svc.port, f"{wid} exposes a port named grpc = {svc.port}",
                f"ports {ports}")
        live, ready, start = c.get("livenessProbe") or {}, c.get("readinessProbe") or {}, c.get("startupProbe")
        r.check("grpc" in live and live["grpc"].get("port") == svc.port
                and live["grpc"].get("service", "") == "",
                f"{wid} liveness is a native gRPC probe of the overall health (service \"\")",
                f"livenessProbe {live}")
        r.check("grpc" in ready and ready["grpc"].get("port") == svc.port
                and ready["grpc"].get("service") == svc.health,
                f"{wid} readiness is a native gRPC probe of {svc.health}", f"readinessProbe {ready}")
        if start is not None:
            r.check("grpc" in start and start["grpc"].get("port") == svc.port,
                    f"{wid} startup probe is a native gRPC probe")

        env = env_of(c, idx["configmaps"], ns)
        k1, delay = setting(env, svc, "SHUTDOWN_DELAY_MS", DEFAULT_SHUTDOWN_DELAY_MS)
        k2, drain = setting(env, svc, "DRAIN_TIMEOUT_MS", DEFAULT_DRAIN_TIMEOUT_MS)
        try:
            delay, drain = int(delay), int(drain)
        except ValueError:
            r.check(False, f"{wid} shutdown delay and drain timeout are integers", f"{delay!r}, {drain!r}")
            return
        grace = spec.get("terminationGracePeriodSeconds", 30)
        r.check(grace * 1000 > delay + drain,
                f"{wid} terminationGracePeriodSeconds ({grace}s) > shutdown delay ({delay} ms, {k1 or 'default'}) "
                f"+ drain timeout ({drain} ms, {k2 or 'default'})")
        r.check(1000 <= delay <= 30000, f"{wid} SYMBOLON_SHUTDOWN_DELAY_MS is a few seconds",
                f"{delay} ms: endpoints need time to drop the pod before the listener closes")
        detect = ready.get("periodSeconds", 10) * ready.get("failureThreshold", 3)
        r.check(detect * 1000 <= delay,
                f"{wid} readiness notices NOT_SERVING ({detect}s) within the shutdown delay ({delay} ms)")
        if "preStop" in (c.get("lifecycle") or {}):
            r.check(False, f"{wid} has no preStop hook", "the distroless image has no shell or sleep")

        # Configuration wiring.
        db = env.get(f"SYMBOLON_{svc.env}_DATABASE_URL") or env.get("SYMBOLON_DATABASE_URL") or env.get("DATABASE_URL")
        r.check(isinstance(db, tuple) and db[0] == "secret"
                or isinstance(db, str) and db.startswith("postgres://"),
                f"{wid} DATABASE_URL is PostgreSQL (from a Secret or a postgres:// URL)", f"{db!r}")
        _, jwks = setting(env, svc, "JWKS_FILE", None)
        _, pem = setting(env, svc, "JWT_PUBLIC_KEY_FILE", None)
        keyfile = jwks or pem
        mounts = {m["mountPath"].rstrip("/"): m for m in c.get("volumeMounts") or []}
        r.check(bool(keyfile) and os.path.dirname(keyfile) in mounts,
                f"{wid} reads its JWT keys from a mounted file", f"key file {keyfile!r}, mounts {sorted(mounts)}")
        if keyfile and os.path.dirname(keyfile) in mounts:
            m = mounts[os.path.dirname(keyfile)]
            vol = next((v for v in spec.get("volumes") or [] if v["name"] == m["name"]), {})
            r.check("secret" in vol and m.get("readOnly") is True,
                    f"{wid} JWT key volume is a read-only Secret mount")
        tmp = mounts.get("/tmp")
        vol = next((v for v in spec.get("volumes") or [] if tmp and v["name"] == tmp["name"]), {})
        r.check("emptyDir" in vol, f"{wid} has an emptyDir at /tmp")
        _, fmt = setting(env, svc, "LOG_FORMAT", "json")
        r.check(fmt == ("text" if overlay == "dev" else "json"),
                f"{wid} logs as {'text' if overlay == 'dev' else 'json'}", f"SYMBOLON_LOG_FORMAT={fmt}")
        r.check(isinstance(env.get("OTEL_EXPORTER_OTLP_ENDPOINT"), str),
                f"{wid} sets OTEL_EXPORTER_OTLP_ENDPOINT")
        for (caller, callee), var in CALL_ENV.items():
            if caller != name:
                continue
            url = env.get(var)
            target = SERVICES[callee]
            ok = isinstance(url, str) and urlparse(url).hostname in (
                callee, f"{callee}.{ns}", f"{callee}.{ns}.svc", f"{callee}.{ns}.svc.cluster.local"
            ) and urlparse(url).port == target.port
            r.check(ok, f"{wid} {var} points at the {callee} Service", f"{var}={url!r}")
        listen = env.get("SYMBOLON_LISTEN_ADDR", f"0.0.0.0:{svc.port}")
        r.check(isinstance(listen, str) and listen.endswith(f":{svc.port}"),
                f"{wid} listens on the port its probes and Service use", f"{listen!r}")

    # --- services -------------------------------------------------------------------------
    def services(self, objs, idx):
        r = self.r
        pods = idx["pod_templates"]
        for s in idx["services"]:
            ns = s["metadata"].get("namespace")
            sid = kind_id(s)
            sel = s["spec"].get("selector")
            targets = [(w, t) for (w, t) in pods if w["metadata"].get("namespace") == ns
                       and sel and selector_matches({"matchLabels": sel}, labels_of(t))]
            r.check(len(targets) >= 1, f"{sid} selects a rendered workload")
            grpc_targets = [(w, t) for (w, t) in targets
                            if labels_of(t).get(GRPC_SERVER[0]) == GRPC_SERVER[1]]
            if not grpc_targets:
                continue
            ports = s["spec"].get("ports") or []
            w, t = grpc_targets[0]
            svc = SERVICES.get(w["metadata"]["name"])
            gp = [p for p in ports if p.get("name") == "grpc"]
            r.check(len(gp) == 1 and len(ports) == 1, f"{sid} has exactly one port, named grpc", f"{ports}")
            if gp:
                p = gp[0]
                r.check(p.get("appProtocol") == "grpc", f"{sid} port grpc has appProtocol grpc")
                cports = {cp.get("name"): cp["containerPort"] for c in t["spec"]["containers"]
                          for cp in c.get("ports") or []}
                tp = p.get("targetPort", p["port"])
                r.check(cports.get(tp, tp) == svc.port if isinstance(tp, str) else tp == svc.port,
                        f"{sid} targets the container's grpc port")
                r.check(p["port"] == svc.port, f"{sid} listens on {svc.port}")
        for name, svc in SERVICES.items():
            mine = [s for s in idx["services"] if (s["spec"].get("selector") or {}).get("app.kubernetes.io/name") == name]
            if not mine and not any(d["metadata"]["name"] == name for d in idx["deployments"]):
                continue
            r.check(any(s["metadata"]["name"] == name and s["spec"].get("clusterIP") != "None" for s in mine),
                    f"Deployment/{name} has a ClusterIP Service named {name}")
            r.check(any(s["spec"].get("clusterIP") == "None" for s in mine),
                    f"Deployment/{name} has a headless Service for client-side balancing")

    # --- network policies -----------------------------------------------------------------
    def network(self, objs, idx):
        r = self.r
        namespaces = {n["metadata"]["name"]: labels_of(n) for n in idx["namespaces"]}
        np = NetPol(objs, namespaces)
        servers = {d["metadata"]["name"]: d for d in idx["deployments"]
                   if labels_of(pod_template(d)).get(GRPC_SERVER[0]) == GRPC_SERVER[1]}
        if not servers:
            return
        ns = next(iter(servers.values()))["metadata"]["namespace"]
        deny = [p for p in np.policies if p["metadata"].get("namespace") == ns
                and p["spec"].get("podSelector") in ({}, None)
                and set(p["spec"].get("policyTypes") or []) == {"Ingress", "Egress"}
                and not p["spec"].get("ingress") and not p["spec"].get("egress")]
        r.check(len(deny) == 1, f"namespace {ns} has a default-deny NetworkPolicy (ingress and egress)")
        for p in np.policies:
            for rule in p["spec"].get("ingress") or []:
                for peer in rule.get("from") or []:
                    cidr = (peer.get("ipBlock") or {}).get("cidr")
                    r.check(cidr not in ("0.0.0.0/0", "::/0"),
                            f"NetworkPolicy/{p['metadata']['name']} admits no ingress from everywhere")
            if "ingress" in p["spec"]:
                r.check(all(rule.get("from") for rule in p["spec"]["ingress"]),
                        f"NetworkPolicy/{p['metadata']['name']} names its ingress sources")

        def pod_of(d):
            t = pod_template(d)
            ports = {cp.get("name"): cp["containerPort"] for c in t["spec"]["containers"]
                     for cp in c.get("ports") or []}
            return Pod(d["metadata"]["namespace"], labels_of(t), ports, f"{d['metadata']['name']} pod")

        pods = {n: pod_of(d) for n, d in servers.items()}
        client = Pod(ns, dict(CLIENT_LABELS), desc="client pod (symbolon/client=true)")
        stranger = Pod(ns, {"app": "stranger"}, desc="unlabelled pod in the namespace")
        foreign_client = Pod("default", dict(CLIENT_LABELS), desc="client-labelled pod in another namespace")
        sources = {"client": client, "stranger": stranger, "foreign": foreign_client, **pods}
        for dst_name, dst in pods.items():
            port = SERVICES[dst_name].port
            for src_name, src in sources.items():
                if src_name == dst_name:
                    continue
                expect = src_name == "client" or (src_name, dst_name) in CALLS
                got = np.allowed(src, dst, port)
                r.check(got == expect,
                        f"{src.desc} -> {dst_name}:{port} is {'allowed' if expect else 'denied'}",
                        f"network policies {'allow' if got else 'deny'} it")
            r.check(not np.allowed(client, dst, 8080), f"client pod -> {dst_name}:8080 (not the gRPC port) is denied")
        # Egress of each service.
        dns = Pod("kube-system", {"k8s-app": "kube-dns"}, desc="kube-dns")
        cnpg = [c for c in idx["crs"] if c.get("kind") == "Cluster"]
        dev_pg = [s for s in objs if s.get("kind") == "StatefulSet"
                  and labels_of(pod_template(s)).get("app.kubernetes.io/name") == "postgres"]
        collectors = [d for d in idx["deployments"] if labels_of(pod_template(d)).get("app.kubernetes.io/name") == "otel-collector"]
        internet = Pod("", {}, desc="an outside address", ip="203.0.113.10")
        for name, src in pods.items():
            r.check(np.allowed(src, dns, 53, "UDP") and np.allowed(src, dns, 53, "TCP"),
                    f"{name} pod -> cluster DNS 53/UDP+TCP is allowed")
            if cnpg:
                pg = Pod(ns, {"cnpg.io/cluster": cnpg[0]["metadata"]["name"]}, desc="CNPG instance")
                r.check(np.allowed(src, pg, 5432), f"{name} pod -> CNPG instances :5432 is allowed")
                r.check(not np.allowed(src, Pod("", {}, ip="203.0.113.20"), 5432),
                        f"{name} pod -> outside PostgreSQL :5432 is denied when CNPG is used")
            elif dev_pg:
                pg = Pod(ns, labels_of(pod_template(dev_pg[0])), {"postgres": 5432}, desc="dev PostgreSQL")
                r.check(np.allowed(src, pg, 5432), f"{name} pod -> dev PostgreSQL :5432 is allowed")
            else:
                r.check(np.allowed(src, Pod("", {}, ip="203.0.113.20"), 5432),
                        f"{name} pod -> an external PostgreSQL :5432 is allowed")
            col = (Pod(collectors[0]["metadata"]["namespace"], labels_of(pod_template(collectors[0])), desc="collector")
                   if collectors else Pod("observability", {"app.kubernetes.io/name": "otel-collector"}, desc="collector"))
            r.check(np.allowed(src, col, 4317), f"{name} pod -> OTLP collector :4317 is allowed")
            r.check(not np.allowed(src, internet, 443), f"{name} pod -> the internet :443 is denied")
            r.check(not np.allowed(src, stranger, 80), f"{name} pod -> other pods in the namespace is denied")
            if idx["istio"]:
                istiod = Pod("istio-system", {"app": "istiod"}, desc="istiod")
                r.check(np.allowed(src, istiod, 15012), f"{name} pod -> istiod :15012 is allowed")
            if idx["linkerd"]:
                ctl = Pod("linkerd", {}, desc="linkerd control plane")
                for p in (8080, 8086, 8090):
                    r.check(np.allowed(src, ctl, p), f"{name} pod -> linkerd control plane :{p} is allowed")
        if cnpg:
            pg = Pod(ns, {"cnpg.io/cluster": cnpg[0]["metadata"]["name"]}, desc="CNPG instance")
            op = Pod("cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}, desc="CNPG operator")
            r.check(np.allowed(op, pg, 8000) and np.allowed(op, pg, 5432),
                    "CNPG operator -> instances :8000 and :5432 is allowed")
            r.check(np.allowed(pg, pg, 5432), "CNPG instance -> instance :5432 (replication) is allowed")
            r.check(np.allowed(pg, Pod("", {}, ip="10.0.0.1"), 443), "CNPG instance -> Kubernetes API :443 is allowed")
            r.check(not np.allowed(stranger, pg, 5432), "unlabelled pod -> CNPG instances :5432 is denied")
        if dev_pg:
            pg = Pod(ns, labels_of(pod_template(dev_pg[0])), {"postgres": 5432})
            r.check(not np.allowed(stranger, pg, 5432), "unlabelled pod -> dev PostgreSQL :5432 is denied")
        if collectors:
            col = Pod(collectors[0]["metadata"]["namespace"], labels_of(pod_template(collectors[0])))
            r.check(not np.allowed(Pod("default", {}), col, 4317), "a pod outside the symbolon namespace -> collector :4317 is denied")

    # --- Istio ----------------------------------------------------------------------------
    def istio(self, idx):
        r = self.r
        if not idx["istio"]:
            return
        servers = [d for d in idx["deployments"] if labels_of(pod_template(d)).get(GRPC_SERVER[0]) == GRPC_SERVER[1]]
        ns = servers[0]["metadata"]["namespace"]
        crs = idx["crs"]
        pa = [c for c in crs if c["kind"] == "PeerAuthentication" and c["metadata"].get("namespace") == ns]
        r.check(any(not c["spec"].get("selector") and (c["spec"].get("mtls") or {}).get("mode") == "STRICT" for c in pa),
                f"Istio: a namespace-wide PeerAuthentication in {ns} is STRICT")
        aps = [c for c in crs if c["kind"] == "AuthorizationPolicy" and c["metadata"].get("namespace") == ns]
        r.check(any(not c.get("spec") for c in aps), f"Istio: an allow-nothing AuthorizationPolicy denies by default in {ns}")
        sa_of = {d["metadata"]["name"]: pod_template(d)["spec"].get("serviceAccountName") for d in servers}
        for d in servers:
            name = d["metadata"]["name"]
            svc = SERVICES[name]
            r.check(labels_of(pod_template(d)).get("sidecar.istio.io/inject") == "true",
                    f"Istio: Deployment/{name} pods carry the sidecar injection label")
            expected = {f"cluster.local/ns/{ns}/sa/{CLIENT_SERVICE_ACCOUNT}"} | {
                f"cluster.local/ns/{ns}/sa/{sa_of[c]}" for (c, callee) in CALLS if callee == name}
            allowed, ports_ok = set(), True
            for ap in aps:
                spec = ap.get("spec") or {}
                if not spec or spec.get("action", "ALLOW") != "ALLOW":
                    continue
                if not selector_matches(spec.get("selector") or {}, labels_of(pod_template(d))):
                    continue
                for rule in spec.get("rules") or []:
                    for f in rule.get("from") or [{}]:
                        src = f.get("source") or {}
                        if set(src) - {"principals"}:
                            ports_ok = False  # namespaces, ipBlocks, ... would widen it
                        allowed |= set(src.get("principals") or ["*"])
                    for t in rule.get("to") or [{}]:
                        if (t.get("operation") or {}).get("ports") != [str(svc.port)]:
                            ports_ok = False
            r.check(allowed == expected, f"Istio: {name} admits exactly the identities the network policies admit",
                    f"allows {sorted(allowed)}, expected {sorted(expected)}")
            r.check(ports_ok, f"Istio: {name} ALLOW rules are limited to principals on port {svc.port}")
            host = f"{name}.{ns}.svc.cluster.local"
            drs = [c for c in crs if c["kind"] == "DestinationRule" and c["spec"].get("host") in (host, name, f"{name}.{ns}")]
            if r.check(len(drs) == 1, f"Istio: one DestinationRule for {host}"):
                tp = drs[0]["spec"].get("trafficPolicy") or {}
                lb = tp.get("loadBalancer") or {}
                r.check(lb.get("simple") in ("LEAST_REQUEST", "ROUND_ROBIN", "RANDOM") or "consistentHash" in lb,
                        f"Istio: {name} balances each request across endpoints", f"loadBalancer {lb}")
                r.check((tp.get("tls") or {}).get("mode") == "ISTIO_MUTUAL", f"Istio: {name} traffic uses ISTIO_MUTUAL")
                http = (tp.get("connectionPool") or {}).get("http") or {}
                r.check(http.get("h2UpgradePolicy") in (None, "DEFAULT", "UPGRADE"),
                        f"Istio: {name} keeps HTTP/2 (h2UpgradePolicy is not DO_NOT_UPGRADE)")

    # --- Linkerd --------------------------------------------------------------------------
    def linkerd(self, idx):
        r = self.r
        if not idx["linkerd"]:
            return
        servers = [d for d in idx["deployments"] if labels_of(pod_template(d)).get(GRPC_SERVER[0]) == GRPC_SERVER[1]]
        ns = servers[0]["metadata"]["namespace"]
        profiles = {c["metadata"]["name"]: c for c in idx["crs"] if c["kind"] == "ServiceProfile"}
        forbidden_samples = ["Create", "Update", "Delete", "Undelete", "Record", "CallForFire", "SignRelease",
                             "Watch", "Reserve", "Dispatch", "Import", "Append", "Acknowledge", "Close"]
        for d in servers:
            name = d["metadata"]["name"]
            svc = SERVICES[name]
            ann = pod_template(d)["metadata"].get("annotations") or {}
            r.check(ann.get("linkerd.io/inject") == "enabled", f"Linkerd: Deployment/{name} pods are injected")
            host = f"{name}.{ns}.svc.cluster.local"
            sp = profiles.get(host)
            if not r.check(sp is not None, f"Linkerd: a ServiceProfile named {host}"):
                continue
            routes = sp["spec"].get("routes") or []
            retryable = [re.compile(rt["condition"]["pathRegex"] + r"\Z") for rt in routes
                         if rt.get("isRetryable") and "pathRegex" in (rt.get("condition") or {})]
            r.check(all(rt.get("condition", {}).get("pathRegex") for rt in routes if rt.get("isRetryable")),
                    f"Linkerd: {name} retryable routes are selected by path")
            methods = self.methods.get(svc.package) or {}
            if methods:
                paths = [(f"/{svc.package}.{s}/{m}", m) for s, ms in methods.items() for m in ms]
                source = "proto/"
            else:
                short = svc.health.rsplit(".", 1)[1]
                paths = [(f"/{svc.package}.{short}/{v}Thing", f"{v}Thing")
                         for v in ["Get", "List", "BatchGet"] + forbidden_samples]
                source = "sample method names (no proto for this package yet)"
            for path, method in paths:
                read = re.match(r"(Get|List|BatchGet)[A-Z]", method) is not None
                hit = any(rx.match(path) for rx in retryable)
                r.check(hit == read, f"Linkerd: {path} is {'retryable' if read else 'not retryable'} ({source})")
            budget = sp["spec"].get("retryBudget") or {}
            r.check(0 < float(budget.get("retryRatio", 0)) <= 0.2 and budget.get("ttl"),
                    f"Linkerd: {name} retries are bounded by a retry budget (<= 20%)")

    # --- CloudNativePG --------------------------------------------------------------------
    def cnpg(self, idx, overlay):
        r = self.r
        clusters = [c for c in idx["crs"] if c["kind"] == "Cluster"]
        if not clusters:
            return
        r.check(len(clusters) == 1, "CNPG: one Cluster")
        cl = clusters[0]
        cname = cl["metadata"]["name"]
        spec = cl["spec"]
        r.check(spec.get("instances", 1) >= (1 if overlay == "dev" else 3), f"CNPG: Cluster/{cname} is highly available (3 instances)")
        ok, why = image_pinned(spec.get("imageName", "missing:latest"))
        r.check(ok, f"CNPG: Cluster/{cname} image is pinned", why)
        r.check(bool((spec.get("storage") or {}).get("size")), f"CNPG: Cluster/{cname} has persistent storage")
        roles = {x["name"]: x for x in (spec.get("managed") or {}).get("roles") or []}
        dbs = {c["spec"]["name"]: c for c in idx["crs"] if c["kind"] == "Database"}
        owners = set()
        for d in idx["deployments"]:
            name = d["metadata"]["name"]
            if name not in SERVICES:
                continue
            svc = SERVICES[name]
            role = roles.get(svc.database)
            r.check(role is not None and role.get("login") and (role.get("passwordSecret") or {}).get("name")
                    == f"symbolon-pg-{svc.database}",
                    f"CNPG: login role {svc.database} with its password Secret symbolon-pg-{svc.database}")
            db = dbs.get(svc.database)
            r.check(db is not None and db["spec"].get("owner") == svc.database
                    and (db["spec"].get("cluster") or {}).get("name") == cname,
                    f"CNPG: Database {svc.database} owned by {svc.database} in {cname}")
            c = pod_template(d)["spec"]["containers"][0]
            env = env_of(c, idx["configmaps"], d["metadata"]["namespace"])
            url = env.get("DATABASE_URL")
            u = urlparse(url) if isinstance(url, str) else None
            r.check(u is not None and u.hostname in (f"{cname}-rw", f"{cname}-rw.{d['metadata']['namespace']}",
                                                     f"{cname}-rw.{d['metadata']['namespace']}.svc")
                    and u.path == f"/{svc.database}" and u.port == 5432,
                    f"CNPG: {name} connects to {cname}-rw:5432/{svc.database}", f"DATABASE_URL={url!r}")
            r.check(env.get("PGUSER") == ("secret", f"symbolon-pg-{svc.database}", "username")
                    and env.get("PGPASSWORD") == ("secret", f"symbolon-pg-{svc.database}", "password"),
                    f"CNPG: {name} takes PGUSER/PGPASSWORD from symbolon-pg-{svc.database}")
            owners.add(svc.database)
        r.check(len(owners) == len([n for n in SERVICES if any(d['metadata']['name'] == n for d in idx['deployments'])]),
                "CNPG: every service owns a separate database")
        # Connection budget: every replica the HPAs may start holds a full pool.
        pool = postgres_pool_size(self.root)
        peak = sum(h["spec"].get("maxReplicas", 1) * pool for h in idx["hpas"]
                   if h["spec"]["scaleTargetRef"].get("name") in SERVICES)
        max_conn = int(((spec.get("postgresql") or {}).get("parameters") or {}).get("max_connections", 100))
        r.check(peak + 20 <= max_conn,
                f"CNPG: max_connections ({max_conn}) covers every HPA maximum x {pool} pooled connections "
                f"({peak}) plus 20 for the operator and replication")

    # --- OpenTelemetry Collector ----------------------------------------------------------
    def otel(self, idx):
        r = self.r
        collectors = [d for d in idx["deployments"] if labels_of(pod_template(d)).get("app.kubernetes.io/name") == "otel-collector"]
        if not collectors:
            return
        d = collectors[0]
        ns = d["metadata"]["namespace"]
        spec = pod_template(d)["spec"]
        cfg_vol = next((v for v in spec.get("volumes") or [] if "configMap" in v), None)
        cm = idx["configmaps"].get((ns, cfg_vol["configMap"]["name"])) if cfg_vol else None
        if not r.check(cm is not None, "OTel: the collector's configuration ConfigMap is rendered"):
            return
        text = next(iter((cm.get("data") or {}).values()), "")
        try:
            cfg = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            r.check(False, "OTel: collector configuration is YAML", str(e))
            return
        grpc = ((cfg.get("receivers") or {}).get("otlp") or {}).get("protocols", {}).get("grpc") or {}
        r.check(str(grpc.get("endpoint", "")).endswith(":4317"), "OTel: the collector receives OTLP/gRPC on 4317")
        pipes = (cfg.get("service") or {}).get("pipelines") or {}
        traces = pipes.get("traces") or {}
        r.check("otlp" in (traces.get("receivers") or []), "OTel: the traces pipeline takes OTLP")
        exporters = [e for e in traces.get("exporters") or [] if not e.startswith("debug")]
        r.check(bool(exporters) and all(e in (cfg.get("exporters") or {}) for e in exporters),
                "OTel: the traces pipeline forwards to a configured backend exporter")
        for name, p in pipes.items():
            procs = p.get("processors") or []
            r.check(bool(procs) and procs[0] == "memory_limiter", f"OTel: pipeline {name} starts with memory_limiter")
        svcs = [s for s in idx["services"] if s["metadata"].get("namespace") == ns
                and selector_matches({"matchLabels": s["spec"].get("selector") or {}}, labels_of(pod_template(d)))]
        endpoints = {f"{s['metadata']['name']}.{ns}:{p['port']}" for s in svcs for p in s["spec"]["ports"]}
        endpoints |= {f"{s['metadata']['name']}.{ns}.svc:{p['port']}" for s in svcs for p in s["spec"]["ports"]}
        endpoints |= {f"{s['metadata']['name']}.{ns}.svc.cluster.local:{p['port']}" for s in svcs for p in s["spec"]["ports"]}
        for dep in idx["deployments"]:
            if dep["metadata"]["name"] not in SERVICES:
                continue
            c = pod_template(dep)["spec"]["containers"][0]
            ep = env_of(c, idx["configmaps"], dep["metadata"]["namespace"]).get("OTEL_EXPORTER_OTLP_ENDPOINT")
            u = urlparse(ep) if isinstance(ep, str) else None
            r.check(u is not None and f"{u.hostname}:{u.port}" in endpoints,
                    f"OTel: {dep['metadata']['name']} exports to the collector Service", f"{ep!r} not in {sorted(endpoints)}")

    # --- everything for one rendered overlay ----------------------------------------------
    def run(self, objs, overlay):
        r = self.r
        idx = {
            "configmaps": {}, "secrets": {}, "serviceaccounts": {}, "services": [], "deployments": [],
            "pdbs": [], "hpas": [], "namespaces": [], "crs": [], "pod_templates": [],
        }
        for o in objs:
            k, md = o.get("kind"), o.get("metadata", {})
            key = (md.get("namespace"), md.get("name"))
            if k not in CLUSTER_SCOPED:
                r.check(bool(md.get("namespace")), f"{kind_id(o)} has a namespace")
            if k == "ConfigMap":
                idx["configmaps"][key] = o
            elif k == "Secret":
                idx["secrets"][key] = o
            elif k == "ServiceAccount":
                idx["serviceaccounts"][key] = o
            elif k == "Service":
                idx["services"].append(o)
            elif k == "PodDisruptionBudget":
                idx["pdbs"].append(o)
            elif k == "HorizontalPodAutoscaler":
                idx["hpas"].append(o)
            elif k == "Namespace":
                idx["namespaces"].append(o)
            elif (group_of(o), k) in CRD_KINDS:
                idx["crs"].append(o)
            if k == "Deployment":
                idx["deployments"].append(o)
            if k in WORKLOAD_KINDS:
                idx["pod_templates"].append((o, pod_template(o)))
        idx["istio"] = any(group_of(c).endswith("istio.io") for c in idx["crs"])
        idx["linkerd"] = any(c["kind"] == "ServiceProfile" for c in idx["crs"])

        used_ns = {o["metadata"].get("namespace") for o in objs if o.get("kind") in WORKLOAD_KINDS}
        for ns in sorted(n for n in used_ns if n):
            nso = next((n for n in idx["namespaces"] if n["metadata"]["name"] == ns), None)
            r.check(nso is not None and labels_of(nso).get("pod-security.kubernetes.io/enforce") == "restricted",
                    f"Namespace {ns} is rendered and enforces the restricted Pod Security Standard")
        servers = [d for d in idx["deployments"] if labels_of(pod_template(d)).get(GRPC_SERVER[0]) == GRPC_SERVER[1]]
        r.check(sorted(d["metadata"]["name"] for d in servers) == sorted(SERVICES),
                f"the three services are deployed", f"found {[d['metadata']['name'] for d in servers]}")
        self.schema(objs)
        self.workloads(objs, idx, overlay)
        self.services(objs, idx)
        self.network(objs, idx)
        self.istio(idx)
        self.linkerd(idx)
        self.cnpg(idx, overlay)
        self.otel(idx)
        r.check(not any(re.search(r"(^|[/\s])[\w.-]+:latest\b", str(c.get("spec", {}).get("imageName", "")))
                        for c in idx["crs"]), "no custom resource uses a :latest image")


def self_test(report: Report):
    """The schema validator must reject what it should: otherwise every pass is vacuous."""
    report.scope = "self-test"
    if kubernetes_validate is None:
        report.check(False, "kubernetes-validate is importable")
        return
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"replicas": "two", "selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "i:1", "readinessprobe": {}}]}}}}
    for v in SCHEMA_VERSIONS:
        try:
            kubernetes_validate.validate(bad, v, strict=True)
            report.check(False, f"the Kubernetes {v[:-2]} schema rejects a malformed Deployment", "it was accepted")
        except ValidationError:
            report.check(True, f"the Kubernetes {v[:-2]} schema rejects a malformed Deployment")
    np = NetPol([], {})
    report.check(np.allowed(Pod("a", {}), Pod("a", {}), 1), "network evaluator: no policy means allowed")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kubectl", default="kubectl")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--out", help="directory to write the rendered manifests to")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    report = Report(args.verbose)
    self_test(report)
    methods = proto_methods(args.root)
    k8s = os.path.join(args.root, "k8s")
    targets = [("base", os.path.join(k8s, "base"))]
    overlays_dir = os.path.join(k8s, "overlays")
    for name in sorted(os.listdir(overlays_dir)):
        if os.path.isfile(os.path.join(overlays_dir, name, "kustomization.yaml")):
            targets.append((name, os.path.join(overlays_dir, name)))
    report.scope = "layout"
    present = {n for n, _ in targets}
    for needed in ("dev", "istio", "linkerd", "cloudnative-pg"):
        report.check(needed in present, f"overlay {needed} exists")
    report.check(os.path.isfile(os.path.join(k8s, "components", "otel-collector", "kustomization.yaml")),
                 "component otel-collector exists")

    for name, path in targets:
        report.scope = name
        proc = subprocess.run([args.kubectl, "kustomize", path], capture_output=True, text=True)
        if not report.check(proc.returncode == 0, f"kubectl kustomize {os.path.relpath(path, args.root)} renders",
                            proc.stderr.strip()):
            continue
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            with open(os.path.join(args.out, f"{name}.yaml"), "w") as f:
                f.write(proc.stdout)
        try:
            objs = [o for o in yaml.safe_load_all(proc.stdout) if o]
        except yaml.YAMLError as e:
            report.check(False, "rendered output is YAML", str(e))
            continue
        Checker(report, args.root, methods).run(objs, name)
        print(f"[{name}] {len(objs)} objects checked")

    print(f"k8s: {report.passed} passed, {report.failed} failed")
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main()
