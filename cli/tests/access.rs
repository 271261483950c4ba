//! The declared access policy against the contracts: every RPC of every service has
//! exactly one rule, `docs/access.md` is the policy, and each RPC's proto comment
//! states its rule. `SYMBOLON_BLESS=1` rewrites the document and the comments.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
use common::policies;
use std::path::{Path, PathBuf};
use symbolon_platform::access::{self, ServicePolicy};

/// Every Symbolon service the deployables serve (the bench echo server is no part).
const SERVICES: &[&str] = &[
    "symbolon.customers.v1.CustomersService",
    "symbolon.customers.v1.IncidentsService",
    "symbolon.customers.v1.CommitmentsService",
    "symbolon.customers.v1.DashboardService",
    "symbolon.quality.v1.QualityService",
    "symbolon.labs.v1.LabsService",
    "symbolon.supplychain.v1.SupplyChainService",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The last section of `docs/access.md`: what the generated tests assert of the policy.
const VERIFIED: &str = "
## How the policy is tested

Generated from the descriptor set and run against the real services (loopback, SQLite
and PostgreSQL); a method added to a contract is covered, or fails the test, without
anyone writing a case for it.

- `cli/tests/policy_matrix.rs`, roles: every method × twelve callers (each vendor role,
  three departments, both customer roles, an unknown role, no roles, no token). No
  token is UNAUTHENTICATED; a caller the rule does not admit is PERMISSION_DENIED with
  exactly the rule's roles in the message; an admitted caller gets past the guard.
- `cli/tests/policy_matrix/tenancy.rs`, tenancy: two tenants with one seeded resource of
  every kind (customer, site, key person, touchpoint, incident, fire request,
  commitment, lab, member, proposal, test plan, test run, release, quality report).
  Every method naming a resource (`name`, `parent`, a `customer` or `site` field, an
  updated resource's `name`) is called by each tenant-A caller its rule admits against
  tenant B's resource of its kind: NOT_FOUND, never PERMISSION_DENIED or OK; the same
  request on its own resource gets past validation and is not NOT_FOUND; no answer of a
  tenant-A call, lists and streams included, carries a row of B; and everything the
  admin reads of B is unchanged afterwards. A lab's non-members (a person of its
  customer, vendor staff) get NOT_FOUND from every lab method. Methods no tenant-A
  caller may call are exempted, each with its reason; a method neither checked nor
  exempted fails the test. Also: only the incident's frontline owner or an admin calls
  for fire, only the fire request's department acknowledges or fulfils it, and refused
  customer creates and deletes change nothing.
- `cli/tests/request_id_matrix.rs`, request ids: every method whose request has a
  `request_id`, or whose stream's first message has one (InspectLive: the request is
  the whole stream); a table entry per method, and a method without one fails the test. With
  one id R: R with body A is OK and creates one resource; R with A again answers the
  same bytes and creates nothing; R with a body B is INVALID_ARGUMENT, reason
  `REQUEST_ID_REUSED`, one violation of `request_id`, and creates nothing; R with A
  under another parent, or from another organisation, creates its own resource and
  never returns the first.
";

fn bless() -> bool {
    std::env::var_os("SYMBOLON_BLESS").is_some()
}

#[test]
fn every_method_of_every_service_has_exactly_one_rule() {
    let problems = access::undeclared(
        &policies(),
        symbolon_contracts::FILE_DESCRIPTOR_SET,
        SERVICES,
    )
    .expect("descriptor set");
    assert!(
        problems.is_empty(),
        "policy and contracts disagree:\n{problems:#?}"
    );
    let methods: usize = policies().iter().map(|p| p.rules.len()).sum();
    assert_eq!(
        methods, 138,
        "the suite's RPC count changed: check the policies"
    );
}

