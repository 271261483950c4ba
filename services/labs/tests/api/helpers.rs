use std::time::Duration;
use symbolon_contracts::{
    customers::v1::{self as cpb, customers_service_client::CustomersServiceClient},
    labs::v1::{self as pb, MemberRole, labs_service_client::LabsServiceClient},
};
use symbolon_customers::{Application as Customers, CustomersConfig};
use symbolon_labs::{Application as Labs, LabsConfig};
use symbolon_platform::auth::Org;
pub use symbolon_testkit::Api;
use symbolon_testkit::{Backend, By, Keys, TestDb, at, authed, server_config};
use tokio_util::sync::CancellationToken;
use tonic::{Status, transport::Channel};

pub type Client = LabsServiceClient<Channel>;

/// The customers service and one labs service, each with its own database, plus a lab
/// `labs/lab1` of customer `acme` with a member of every role.
pub struct World {
    pub keys: Keys,
    pub admin: String,
    pub labs: Client,
    pub labs_channel: Channel,
    pub labs_db: TestDb,
    pub customers_url: String,
    pub shutdown: std::sync::Mutex<Vec<CancellationToken>>,
    _customers_db: TestDb,
}

impl Drop for World {
    fn drop(&mut self) {
        if let Ok(all) = self.shutdown.lock() {
            for s in all.iter() {
                s.cancel();
            }
        }
    }
}

pub const LAB: &str = "labs/lab1";

/// A key person of acme that no lab has as a member at first.
pub const INTERN: &str = "customers/acme/keyPersons/intern";

/// Who is who.
pub struct People;
impl People {
    pub const VENDOR_ENG: &'static str = "eng@vendor";
    pub const VENDOR_RM: &'static str = "rm@vendor";
    pub const CUSTOMER_CTO: &'static str = "anna@acme";
    pub const CUSTOMER_ENG: &'static str = "jonas@acme";
}

// Calls go to the service as its vendor admin.
impl Api for World {
    fn caller(&self) -> By<'_> {
        at(&self.labs_channel, &self.admin)
    }
}

impl World {
    /// A vendor person: engineers are of R&D, the release manager holds its role (a
    /// vendor token without a role of the vocabulary reaches nothing).
    pub fn vendor(&self, subject: &str) -> String {
        let role = if subject == People::VENDOR_RM {
            "release-manager"
        } else {
            "department:rnd"
        };
        self.keys.token(subject, &Org::Vendor, &[role])
    }
    pub fn customer(&self, customer: &str, subject: &str) -> String {
        self.keys.token(
            subject,
            &Org::Customer(customer.into()),
            &["customer-engineer"],
        )
    }
    pub fn eng(&self) -> String {
        self.vendor(People::VENDOR_ENG)
    }
    pub fn rm(&self) -> String {
        self.vendor(People::VENDOR_RM)
    }
    pub fn cto(&self) -> String {
        self.customer("acme", People::CUSTOMER_CTO)
    }
    pub fn ceng(&self) -> String {
        self.customer("acme", People::CUSTOMER_ENG)
    }
    pub fn client(&self) -> Client {
        self.labs.clone()
    }

    /// Starts another labs replica on the same labs database.
    pub async fn replica(&self, customers_url: &str, buffer: usize) -> Client {
        let mut config = LabsConfig::new(
            server_config("labs", &self.labs_db.url, &self.keys),
            customers_url,
        );
        config.watch_buffer = buffer;
        let app = Labs::build(config).await.expect("build labs replica");
        let addr = app.local_addr();
        let token = app.shutdown_token();
        tokio::spawn(app.run_until_stopped());
        // The world's drop cancels it.
        self.shutdown.lock().unwrap().push(token);
        LabsServiceClient::new(symbolon_testkit::channel(addr).await)
    }

    pub async fn append(&self, token: &str, lab: &str, from: usize, n: usize) -> Vec<pb::LogEntry> {
        self.by(token)
            .call(append_request(lab, from, n))
            .await
            .entries
    }
}

pub fn append_request(lab: &str, from: usize, n: usize) -> pb::AppendLogEntriesRequest {
    pb::AppendLogEntriesRequest {
        parent: lab.into(),
        entries: (from..from + n)
            .map(|i| pb::LogEntry {
                component: "scheduler".into(),
                message: format!("step {i}"),
                attributes: [("step".to_string(), i.to_string())].into(),
                ..Default::default()
            })
            .collect(),
        request_id: String::new(),
    }
}

/// A free port nobody listens on.
pub async fn dead_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

pub async fn world(backend: Backend) -> World {
    world_with(backend, 4096).await
}

