//! The declared policy against the real services, generated from the descriptor set:
//! every method of every service × every kind of caller (each vendor role, a department,
//! both customer roles, an unknown role, no roles, no token), on SQLite and PostgreSQL.
//!
//! Asserted, for each call (an empty request message; streams send one and close):
//! - a method without a rule fails the test;
//! - no token is UNAUTHENTICATED;
//! - a caller whose roles the rule does not admit is PERMISSION_DENIED, before any
//!   handler runs (an unknown role or none admits nothing);
//! - a caller the rule admits gets past the guard: never UNAUTHENTICATED, and never
//!   PERMISSION_DENIED where the rule's tenancy adds no check of its own (the handler
//!   may still answer INVALID_ARGUMENT or NOT_FOUND to an empty request).
//!
//! - a refusal by role names exactly the roles that may call (`admin` only, say: never
//!   a role the rule does not admit).
//!
//! Then tenancy, generated: see `policy_matrix/tenancy.rs` (every method naming a
//! resource, called by tenant A's callers against tenant B's seeded resource of its
//! kind, is NOT_FOUND; lists and streams carry no row of B; the incident-owner and
//! department rules).
//!
//! Printed (past the harness's capture): the number of calls per back end, the methods
//! checked for tenancy and the exemptions.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
use common::policies;
use prost::Message;
use prost_types::FileDescriptorSet;
use std::io::Write;
use std::{net::SocketAddr, time::Duration};
use symbolon_contracts::customers::v1::{
    self as pb, customers_service_client::CustomersServiceClient,
};
use symbolon_customers::CustomersConfig;
use symbolon_labs::LabsConfig;
use symbolon_platform::{
    access::{ServicePolicy, Tenancy, role_list},
    auth::{Org, Role},
};
use symbolon_supplychain::SupplyChainConfig;
use symbolon_testkit::{Api, Backend, Keys, TestDb, at, channel, server_config};
use symbolon_testkit::{Raw, authed};

#[path = "policy_matrix/tenancy.rs"]
mod tenancy;
use tonic::{Code, Request, Status, transport::Channel};
use tonic_prost::ProstCodec;

