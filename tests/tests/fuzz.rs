//! A fuzzer over every method of every service, generated from the descriptor set: no
//! method has a hand-written case, so a new one is fuzzed the day it is added.
//!
//! The three real service binaries run on loopback ports (on SQLite, then on
//! PostgreSQL). For each method, seeded structure-aware requests — valid-looking names of
//! this and other tenants, empty and huge strings, NUL, bidi overrides, zero-width
//! characters, extreme numbers, NaN, unknown enum values, times from year 1 to 9999,
//! over-long repeated fields, nested messages — are sent as a vendor admin, a vendor
//! analyst and a customer engineer, unary, server-, client- and bidi-streaming alike.
//!
//! Before fuzzing, a real resource of every kind with an `Update*` method is created
//! through the services (valid bodies, ids the generator never sends), and most
//! generated updates are aimed at it: a refused update of a resource that exists must
//! leave its `Get*` unchanged, and every such method must have had at least one.
//!
//! Asserted: no call ends INTERNAL or UNKNOWN, none is reset (CANCELLED), no service
//! logs a panic, and every service still answers afterwards. Printed: the requests sent
//! per method, the refused writes checked for half-written state, and the refused
//! updates of seeded resources per method. `SYMBOLON_FUZZ_REQUESTS` sets the count per method (default 24) and
//! `SYMBOLON_FUZZ_SEED` the seed.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use prost::Message;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor,
    MethodDescriptor, Value,
};
use std::{
    collections::{BTreeMap, HashMap},
    fmt::Write as _,
    io::Write as _,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use symbolon_suite_tests::{bin_dir, free_addr};
use symbolon_testkit::{Backend, Keys, Raw, TestDb};
use tokio::process::{Child, Command};
use tonic::{Code, Request, Status, transport::Channel};

/// xorshift64*: reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Strings a caller might send: plausible names of this and another tenant, and the
/// shapes that break parsers, stores and readers.
fn string(rng: &mut Rng, field: &str) -> String {
    const PLAUSIBLE: &[&str] = &[
        "customers/acme",
        "customers/other",
        "customers/acme/sites/plant",
        "customers/acme/keyPersons/anna",
        "customers/acme/incidents/i1",
        "customers/acme/incidents/i1/fireRequests/f1",
        "customers/acme/commitments/c1",
        "customers/other/incidents/i1",
        "labs/lab1",
        "labs/lab1/members/m1",
        "labs/lab1/proposals/p1",
        "labs/lab1/testPlans/t1",
        "labs/lab1/releases/r1",
        "depots/fra-1",
        "depots/fra-1/stockLevels/RRU-5258",
        "standards/support-chat",
        "countryProfiles/DE",
        "scoringModels/baseline",
        "DE",
        "ZZ",
        "RRU-5258",
        "2026-Q1",
        "acme",
        "b3c1f1d2-6a8e-4c39-9d1f-0a2b3c4d5e6f",
        "mood = ANXIOUS",
        "state = OPEN AND severity >= HIGH",
        "display_name",
        "1",
    ];
    const HOSTILE: &[&str] = &[
        "",
        " ",
        "\0",
        "a\0b",
        "abc\u{202E}fed",
        "\u{2066}x\u{2069}",
        "zero\u{200B}width",
        "\u{FEFF}bom",
        "line\nbreak",
        "tab\there",
        "../../etc/passwd",
        "customers/../labs/x",
        "customers/",
        "customers//x",
        "' OR '1'='1",
        "%",
        "*",
        "\\",
        "\"",
        "😀",
        "北区",
        "((((((((((",
        "a = ",
        "mood = ANXIOUS OR OR",
        "create_time > \"9999-12-31T23:59:59Z\"",
        "-1",
        "99999999999999999999",
    ];
    match rng.below(10) {
        0..=4 => rng.pick(PLAUSIBLE).to_string(),
        5..=7 => rng.pick(HOSTILE).to_string(),
        8 => {
            let n = *rng.pick(&[64, 513, 1_025, 8_193, 20_000]);
            "x".repeat(n)
        }
        _ => format!("{field}-{}", rng.next() % 1000),
    }
}

fn number(rng: &mut Rng) -> i64 {
    let any = (rng.next() % 10_000) as i64;
    *rng.pick(&[
        0,
        1,
        -1,
        2,
        7,
        100,
        1_000,
        1_001,
        i32::MAX as i64,
        i32::MIN as i64,
        i64::MAX,
        i64::MIN,
        any,
    ])
}

fn float(rng: &mut Rng) -> f64 {
    *rng.pick(&[
        0.0,
        -0.0,
        1.0,
        -91.0,
        181.0,
        0.5,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN_POSITIVE,
        1e308,
    ])
}

fn timestamp(rng: &mut Rng, desc: &MessageDescriptor) -> DynamicMessage {
    let mut m = DynamicMessage::new(desc.clone());
    let seconds = *rng.pick(&[
        -62_135_596_800, // year 1
        0,
        1_767_225_600, // 2026
        1_800_000_000,
        253_402_300_799, // year 9999
        i64::MAX,
        -1,
    ]);
    m.set_field_by_name("seconds", Value::I64(seconds));
    m.set_field_by_name(
        "nanos",
        Value::I32(*rng.pick(&[0, 1, 999_999_999, -1, 1_000_000_000])),
    );
    m
}

fn value(rng: &mut Rng, field: &FieldDescriptor, kind: &Kind, depth: usize) -> Value {
    match kind {
        Kind::String => Value::String(string(rng, field.name())),
        Kind::Bytes => Value::Bytes(vec![0u8; *rng.pick(&[0, 1, 64, 4096])].into()),
        Kind::Bool => Value::Bool(rng.chance(50)),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(number(rng) as i32),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(number(rng)),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(number(rng) as u32),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(number(rng) as u64),
        Kind::Double => Value::F64(float(rng)),
        Kind::Float => Value::F32(float(rng) as f32),
        Kind::Enum(e) => {
            let known: Vec<i32> = e.values().map(|v| v.number()).collect();
            if rng.chance(15) {
                Value::EnumNumber(*rng.pick(&[99, -1, i32::MAX]))
            } else {
                Value::EnumNumber(*rng.pick(&known))
            }
        }
        Kind::Message(m) => Value::Message(message(rng, m, depth + 1)),
    }
}

/// A random message of type `desc`: each field set or not, nested up to a depth.
fn message(rng: &mut Rng, desc: &MessageDescriptor, depth: usize) -> DynamicMessage {
    match desc.full_name() {
        "google.protobuf.Timestamp" => return timestamp(rng, desc),
        "google.protobuf.Duration" => {
            let mut m = DynamicMessage::new(desc.clone());
            let s = *rng.pick(&[0, 1, 3_600, 14_400, 604_801, -5, i64::MAX]);
            m.set_field_by_name("seconds", Value::I64(s));
            return m;
        }
        "google.protobuf.FieldMask" => {
            let mut m = DynamicMessage::new(desc.clone());
            let paths = (0..rng.below(3))
                .map(|_| {
                    Value::String(
                        rng.pick(&["display_name", "status", "etag", "nope", "", "*"])
                            .to_string(),
                    )
                })
                .collect();
            m.set_field_by_name("paths", Value::List(paths));
            return m;
        }
        _ => {}
    }
    let mut m = DynamicMessage::new(desc.clone());
    if depth > 3 {
        return m;
    }
    for field in desc.fields() {
        if rng.chance(35) {
            continue;
        }
        let kind = field.kind();
        if field.is_map() {
            let Kind::Message(entry) = &kind else {
                continue;
            };
            let key = entry.map_entry_key_field();
            let val = entry.map_entry_value_field();
            let mut map = HashMap::new();
            for _ in 0..rng.below(3) {
                if let Value::String(k) = value(rng, &key, &key.kind(), depth) {
                    map.insert(MapKey::String(k), value(rng, &val, &val.kind(), depth));
                }
            }
            m.set_field(&field, Value::Map(map));
        } else if field.is_list() {
            let n = if rng.chance(3) { 1_001 } else { rng.below(4) };
            // Big lists of small values only: a thousand nested messages add nothing.
            let n = if matches!(kind, Kind::Message(_)) {
                n.min(3)
            } else {
                n
            };
            let items = (0..n).map(|_| value(rng, &field, &kind, depth)).collect();
            m.set_field(&field, Value::List(items));
        } else {
            m.set_field(&field, value(rng, &field, &kind, depth));
        }
    }
    m
}

/// A service binary with its stderr kept in a file.
struct Running {
    addr: SocketAddr,
    child: Child,
    log: PathBuf,
    name: &'static str,
}

async fn start(name: &'static str, dir: &Path, env: Vec<(&'static str, String)>) -> Running {
    let addr = free_addr();
    let log = dir.join(format!("{name}.log"));
    let mut cmd = Command::new(bin_dir().join(name));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SYMBOLON_LISTEN_ADDR", addr.to_string())
        .env("SYMBOLON_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("start service");
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Running {
                addr,
                child,
                log,
                name,
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{name} did not start: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

/// What one call ended with.
async fn call(
    channel: Channel,
    method: &MethodDescriptor,
    messages: Vec<Vec<u8>>,
    token: &str,
) -> Code {
    let status = call_status(channel, method, messages, token).await;
    if let Some(s) = status.as_ref().filter(|s| s.code() == Code::Internal) {
        eprintln!("INTERNAL from {}: {}", method.full_name(), s.message());
    }
    status.map_or(Code::Ok, |s| s.code())
}

/// The status one call ended with, or None when it ended well.
async fn call_status(
    channel: Channel,
    method: &MethodDescriptor,
    messages: Vec<Vec<u8>>,
    token: &str,
) -> Option<Status> {
    let path: http::uri::PathAndQuery =
        format!("/{}/{}", method.parent_service().full_name(), method.name())
            .parse()
            .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    if grpc.ready().await.is_err() {
        return Some(Status::unavailable("not ready"));
    }
    fn with_auth<T>(mut r: Request<T>, token: &str) -> Request<T> {
        r.metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        // Watches never end by themselves: a deadline ends them, as clients do.
        r.set_timeout(Duration::from_millis(800));
        r
    }
    let first = messages.first().cloned().unwrap_or_default();
    match (method.is_client_streaming(), method.is_server_streaming()) {
        (false, false) => grpc
            .unary(with_auth(Request::new(first), token), path, Raw)
            .await
            .err(),
        (false, true) => match grpc
            .server_streaming(with_auth(Request::new(first), token), path, Raw)
            .await
        {
            Ok(response) => drain(response.into_inner()).await,
            Err(s) => Some(s),
        },
        (true, false) => {
            let stream = tokio_stream::iter(messages);
            grpc.client_streaming(with_auth(Request::new(stream), token), path, Raw)
                .await
                .err()
        }
        (true, true) => {
            let stream = tokio_stream::iter(messages);
            match grpc
                .streaming(with_auth(Request::new(stream), token), path, Raw)
                .await
            {
                Ok(response) => drain(response.into_inner()).await,
                Err(s) => Some(s),
            }
        }
    }
}

/// One unary call: the response's bytes or the status.
async fn unary(
    channel: Channel,
    method: &MethodDescriptor,
    request: Vec<u8>,
    token: &str,
) -> Result<Vec<u8>, Status> {
    let path: http::uri::PathAndQuery =
        format!("/{}/{}", method.parent_service().full_name(), method.name())
            .parse()
            .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut r = Request::new(request);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r.set_timeout(Duration::from_secs(5));
    grpc.unary(r, path, Raw).await.map(|r| r.into_inner())
}

/// What a refused write must leave as it was, read before and after it: the rows of the
/// resource's List (for a create) or the resource's etag / whole answer (for an update).
/// Found from the descriptor set: `CreateX` pairs with `ListXs` under the same parent,
/// `UpdateX` with `GetX` of `x.name`.
enum Witness {
    List {
        method: MethodDescriptor,
        request: DynamicMessage,
    },
    Get {
        method: MethodDescriptor,
        request: DynamicMessage,
    },
}

impl Witness {
    fn of(method: &MethodDescriptor, request: &DynamicMessage) -> Option<Self> {
        if method.is_client_streaming() || method.is_server_streaming() {
            return None;
        }
        let service = method.parent_service();
        let find = |name: &str| service.methods().find(|m| m.name() == name);
        let string = |m: &DynamicMessage, field: &str| -> Option<String> {
            m.get_field_by_name(field)
                .and_then(|v| v.as_str().map(str::to_string))
        };
        if let Some(kind) = method.name().strip_prefix("Create") {
            let plural = match kind.strip_suffix('y') {
                Some(stem) => format!("{stem}ies"),
                None if kind.ends_with('s') => format!("{kind}es"),
                None => format!("{kind}s"),
            };
            let list = find(&format!("List{plural}"))?;
            let input = list.input();
            let mut req = DynamicMessage::new(input.clone());
            if input.get_field_by_name("parent").is_some() {
                req.set_field_by_name("parent", Value::String(string(request, "parent")?));
            }
            if input.get_field_by_name("page_size").is_some() {
                req.set_field_by_name("page_size", Value::I32(1000));
            }
            if input.get_field_by_name("show_deleted").is_some() {
                req.set_field_by_name("show_deleted", Value::Bool(true));
            }
            return Some(Witness::List {
                method: list,
                request: req,
            });
        }
        if let Some(kind) = method.name().strip_prefix("Update") {
            let get = find(&format!("Get{kind}"))?;
            let resource = method
                .input()
                .fields()
                .find(|f| matches!(f.kind(), Kind::Message(m) if m.name() == kind))?;
            let name = request
                .get_field(&resource)
                .as_message()
                .and_then(|m| string(m, "name"))?;
            let mut req = DynamicMessage::new(get.input());
            req.set_field_by_name("name", Value::String(name));
            return Some(Witness::Get {
                method: get,
                request: req,
            });
        }
        None
    }

    /// What the witness reads now, or None when it cannot be read (a malformed or
    /// missing parent or resource: nothing there to half-write).
    async fn read(&self, channel: &Channel, token: &str) -> Option<Vec<String>> {
        match self {
            Witness::List { method, request } => {
                let mut request = request.clone();
                let mut names = Vec::new();
                for _ in 0..50 {
                    let bytes = unary(channel.clone(), method, request.encode_to_vec(), token)
                        .await
                        .ok()?;
                    let page = DynamicMessage::decode(method.output(), bytes.as_slice()).ok()?;
                    for field in method.output().fields().filter(|f| f.is_list()) {
                        if let Some(items) = page.get_field(&field).as_list() {
                            names.extend(items.iter().map(canonical));
                        }
                    }
                    let next = page
                        .get_field_by_name("next_page_token")
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    if next.is_empty() {
                        break;
                    }
                    request.set_field_by_name("page_token", Value::String(next));
                }
                names.sort();
                Some(names)
            }
            Witness::Get { method, request } => {
                let bytes = unary(channel.clone(), method, request.encode_to_vec(), token)
                    .await
                    .ok()?;
                Some(vec![format!("{bytes:?}")])
            }
        }
    }
}

/// A value as text that is the same for the same content: maps sorted by key (a
/// decoded map is a HashMap, whose order differs from one decode to the next).
fn canonical(value: &Value) -> String {
    match value {
        Value::Message(m) => {
            let fields: Vec<String> = m
                .fields()
                .map(|(f, v)| format!("{}: {}", f.name(), canonical(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) => {
            let mut entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k:?}: {}", canonical(v)))
                .collect();
            entries.sort();
            format!("{{{}}}", entries.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// For every method whose request has a top-level resource name (`name` or `parent`),
/// a malformed one is INVALID_ARGUMENT with a violation naming exactly the field sent,
/// and no other field named after it: generated, so a new method is held to it too.
async fn malformed_names_name_their_field(
    pool: &DescriptorPool,
    channel_of: impl Fn(&str) -> Option<Channel>,
    admin: &str,
) -> Vec<String> {
    use tonic_types::StatusExt;
    let mut failures = Vec::new();
    let mut checked = 0;
    for service in pool.services() {
        let Some(channel) = channel_of(service.package_name()) else {
            continue;
        };
        for method in service.methods() {
            let input = method.input();
            for field in ["name", "parent"] {
                let Some(f) = input.get_field_by_name(field) else {
                    continue;
                };
                if f.kind() != Kind::String || f.is_list() {
                    continue;
                }
                checked += 1;
                let mut m = DynamicMessage::new(input.clone());
                m.set_field(&f, Value::String("no/such/shape/x".into()));
                let status =
                    call_status(channel.clone(), &method, vec![m.encode_to_vec()], admin).await;
                let fields: Vec<String> = status
                    .as_ref()
                    .and_then(|s| s.get_details_bad_request())
                    .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
                    .unwrap_or_default();
                let code = status.as_ref().map_or(Code::Ok, |s| s.code());
                if code != Code::InvalidArgument || !fields.iter().any(|x| x == field) {
                    failures.push(format!(
                        "{}: a malformed `{field}` gave {code:?} naming {fields:?}",
                        method.full_name()
                    ));
                }
            }
        }
    }
    println!("malformed resource names: {checked} (method, field) pairs checked");
    if checked < 80 {
        failures.push(format!("only {checked} methods have a name or parent"));
    }
    failures
}

/// Reads a response stream for at most a second: the status it ended with, or None when
/// it ended well or is still open (a watch follows live until the client leaves).
async fn drain(mut stream: tonic::Streaming<Vec<u8>>) -> Option<Status> {
    let until = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        match tokio::time::timeout_at(until, stream.message()).await {
            Err(_) | Ok(Ok(None)) => return None,
            Ok(Ok(Some(_))) => {}
            Ok(Err(s)) => return Some(s),
        }
    }
}

/// Real resources of every kind that has an `Update*` method, created through the real
/// services with valid bodies, so refused updates hit something that exists. Ids the
/// generator never produces, so no random delete takes them away first. Kind → name.
async fn seed_world(
    supply: SocketAddr,
    customers: SocketAddr,
    labs: SocketAddr,
    admin: &str,
) -> BTreeMap<&'static str, String> {
    use symbolon_contracts::{customers::v1 as cpb, quality::v1 as qpb, supplychain::v1 as spb};
    use symbolon_testkit::{
        Api, at, create_customer_request, create_depot_request, create_key_person_request,
        create_lab_request, create_site_request,
    };
    let (sc_channel, cu_channel, labs_channel) = (
        symbolon_testkit::channel(supply).await,
        symbolon_testkit::channel(customers).await,
        symbolon_testkit::channel(labs).await,
    );
    let sc = at(&sc_channel, admin);
    let crm = at(&cu_channel, admin);
    let lab = at(&labs_channel, admin);
    let factor = |value: f64, scale: spb::Scale| spb::FactorValue {
        value,
        scale: scale as i32,
        source: "fuzz seed".into(),
        as_of_time: Some(prost_types::Timestamp {
            seconds: 1_640_995_200,
            nanos: 0,
        }),
        ..Default::default()
    };
    let mut world = BTreeMap::new();
    let profile = sc
        .call(spb::UpdateCountryProfileRequest {
            country_profile: Some(spb::CountryProfile {
                name: "countryProfiles/NO".into(),
                display_name: "Norway".into(),
                factors: [
                    (
                        "political_stability".to_string(),
                        factor(1.1, spb::Scale::WgiEstimate),
                    ),
                    (
                        "logistics_reachability".to_string(),
                        factor(3.8, spb::Scale::Lpi),
                    ),
                ]
                .into_iter()
                .collect(),
                ..Default::default()
            }),
            update_mask: None,
            allow_missing: true,
        })
        .await;
    world.insert("CountryProfile", profile.name);
    let model = sc
        .call(spb::CreateScoringModelRequest {
            scoring_model: Some(spb::ScoringModel {
                display_name: "Seeded model".into(),
                weights: [("political_stability".to_string(), 1.0)]
                    .into_iter()
                    .collect(),
                ..Default::default()
            }),
            scoring_model_id: "seeded-model".into(),
            request_id: String::new(),
        })
        .await;
    world.insert("ScoringModel", model.name);
    let oslo = (59.91273, 10.74609);
    let depot = create_depot_request("seeded-depot", "Oslo depot", "NO", oslo);
    world.insert("Depot", sc.call(depot).await.name);
    let telecom = cpb::Industry::TelecomOperator;
    let customer = create_customer_request("seeded", "Seeded Telecom", telecom, "NO");
    let customer = crm.call(customer).await.name;
    let site = create_site_request(&customer, "seeded-site", "Oslo core", "NO", oslo);
    world.insert("Site", crm.call(site).await.name);
    let person = create_key_person_request(&customer, "seeded-person", "Ingrid Berg", "");
    let person = crm.call(person).await;
    world.insert("KeyPerson", person.name);
    let standard = crm
        .call(qpb::CreateStandardRequest {
            standard: Some(symbolon_quality::default_standard()),
            standard_id: "seeded-standard".into(),
            request_id: String::new(),
        })
        .await;
    world.insert("Standard", standard.name);
    let created = lab
        .call(create_lab_request("seeded-lab", &customer, "Seeded lab"))
        .await;
    world.insert("Lab", created.name);
    world.insert("Customer", customer);
    world
}

/// Points most generated `UpdateX` requests at the seeded X (its `name`), with the etag
/// cleared half of the time so the refusal comes from the body, not a stale etag.
fn aim_at_seeded(
    rng: &mut Rng,
    method: &MethodDescriptor,
    request: &mut DynamicMessage,
    world: &BTreeMap<&'static str, String>,
) {
    let Some(kind) = method.name().strip_prefix("Update") else {
        return;
    };
    let Some(name) = world.get(kind) else {
        return;
    };
    if !rng.chance(75) {
        return;
    }
    let Some(field) = method
        .input()
        .fields()
        .find(|f| matches!(f.kind(), Kind::Message(m) if m.name() == kind))
    else {
        return;
    };
    let Kind::Message(desc) = field.kind() else {
        return;
    };
    let mut resource = request
        .get_field(&field)
        .as_message()
        .cloned()
        .unwrap_or_else(|| DynamicMessage::new(desc.clone()));
    resource.set_field_by_name("name", Value::String(name.clone()));
    if desc.get_field_by_name("etag").is_some() && rng.chance(50) {
        resource.set_field_by_name("etag", Value::String(String::new()));
    }
    request.set_field(&field, Value::Message(resource));
}

async fn fuzz(backend: Backend) {
    let pool = DescriptorPool::decode(symbolon_contracts::FILE_DESCRIPTOR_SET).unwrap();
    let per_method: usize = std::env::var("SYMBOLON_FUZZ_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let seed: u64 = std::env::var("SYMBOLON_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_F022);

    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let (supply_db, customers_db, labs_db) = (
        TestDb::new(backend).await,
        TestDb::new(backend).await,
        TestDb::new(backend).await,
    );
    let key_file = keys.public_key_file().display().to_string();
    let common = |db: &TestDb| {
        vec![
            ("DATABASE_URL", db.url.clone()),
            ("SYMBOLON_JWT_PUBLIC_KEY_FILE", key_file.clone()),
        ]
    };
    let supply = start("symbolon-supplychain", dir.path(), common(&supply_db)).await;
    let mut env = common(&customers_db);
    env.push((
        "SYMBOLON_SUPPLYCHAIN_URL",
        format!("http://{}", supply.addr),
    ));
    let customers = start("symbolon-customers", dir.path(), env).await;
    let mut env = common(&labs_db);
    env.push((
        "SYMBOLON_CUSTOMERS_URL",
        format!("http://{}", customers.addr),
    ));
    let labs = start("symbolon-labs", dir.path(), env).await;
    let world = seed_world(supply.addr, customers.addr, labs.addr, &keys.vendor_admin()).await;
    let mut services = [supply, customers, labs];

    let callers = [
        keys.vendor_admin(),
        keys.token(
            "analyst@vendor",
            &symbolon_platform::auth::Org::Vendor,
            &["analyst"],
        ),
        keys.customer("acme", &["customer-engineer"]),
    ];
    let address_of = |package: &str| -> Option<SocketAddr> {
        match package {
            "symbolon.supplychain.v1" => Some(services[0].addr),
            "symbolon.customers.v1" | "symbolon.quality.v1" => Some(services[1].addr),
            "symbolon.labs.v1" => Some(services[2].addr),
            _ => None,
        }
    };

    let mut rng = Rng(seed);
    let mut sent: BTreeMap<String, usize> = BTreeMap::new();
    // Refused writes whose resource (or list) was read before and after, per method.
    let mut unchanged: BTreeMap<String, usize> = BTreeMap::new();
    // Of those, refused updates of a resource that exists (its Get answered before),
    // per `UpdateX` method whose X was seeded: each must have at least one.
    let mut refused_updates: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut channels = HashMap::new();
    for service in pool.services() {
        let Some(addr) = address_of(service.package_name()) else {
            continue;
        };
        let channel = match channels.get(&addr) {
            Some(c) => Channel::clone(c),
            None => {
                let c = symbolon_testkit::channel(addr).await;
                channels.insert(addr, c.clone());
                c
            }
        };
        for method in service.methods() {
            if method
                .name()
                .strip_prefix("Update")
                .is_some_and(|kind| world.contains_key(kind))
            {
                refused_updates.insert(method.full_name().to_string(), 0);
            }
            for i in 0..per_method {
                let count = if method.is_client_streaming() {
                    1 + rng.below(3)
                } else {
                    1
                };
                let messages: Vec<Vec<u8>> = (0..count)
                    .map(|_| {
                        let mut m = message(&mut rng, &method.input(), 0);
                        aim_at_seeded(&mut rng, &method, &mut m, &world);
                        m.encode_to_vec()
                    })
                    .collect();
                let token = &callers[i % callers.len()];
                // What a refused create or update must leave as it was.
                let witness = match messages
                    .first()
                    .map(|m| DynamicMessage::decode(method.input(), m.as_slice()))
                {
                    Some(Ok(request)) => Witness::of(&method, &request),
                    _ => None,
                };
                let before = match &witness {
                    Some(w) => w.read(&channel, &callers[0]).await,
                    None => None,
                };
                // A unary call answers within its deadline; no call may hang.
                let answer = tokio::time::timeout(
                    Duration::from_secs(10),
                    call(channel.clone(), &method, messages, token),
                )
                .await;
                if let (Some(w), Some(before), Ok(code)) = (&witness, &before, &answer)
                    && *code != Code::Ok
                {
                    *unchanged.entry(method.full_name().to_string()).or_default() += 1;
                    if let (Witness::Get { .. }, Some(n)) =
                        (w, refused_updates.get_mut(method.full_name()))
                    {
                        *n += 1;
                    }
                    let after = w.read(&channel, &callers[0]).await;
                    if after.as_ref() != Some(before) {
                        failures.push(format!(
                            "{} (request {i}) was refused ({code:?}) yet changed what it writes",
                            method.full_name()
                        ));
                    }
                }
                let Ok(code) = answer else {
                    failures.push(format!(
                        "{} (request {i}): no answer in 10 s",
                        method.full_name()
                    ));
                    continue;
                };
                *sent.entry(method.full_name().to_string()).or_default() += 1;
                if matches!(code, Code::Internal | Code::Unknown | Code::Cancelled) {
                    failures.push(format!("{} (request {i}): {code:?}", method.full_name()));
                }
            }
        }
    }

    let channel_of = |package: &str| address_of(package).and_then(|a| channels.get(&a).cloned());
    // A vendor holding every role, so no method refuses before reading its request.
    let every_role = keys.token(
        "all@vendor",
        &symbolon_platform::auth::Org::Vendor,
        &[
            "admin",
            "analyst",
            "frontline",
            "release-manager",
            "department:supply-chain",
        ],
    );
    failures.extend(malformed_names_name_their_field(&pool, channel_of, &every_role).await);

    // Everyone still answers, and nobody panicked.
    for s in &mut services {
        let mut health = tonic_health::pb::health_client::HealthClient::new(
            symbolon_testkit::channel(s.addr).await,
        );
        let answer = health
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await;
        assert!(answer.is_ok(), "{} stopped answering: {answer:?}", s.name);
        assert!(s.child.try_wait().unwrap().is_none(), "{} exited", s.name);
        let log = std::fs::read_to_string(&s.log).unwrap_or_default();
        for line in log.lines().filter(|l| l.contains("panicked")) {
            failures.push(format!("{} logged a panic: {line}", s.name));
        }
        if !failures.is_empty() {
            // The causes of INTERNAL answers are logged, never sent: show them.
            for line in log.lines().filter(|l| l.contains("internal error")) {
                failures.push(format!("{} logged: {line}", s.name));
            }
        }
    }
    let total: usize = sent.values().sum();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "fuzz on {backend:?}: {total} requests to {} methods (seed {seed:#x})",
        sent.len()
    );
    for (method, n) in &sent {
        let _ = writeln!(report, "  {n:>4}  {method}");
    }
    let checked: usize = unchanged.values().sum();
    let _ = writeln!(
        report,
        "refused writes checked for no half-written state: {checked} over {} methods",
        unchanged.len()
    );
    for (method, n) in &unchanged {
        let _ = writeln!(report, "  {n:>4}  {method}");
    }
    let _ = writeln!(
        report,
        "refused updates of existing (seeded) resources checked unchanged: {} over {} methods",
        refused_updates.values().sum::<usize>(),
        refused_updates.len()
    );
    for (method, n) in &refused_updates {
        let _ = writeln!(report, "  {n:>4}  {method}");
    }
    // Straight to standard error, past the test harness's capture: the test command
    // shows how many requests each method got on every run.
    let _ = std::io::stderr().write_all(report.as_bytes());
    assert!(sent.len() > 100, "the descriptor set lost its methods");
    assert_eq!(
        refused_updates.len(),
        world.len(),
        "a seeded kind has no Update method, or an Update method lost its seed"
    );
    let unexercised: Vec<&String> = refused_updates
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(m, _)| m)
        .collect();
    assert!(
        unexercised.is_empty(),
        "no refused update of an existing resource was checked for {unexercised:?}"
    );
    assert!(
        !unchanged.is_empty(),
        "no refused write could be checked for half-written state"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_survives_the_fuzzer_on_sqlite() {
    fuzz(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_survives_the_fuzzer_on_postgres() {
    fuzz(Backend::Postgres).await;
}