pub async fn world_with(backend: Backend, buffer: usize) -> World {
    let customers_db = TestDb::new(backend).await;
    let labs_db = TestDb::new(backend).await;
    let keys = Keys::new();
    let customers = Customers::build(CustomersConfig::new(server_config(
        "customers",
        &customers_db.url,
        &keys,
    )))
    .await
    .expect("build customers");
    let customers_url = format!("http://{}", customers.local_addr());
    let mut shutdown = vec![customers.shutdown_token()];
    tokio::spawn(customers.run_until_stopped());
    let mut config = LabsConfig::new(server_config("labs", &labs_db.url, &keys), &customers_url);
    config.watch_buffer = buffer;
    let labs = Labs::build(config).await.expect("build labs");
    let addr = labs.local_addr();
    shutdown.push(labs.shutdown_token());
    tokio::spawn(labs.run_until_stopped());
    let admin = keys.vendor_admin();
    let labs_channel = symbolon_testkit::channel(addr).await;
    let w = World {
        labs: LabsServiceClient::new(labs_channel.clone()),
        labs_channel,
        admin,
        keys,
        labs_db,
        customers_url: customers_url.clone(),
        shutdown: std::sync::Mutex::new(shutdown),
        _customers_db: customers_db,
    };
    // Customers and key persons (with the subjects they sign in with).
    let mut crm = CustomersServiceClient::new(
        symbolon_testkit::channel(customers_url.trim_start_matches("http://").parse().unwrap())
            .await,
    );
    for (c, people) in [
        (
            "acme",
            &[
                ("anna", People::CUSTOMER_CTO, "CTO"),
                ("jonas", People::CUSTOMER_ENG, "Network engineer"),
                ("intern", "intern@acme", "Intern"),
                ("nosub", "", "Head of Procurement"),
            ][..],
        ),
        ("other", &[("boss", "boss@other", "CTO")][..]),
    ] {
        crm.create_customer(authed(
            &w.admin,
            symbolon_testkit::create_customer_request(c, c, cpb::Industry::TelecomOperator, "DE"),
        ))
        .await
        .expect("customer");
        for (id, subject, title) in people {
            crm.create_key_person(authed(
                &w.admin,
                cpb::CreateKeyPersonRequest {
                    parent: format!("customers/{c}"),
                    key_person: Some(cpb::KeyPerson {
                        display_name: id.to_string(),
                        title: title.to_string(),
                        decision_role: cpb::DecisionRole::DecisionMaker as i32,
                        subject: subject.to_string(),
                        ..Default::default()
                    }),
                    key_person_id: id.to_string(),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("key person");
        }
    }
    create_lab(&w, "lab1", "acme").await;
    for (id, subject, roles) in [
        ("eng", People::VENDOR_ENG, vec![MemberRole::VendorEngineer]),
        (
            "rm",
            People::VENDOR_RM,
            vec![MemberRole::VendorReleaseManager],
        ),
    ] {
        vendor_member(&w, LAB, id, subject, roles).await;
    }
    key_person_member(
        &w,
        LAB,
        "anna",
        "customers/acme/keyPersons/anna",
        vec![MemberRole::CustomerExecutive],
    )
    .await
    .expect("anna");
    key_person_member(
        &w,
        LAB,
        "jonas",
        "customers/acme/keyPersons/jonas",
        vec![MemberRole::CustomerEngineer],
    )
    .await
    .expect("jonas");
    w
}

pub async fn create_lab(w: &World, id: &str, customer: &str) -> pb::Lab {
    w.call(symbolon_testkit::create_lab_request(
        id,
        format!("customers/{customer}"),
        format!("Lab {id}"),
    ))
    .await
}

pub async fn vendor_member(
    w: &World,
    lab: &str,
    id: &str,
    subject: &str,
    roles: Vec<MemberRole>,
) -> pb::Member {
    let member = pb::Member {
        subject: subject.into(),
        ..Default::default()
    };
    w.call(member_request(lab, id, member, roles)).await
}

pub async fn key_person_member(
    w: &World,
    lab: &str,
    id: &str,
    key_person: &str,
    roles: Vec<MemberRole>,
) -> Result<pb::Member, Status> {
    w.try_call(key_person_member_request(lab, id, key_person, roles))
        .await
}

/// A request adding key person `key_person` (a resource name) to `lab` as member `id`
/// with `roles`.
pub fn key_person_member_request(
    lab: &str,
    id: &str,
    key_person: &str,
    roles: Vec<MemberRole>,
) -> pb::CreateMemberRequest {
    let member = pb::Member {
        key_person: key_person.into(),
        ..Default::default()
    };
    member_request(lab, id, member, roles)
}

/// A request adding `member` with `roles` to `lab` as member `id`.
fn member_request(
    lab: &str,
    id: &str,
    member: pb::Member,
    roles: Vec<MemberRole>,
) -> pb::CreateMemberRequest {
    pb::CreateMemberRequest {
        parent: lab.into(),
        member: Some(pb::Member {
            roles: roles.into_iter().map(|r| r as i32).collect(),
            ..member
        }),
        member_id: id.into(),
        request_id: String::new(),
    }
}

pub use symbolon_testkit::{code, reason};

/// Receives the next watch event within 10 s.
pub async fn next_event(
    s: &mut tonic::Streaming<pb::WatchLogEntriesResponse>,
) -> Option<pb::watch_log_entries_response::Event> {
    tokio::time::timeout(Duration::from_secs(10), s.message())
        .await
        .expect("watch event in time")
        .expect("stream ok")
        .and_then(|m| m.event)
}

/// Receives `n` entries in `entries` events of at most `max` entries each and returns
/// their sequence numbers and the number of events.
pub async fn take_batched(
    s: &mut tonic::Streaming<pb::WatchLogEntriesResponse>,
    n: usize,
    max: usize,
) -> (Vec<i64>, usize) {
    let mut out = Vec::new();
    let mut events = 0;
    while out.len() < n {
        match next_event(s).await {
            Some(pb::watch_log_entries_response::Event::Entries(b)) => {
                assert!(
                    !b.entries.is_empty() && b.entries.len() <= max,
                    "a batch of {} entries (max {max})",
                    b.entries.len()
                );
                out.extend(b.entries.iter().map(|e| e.sequence));
                events += 1;
            }
            other => panic!("expected a batch of entries, got {other:?}"),
        }
    }
    (out, events)
}

/// Receives `n` entries and returns their sequence numbers.
pub async fn take_entries(
    s: &mut tonic::Streaming<pb::WatchLogEntriesResponse>,
    n: usize,
) -> Vec<i64> {
    let mut out = Vec::new();
    while out.len() < n {
        match next_event(s).await {
            Some(pb::watch_log_entries_response::Event::Entry(e)) => out.push(e.sequence),
            other => panic!("expected an entry, got {other:?}"),
        }
    }
    out
}
