//! One trace across the suite: a call that crosses services, exported over OTLP by the
//! real service processes to an in-process receiver, forms a single trace with
//! OpenTelemetry RPC attributes and the right parent/child links.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use opentelemetry_proto::tonic::{
    common::v1::any_value::Value,
    metrics::v1::metric,
    trace::v1::{Span, span::SpanKind},
};
use symbolon_contracts::{
    customers::v1 as cpb,
    labs::v1::{self as lpb, labs_service_client::LabsServiceClient},
};
use symbolon_suite_tests::{free_addr, otlp_receiver, start};
use symbolon_testkit::{
    Api, Keys, at, authed, channel, create_customer_request, create_site_request,
};

fn attr(span: &Span, key: &str) -> Option<String> {
    span.attributes.iter().find(|a| a.key == key).and_then(|a| {
        match a.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            Value::IntValue(i) => Some(i.to_string()),
            other => Some(format!("{other:?}")),
        }
    })
}

/// The `kind` span of `method` that `service` recorded; panics, listing them all, when
/// there is none.
fn span(spans: &[(String, Span)], service: &str, kind: SpanKind, method: &str) -> Span {
    spans
        .iter()
        .find(|(svc, s)| {
            svc == service
                && s.kind == kind as i32
                && attr(s, "rpc.method").as_deref() == Some(method)
        })
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| {
            panic!(
                "no {kind:?} span for {method} from {service} in {:#?}",
                spans
                    .iter()
                    .map(|(svc, s)| (svc, &s.name, s.kind))
                    .collect::<Vec<_>>()
            )
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labs_call_that_checks_the_customer_is_one_trace() {
    let (otlp, received) = otlp_receiver().await;
    let keys = Keys::new();
    let dir = tempfile_dir();
    let common = |service: &str, db: &str| {
        vec![
            (
                "DATABASE_URL",
                format!("sqlite://{}/{db}.db?mode=rwc", dir.display()),
            ),
            (
                "SYMBOLON_JWT_PUBLIC_KEY_FILE",
                keys.public_key_file().display().to_string(),
            ),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{otlp}")),
            ("OTEL_SERVICE_NAME", service.to_string()),
            // Export promptly; shutdown flushes the rest.
            ("OTEL_BSP_SCHEDULE_DELAY", "200".to_string()),
        ]
    };
    let customers = start(
        "symbolon-customers",
        free_addr(),
        &common("customers", "customers"),
    )
    .await;
    let mut labs_env = common("labs", "labs");
    labs_env.push((
        "SYMBOLON_CUSTOMERS_URL",
        format!("http://{}", customers.addr),
    ));
    let labs = start("symbolon-labs", free_addr(), &labs_env).await;

    let admin = keys.vendor_admin();
    let telecom = cpb::Industry::TelecomOperator;
    let nordlicht = create_customer_request("nordlicht", "Nordlicht Telecom", telecom, "DE");
    at(&channel(customers.addr).await, &admin)
        .call(nordlicht)
        .await;

    // The caller starts the trace: its traceparent must be honoured end to end.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let mut req = authed(
        &admin,
        lpb::CreateLabRequest {
            lab: Some(lpb::Lab {
                customer: "customers/nordlicht".into(),
                display_name: "5G core lab".into(),
                ..Default::default()
            }),
            lab_id: "core-lab".into(),
            request_id: String::new(),
        },
    );
    req.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{caller_span}-01").parse().unwrap(),
    );
    LabsServiceClient::new(channel(labs.addr).await)
        .create_lab(req)
        .await
        .unwrap();
    // A live watch that the shutdown ends after its headers went out: its status
    // travels in the trailers.
    let mut watch = LabsServiceClient::new(channel(labs.addr).await)
        .watch_log_entries(authed(
            &admin,
            lpb::WatchLogEntriesRequest {
                parent: "labs/core-lab".into(),
                start_sequence: 1,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();

    // A health check as a probe sends it, but carrying a trace of its own.
    let health_trace = "0af7651916cd43dd8448eb211c80319c";
    let mut probe = tonic::Request::new(tonic_health::pb::HealthCheckRequest::default());
    probe.metadata_mut().insert(
        "traceparent",
        format!("00-{health_trace}-b7ad6b7169203331-01")
            .parse()
            .unwrap(),
    );
    let health = tonic_health::pb::health_client::HealthClient::new(channel(labs.addr).await)
        .check(probe)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    let stopping = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    labs.stop().await;
    customers.stop().await;
    let ended = watch
        .message()
        .await
        .expect_err("the shutdown ends the watch");
    assert_eq!(ended.code(), tonic::Code::Unavailable);

    let spans = spans_of(&received, trace_id);
    // Probes get no span: a health check carrying its own trace left nothing.
    assert!(
        spans_of(&received, health_trace).is_empty(),
        "{:#?}",
        spans_of(&received, health_trace)
    );
    let find = |service: &str, kind: SpanKind, method: &str| span(&spans, service, kind, method);
    let labs_server = find("labs", SpanKind::Server, "CreateLab");
    let labs_client = find("labs", SpanKind::Client, "GetCustomer");
    let customers_server = find("customers", SpanKind::Server, "GetCustomer");

    assert_eq!(
        hex(&labs_server.parent_span_id),
        caller_span,
        "labs continues the caller's trace"
    );
    assert_eq!(
        labs_client.parent_span_id, labs_server.span_id,
        "the outgoing call is a child of the handler"
    );
    assert_eq!(
        customers_server.parent_span_id, labs_client.span_id,
        "customers continues labs' trace"
    );
    assert_eq!(attr(&labs_server, "rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        attr(&labs_server, "rpc.service").as_deref(),
        Some("symbolon.labs.v1.LabsService")
    );
    assert_eq!(
        attr(&customers_server, "rpc.service").as_deref(),
        Some("symbolon.customers.v1.CustomersService")
    );
    assert_eq!(
        attr(&customers_server, "rpc.grpc.status_code").as_deref(),
        Some("0")
    );

    // RPC duration metrics went out too, with the RPC attributes.
    let metrics = received.metrics.lock().unwrap();
    let durations: Vec<_> = metrics
        .iter()
        .flat_map(|r| r.resource_metrics.iter())
        .flat_map(|rm| rm.scope_metrics.iter())
        .flat_map(|sm| sm.metrics.iter())
        .filter(|m| m.name == "rpc.server.duration")
        .collect();
    assert!(!durations.is_empty(), "no rpc.server.duration exported");
    let methods: Vec<String> = durations
        .iter()
        .filter_map(|m| match m.data.as_ref()? {
            metric::Data::Histogram(h) => Some(
                h.data_points
                    .iter()
                    .filter_map(|p| {
                        p.attributes
                            .iter()
                            .find(|a| a.key == "rpc.method")
                            .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                                Value::StringValue(s) => Some(s.clone()),
                                _ => None,
                            })
                    })
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(methods.iter().any(|m| m == "GetCustomer"), "{methods:?}");
    assert!(methods.iter().any(|m| m == "CreateLab"), "{methods:?}");
    // The watch counts with the status its trailers carried, not the OK of its headers.
    let watch_codes: Vec<i64> = durations
        .iter()
        .filter_map(|m| match m.data.as_ref()? {
            metric::Data::Histogram(h) => Some(h.data_points.iter()),
            _ => None,
        })
        .flatten()
        .filter(|p| {
            p.attributes.iter().any(|a| {
                a.key == "rpc.method"
                    && matches!(
                        a.value.as_ref().and_then(|v| v.value.as_ref()),
                        Some(Value::StringValue(s)) if s == "WatchLogEntries"
                    )
            })
        })
        .filter_map(|p| {
            p.attributes
                .iter()
                .find(|a| a.key == "rpc.grpc.status_code")
                .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                    Value::IntValue(i) => Some(*i),
                    _ => None,
                })
        })
        .collect();
    assert_eq!(
        watch_codes,
        vec![14],
        "WatchLogEntries recorded as {watch_codes:?}"
    );
    drop(metrics);

    // Its span too: it lasts until the trailers, and carries their status.
    let watch_spans: Vec<Span> = received
        .traces
        .lock()
        .unwrap()
        .iter()
        .flat_map(|r| r.resource_spans.iter())
        .flat_map(|rs| rs.scope_spans.iter())
        .flat_map(|ss| ss.spans.iter())
        .filter(|s| {
            s.kind == SpanKind::Server as i32
                && attr(s, "rpc.method").as_deref() == Some("WatchLogEntries")
        })
        .cloned()
        .collect();
    assert_eq!(watch_spans.len(), 1, "{watch_spans:#?}");
    let watch_span = &watch_spans[0];
    assert_eq!(
        attr(watch_span, "rpc.grpc.status_code").as_deref(),
        Some("14")
    );
    assert_eq!(
        watch_span.status.as_ref().map(|s| s.code),
        Some(opentelemetry_proto::tonic::trace::v1::status::StatusCode::Error as i32),
        "{watch_span:#?}"
    );
    assert!(
        watch_span.end_time_unix_nano >= stopping,
        "the watch's span ended with its headers, before the shutdown ended it"
    );
    assert_eq!(
        customers_server.status.as_ref().map(|s| s.code),
        Some(opentelemetry_proto::tonic::trace::v1::status::StatusCode::Ok as i32)
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let p = std::env::temp_dir().join(format!("symbolon-trace-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// Every span the receiver got for `trace_id`, with its service name.
fn spans_of(received: &symbolon_suite_tests::Received, trace_id: &str) -> Vec<(String, Span)> {
    received
        .traces
        .lock()
        .unwrap()
        .iter()
        .flat_map(|r| r.resource_spans.iter())
        .flat_map(|rs| {
            let service = rs
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            rs.scope_spans.iter().flat_map(move |ss| {
                let service = service.clone();
                ss.spans.iter().map(move |s| (service.clone(), s.clone()))
            })
        })
        .filter(|(_, s)| hex(&s.trace_id) == trace_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commitment_checked_against_the_supply_chain_is_one_trace() {
    use symbolon_contracts::customers::v1::commitments_service_client::CommitmentsServiceClient;
    let (otlp, received) = otlp_receiver().await;
    let keys = Keys::new();
    let dir = tempfile_dir();
    let common = |service: &str| {
        vec![
            (
                "DATABASE_URL",
                format!("sqlite://{}/{service}.db?mode=rwc", dir.display()),
            ),
            (
                "SYMBOLON_JWT_PUBLIC_KEY_FILE",
                keys.public_key_file().display().to_string(),
            ),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{otlp}")),
            ("OTEL_SERVICE_NAME", service.to_string()),
            ("OTEL_BSP_SCHEDULE_DELAY", "200".to_string()),
        ]
    };
    let supply = start("symbolon-supplychain", free_addr(), &common("supply-chain")).await;
    let mut customers_env = common("customers");
    customers_env.push((
        "SYMBOLON_SUPPLYCHAIN_URL",
        format!("http://{}", supply.addr),
    ));
    let customers = start("symbolon-customers", free_addr(), &customers_env).await;

    let admin = keys.vendor_admin();
    let cu_channel = channel(customers.addr).await;
    let crm = at(&cu_channel, &admin);
    let manufacturing = cpb::Industry::Manufacturing;
    crm.call(create_customer_request(
        "sakura",
        "Sakura Precision",
        manufacturing,
        "JP",
    ))
    .await;
    let nagoya = (35.18147, 136.90641);
    crm.call(create_site_request(
        "customers/sakura",
        "nagoya",
        "Nagoya line 3",
        "JP",
        nagoya,
    ))
    .await;

    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let caller_span = "b7ad6b7169203331";
    let mut req = authed(
        &admin,
        cpb::CreateCommitmentRequest {
            parent: "customers/sakura".into(),
            commitment: Some(cpb::Commitment {
                display_name: "Production line non-stop guarantee".into(),
                clauses: vec![cpb::CommitmentClause {
                    kind: Some(cpb::commitment_clause::Kind::SpareParts(
                        cpb::SparePartsClause {
                            sites: vec!["customers/sakura/sites/nagoya".into()],
                            part_numbers: vec!["PLC-S7".into()],
                            window: Some(prost_types::Duration {
                                seconds: 4 * 3600,
                                nanos: 0,
                            }),
                        },
                    )),
                }],
                ..Default::default()
            }),
            request_id: String::new(),
            // No depots exist, so the site is not covered: accept the risk.
            accept_risk: true,
        },
    );
    req.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{caller_span}-01").parse().unwrap(),
    );
    let created = CommitmentsServiceClient::new(channel(customers.addr).await)
        .create_commitment(req)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.status, cpb::CommitmentStatus::AtRisk as i32);

    customers.stop().await;
    supply.stop().await;

    let spans = spans_of(&received, trace_id);
    let pick = |service: &str, kind: SpanKind, method: &str| span(&spans, service, kind, method);
    let server = pick("customers", SpanKind::Server, "CreateCommitment");
    let client = pick("customers", SpanKind::Client, "BatchAssessCoverage");
    let assess = pick("supply-chain", SpanKind::Server, "BatchAssessCoverage");
    let register = pick(
        "supply-chain",
        SpanKind::Server,
        "CreateCoverageRegistration",
    );
    assert_eq!(hex(&server.parent_span_id), caller_span);
    assert_eq!(client.parent_span_id, server.span_id);
    assert_eq!(
        assess.parent_span_id, client.span_id,
        "supply-chain continues the customers trace"
    );
    assert_eq!(
        attr(&assess, "rpc.service").as_deref(),
        Some("symbolon.supplychain.v1.SupplyChainService")
    );
    let register_client = spans
        .iter()
        .find(|(_, s)| s.span_id == register.parent_span_id)
        .map(|(svc, s)| (svc.clone(), s.parent_span_id.clone()))
        .expect("the registration's parent span is in the trace");
    assert_eq!(
        register_client,
        ("customers".to_string(), server.span_id.clone())
    );
}