/// Two customers with a site, a key person and a touchpoint each.
async fn seed(ch: Channel, admin: &str) {
    let crm = at(&ch, admin);
    for c in ["acme", "other"] {
        symbolon_testkit::seed_tenant(&crm, c, &[("anna", "Anna Weber", format!("anna@{c}"))])
            .await;
        let parent = format!("customers/{c}");
        crm.call(pb::RecordTouchpointRequest {
            parent: parent.clone(),
            touchpoint: Some(pb::Touchpoint {
                kind: pb::TouchpointKind::Meeting as i32,
                key_person: format!("{parent}/keyPersons/anna"),
                occur_time: Some(prost_types::Timestamp {
                    seconds: 1_760_000_000,
                    nanos: 0,
                }),
                summary: "Quarterly review".into(),
                emotional_state: Some(pb::EmotionalState {
                    mood: pb::Mood::Concerned as i32,
                    intensity: 3,
                }),
                strategic_anxiety: "Outages before the regulator's audit".into(),
                implicit_expectations: vec!["Spare parts within the hour".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await;
    }
}

/// One kind of caller: its token (none: no header) and the roles it holds.
struct Caller {
    what: &'static str,
    token: Option<String>,
    roles: Vec<Role>,
}

fn callers(keys: &Keys) -> Vec<Caller> {
    let vendor = |what, roles: &[&str], parsed: Vec<Role>| Caller {
        what,
        token: Some(keys.token(&format!("{what}@vendor"), &Org::Vendor, roles)),
        roles: parsed,
    };
    let customer = |what, role: &str, parsed: Role| Caller {
        what,
        token: Some(keys.customer("acme", &[role])),
        roles: vec![parsed],
    };
    vec![
        vendor("admin", &["admin"], vec![Role::Admin]),
        vendor("frontline", &["frontline"], vec![Role::Frontline]),
        vendor(
            "release-manager",
            &["release-manager"],
            vec![Role::ReleaseManager],
        ),
        vendor("analyst", &["analyst"], vec![Role::Analyst]),
        vendor(
            "department:rnd",
            &["department:rnd"],
            vec![Role::Department("rnd".into())],
        ),
        vendor(
            "department:quality",
            &["department:quality"],
            vec![Role::Department("quality".into())],
        ),
        vendor(
            "department:supply-chain",
            &["department:supply-chain"],
            vec![Role::Department("supply-chain".into())],
        ),
        customer(
            "customer-engineer",
            "customer-engineer",
            Role::CustomerEngineer,
        ),
        customer(
            "customer-executive",
            "customer-executive",
            Role::CustomerExecutive,
        ),
        vendor("unknown role", &["superuser", "ADMIN", "*"], vec![]),
        vendor("no roles", &[], vec![]),
        Caller {
            what: "no token",
            token: None,
            roles: vec![],
        },
    ]
}

/// Calls `path` with an empty request (every field default) as `token`; the status it
/// ends with (`Ok` for a good answer or a stream that stays open).
async fn call(
    ch: Channel,
    path: &str,
    client_streaming: bool,
    server_streaming: bool,
    token: Option<&str>,
) -> Result<(), Status> {
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let path: tonic::codegen::http::uri::PathAndQuery = path.parse().unwrap();
    let codec = ProstCodec::<(), ()>::default();
    let authorize = |metadata: &mut tonic::metadata::MetadataMap| {
        if let Some(t) = token {
            metadata.insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
    };
    let streamed = match (client_streaming, server_streaming) {
        (false, false) => {
            let mut r = Request::new(());
            authorize(r.metadata_mut());
            return grpc.unary(r, path, codec).await.map(|_| ());
        }
        (true, false) => {
            let mut r = Request::new(tokio_stream::once(()));
            authorize(r.metadata_mut());
            return grpc.client_streaming(r, path, codec).await.map(|_| ());
        }
        (false, true) => {
            let mut r = Request::new(());
            authorize(r.metadata_mut());
            grpc.server_streaming(r, path, codec).await?
        }
        (true, true) => {
            let mut r = Request::new(tokio_stream::once(()));
            authorize(r.metadata_mut());
            grpc.streaming(r, path, codec).await?
        }
    };
    // A stream that stays open past its first answer was let through.
    let mut stream = streamed.into_inner();
    match tokio::time::timeout(Duration::from_millis(300), stream.message()).await {
        Ok(Err(s)) => Err(s),
        _ => Ok(()),
    }
}

async fn matrix(backend: Backend) {
    let keys = Keys::new();
    let (sc_db, cu_db, labs_db) = (
        TestDb::new(backend).await,
        TestDb::new(backend).await,
        TestDb::new(backend).await,
    );
    let sc = symbolon_supplychain::Application::build(SupplyChainConfig::with_server(
        server_config("supplychain", &sc_db.url, &keys),
    ))
    .await
    .expect("supply chain");
    let sc_addr = sc.local_addr();
    let sc_stop = sc.shutdown_token();
    tokio::spawn(sc.run_until_stopped());
    let cu = symbolon_customers::Application::build(
        CustomersConfig::new(server_config("customers", &cu_db.url, &keys))
            .with_supplychain(format!("http://{sc_addr}"), None),
    )
    .await
    .expect("customers");
    let cu_addr = cu.local_addr();
    let cu_stop = cu.shutdown_token();
    tokio::spawn(cu.run_until_stopped());
    let labs = symbolon_labs::Application::build(LabsConfig::new(
        server_config("labs", &labs_db.url, &keys),
        format!("http://{cu_addr}"),
    ))
    .await
    .expect("labs");
    let labs_addr = labs.local_addr();
    let labs_stop = labs.shutdown_token();
    tokio::spawn(labs.run_until_stopped());
    let address = |package: &str| -> SocketAddr {
        match package {
            "symbolon.supplychain.v1" => sc_addr,
            "symbolon.labs.v1" => labs_addr,
            _ => cu_addr,
        }
    };
    let channels = [
        channel(cu_addr).await,
        channel(labs_addr).await,
        channel(sc_addr).await,
    ];
    let channel_of = |addr: SocketAddr| {
        if addr == cu_addr {
            channels[0].clone()
        } else if addr == labs_addr {
            channels[1].clone()
        } else {
            channels[2].clone()
        }
    };

    let fds = FileDescriptorSet::decode(symbolon_contracts::FILE_DESCRIPTOR_SET).unwrap();
    let policies = policies();
    let callers = callers(&keys);
    let mut calls = 0;
    let mut failures = Vec::new();
    for file in &fds.file {
        let package = file.package();
        if !package.starts_with("symbolon.") || package == "symbolon.bench.v1" {
            continue;
        }
        for service in &file.service {
            let full = format!("{package}.{}", service.name());
            let policy = policies.iter().find(|p| p.service == full);
            for method in &service.method {
                let Some(rule) = policy.and_then(|p| p.rule(method.name())) else {
                    failures.push(format!("{full}/{}: no rule", method.name()));
                    continue;
                };
                let path = format!("/{full}/{}", method.name());
                for c in &callers {
                    calls += 1;
                    let outcome = call(
                        channel_of(address(package)),
                        &path,
                        method.client_streaming(),
                        method.server_streaming(),
                        c.token.as_deref(),
                    )
                    .await;
                    let code = outcome.as_ref().err().map(Status::code);
                    let admitted = rule.admits(&c.roles);
                    let refines = matches!(
                        rule.tenancy,
                        Tenancy::IncidentOwner
                            | Tenancy::Department
                            | Tenancy::Own
                            | Tenancy::LabMember
                    );
                    let ok = match (c.token.is_some(), admitted) {
                        (false, _) => code == Some(Code::Unauthenticated),
                        // The refusal names the roles that may call (and no other).
                        (true, false) => {
                            code == Some(Code::PermissionDenied)
                                && outcome
                                    .as_ref()
                                    .err()
                                    .is_some_and(|s| s.message().contains(&role_list(rule.roles)))
                        }
                        (true, true) => {
                            code != Some(Code::Unauthenticated)
                                && (refines || code != Some(Code::PermissionDenied))
                        }
                    };
                    if !ok {
                        failures.push(format!(
                            "{path} as {}: admitted={admitted}, got {:?}",
                            c.what,
                            outcome.err()
                        ));
                    }
                }
            }
        }
    }

    // Tenancy, generated (see `tenancy.rs`): every method naming a resource, by tenant
    // A's callers against tenant B's seeded resource of its kind.
    let world = tenancy::seed(&keys, channels[0].clone(), channels[1].clone()).await;
    let (tenancy_calls, checked, mut broken) =
        tenancy::check(&keys, &world, &fds, &policies, |package: &str| {
            channel_of(address(package))
        })
        .await;
    calls += tenancy_calls;
    failures.append(&mut broken);
    assert!(
        checked >= 50,
        "too few methods checked for tenancy: {checked}"
    );
    // Past the harness's capture, as the fuzzer writes its counts.
    let _ = writeln!(
        std::io::stderr(),
        "policy matrix, {backend:?}: {calls} calls ({} callers per method; {checked} methods \
         checked by tenant A against tenant B's resource, {} exempted with a reason)",
        callers.len(),
        tenancy::EXEMPT.len()
    );
    for stop in [labs_stop, cu_stop, sc_stop] {
        stop.cancel();
    }
    assert!(
        failures.is_empty(),
        "{} of {calls} calls broke the declared policy:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_answers_every_caller_as_declared_on_sqlite() {
    matrix(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_answers_every_caller_as_declared_on_postgres() {
    matrix(Backend::Postgres).await;
}