#[test]
fn no_rule_admits_nobody_and_customers_never_reach_vendor_data() {
    use symbolon_platform::access::{Grant, Tenancy};
    use symbolon_platform::auth::RoleKind;
    for p in policies() {
        for r in p.rules {
            assert!(
                !r.roles.is_empty(),
                "{}/{} admits nobody",
                p.service,
                r.method
            );
            let customers = r
                .roles
                .iter()
                .any(|g| matches!(g, Grant::Kind(k) if k.is_customer()));
            assert!(
                !(customers && r.tenancy == Tenancy::Vendor),
                "{}/{}: a customer role reaches vendor-internal data",
                p.service,
                r.method
            );
            // Analysts read, never write: no rule of a writing method admits them.
            let writes = [
                "Create",
                "Update",
                "Delete",
                "Undelete",
                "Set",
                "Import",
                "Activate",
                "Record",
                "Append",
                "Stream",
                "Release",
                "Dispatch",
                "Resolve",
                "Review",
                "Sign",
                "Publish",
                "Register",
                "Approve",
                "Revise",
                "Open",
                "Call",
                "Close",
                "Cancel",
                "Acknowledge",
                "Fulfil",
            ];
            if writes.iter().any(|w| r.method.starts_with(w))
                && p.service != "symbolon.labs.v1.LabsService"
                && p.service != "symbolon.quality.v1.QualityService"
            {
                assert!(
                    !r.roles.contains(&Grant::Kind(RoleKind::Analyst)),
                    "{}/{}: analysts never write",
                    p.service,
                    r.method
                );
            }
        }
    }
}

#[test]
fn docs_access_md_is_generated_from_the_policy() {
    let path = root().join("docs/access.md");
    let want = format!("{}{VERIFIED}", access::markdown(&policies()));
    if bless() {
        std::fs::write(&path, &want).expect("write docs/access.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/access.md is stale: run SYMBOLON_BLESS=1 cargo test -p symbolon --test access"
    );
}

/// Rewrites the `// Access:` line of each RPC's comment block in `text`.
fn with_access_comments(text: &str, policy: &ServicePolicy) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("rpc ")
            && let Some(name) = rest.split('(').next()
            && let Some(rule) = policy.rule(name.trim())
        {
            let indent = &line[..line.len() - trimmed.len()];
            // Drop a stale Access line of this block, then state the rule last.
            let mut i = out.len();
            while i > 0 && out[i - 1].trim_start().starts_with("//") {
                i -= 1;
                if out[i].trim_start().starts_with("// Access:") {
                    out.remove(i);
                }
            }
            out.push(format!("{indent}// {}", access::comment(rule)));
        }
        out.push(line.to_string());
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

#[test]
fn each_rpc_comment_states_its_rule() {
    let files = [
        (
            "customers/v1/customers_service.proto",
            "symbolon.customers.v1.CustomersService",
        ),
        (
            "customers/v1/incidents.proto",
            "symbolon.customers.v1.IncidentsService",
        ),
        (
            "customers/v1/commitments.proto",
            "symbolon.customers.v1.CommitmentsService",
        ),
        (
            "customers/v1/dashboard.proto",
            "symbolon.customers.v1.DashboardService",
        ),
        (
            "quality/v1/quality_service.proto",
            "symbolon.quality.v1.QualityService",
        ),
        ("labs/v1/labs_service.proto", "symbolon.labs.v1.LabsService"),
        (
            "supplychain/v1/supply_chain_service.proto",
            "symbolon.supplychain.v1.SupplyChainService",
        ),
    ];
    let all = policies();
    let mut stale = Vec::new();
    for (file, service) in files {
        let path = root().join("proto/symbolon").join(file);
        let have = std::fs::read_to_string(&path).expect("proto file");
        let policy = all
            .iter()
            .find(|p| p.service == service)
            .expect("policy of the service");
        let want = with_access_comments(&have, policy);
        if want != have {
            if bless() {
                std::fs::write(&path, &want).expect("write proto");
            } else {
                stale.push(file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "proto comments do not state the policy in {stale:?}: run SYMBOLON_BLESS=1 cargo test -p symbolon --test access"
    );
}
