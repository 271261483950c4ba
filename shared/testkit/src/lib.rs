//! Test support for integration tests that start real services on loopback ports.
//!
//! - [`TestDb`]: a fresh database per test — a SQLite file in a temporary directory, or a
//!   new PostgreSQL database (dropped afterwards). PostgreSQL comes from
//!   `SYMBOLON_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//!   when it cannot be reached the test fails loudly, it never skips.
//! - [`Keys`]: a throwaway Ed25519 key pair; mints tokens for any caller.
//! - [`server_config`]: a `ServerConfig` on `127.0.0.1:0` for a database and keys.
//! - [`authed`]: a request carrying a bearer token.
//! - [`call`], [`Api`] (`rpc.rs`): send a unary request by its type ([`Rpc`], generated
//!   from `proto/`) as a caller, answering the reply's message.
//! - [`Raw`]: a codec that sends and receives encoded messages as they are, for tests
//!   generated from the descriptor set.
//! - [`connect`], [`run_sql`]: a connection of the test's own to a service's database.
//! - [`both_backends!`]: runs one async test body on SQLite and on PostgreSQL.
//! - [`reason`], [`assert_request_id_reused`], [`request_id`] (`refusals.rs`): what a
//!   refused call says, and fresh request ids.
//! - [`create_customer_request`] (`seed.rs`): the records many tests start from.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod refusals;
mod rpc;
mod seed;
pub use refusals::*;
pub use rpc::*;
pub use seed::*;

use std::{net::SocketAddr, path::PathBuf, time::Duration};
use symbolon_platform::{
    auth::{DevKeys, Minter, Org},
    config::{AuthConfig, ServerConfig},
};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("SYMBOLON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A connection of the test's own to a service's database (for migration tests: the
/// previous release's pods, the migrator).
pub async fn connect(url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url)
        .await
        .expect("connect to the test database")
}

/// Runs `sql` on `c`; a failure panics naming the statement.
pub async fn run_sql(c: &mut sqlx::AnyConnection, sql: &str) {
    sqlx::Executor::execute(c, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The (year, month) of `days` since 1970-01-01 (H. Hinnant's civil from days), for
/// tests that name a quarter.
pub fn civil_from_days(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month)
}

/// A database that lives as long as the test.
pub struct TestDb {
    /// Connection URL for the service.
    pub url: String,
    backend: Backend,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Creates an empty database.
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
                Self {
                    url,
                    backend,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is required for this test and is not reachable at {admin}: {e}")
                });
                let name = format!("symbolon_test_{}", uuid::Uuid::new_v4().simple());
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin);
                Self {
                    url: format!("{base}/{name}"),
                    backend,
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Drop can't await: clean up on a thread of its own.
            let admin = postgres_admin_url();
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::Executor::execute(
                            &mut conn,
                            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                        )
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A throwaway key pair for tokens.
pub struct Keys {
    dir: tempfile::TempDir,
    minter: Minter,
}

impl Default for Keys {
    fn default() -> Self {
        Self::new()
    }
}

impl Keys {
    /// Generates keys and writes the public one to a file.
    pub fn new() -> Self {
        let keys = DevKeys::generate().expect("key generation");
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join("jwt-public.pem"), &keys.public_pem).expect("write key");
        std::fs::write(dir.path().join("jwt-private.pem"), &keys.private_pem).expect("write key");
        let minter =
            Minter::from_pem(keys.private_pem.as_bytes(), "symbolon", "symbolon").expect("minter");
        Self { dir, minter }
    }

    /// The public key file services verify with.
    pub fn public_key_file(&self) -> PathBuf {
        self.dir.path().join("jwt-public.pem")
    }

    /// The private key file (for the `symbolon` command in tests).
    pub fn private_key_file(&self) -> PathBuf {
        self.dir.path().join("jwt-private.pem")
    }

    /// The minter behind [`Keys::token`].
    pub fn minter(&self) -> &Minter {
        &self.minter
    }

    /// A one-hour token for `subject` in `org` with `roles`.
    pub fn token(&self, subject: &str, org: &Org, roles: &[&str]) -> String {
        self.minter
            .mint(subject, org, roles, Duration::from_secs(3600))
            .expect("mint")
    }

    /// A vendor admin.
    pub fn vendor_admin(&self) -> String {
        self.token("admin@vendor", &Org::Vendor, &["admin"])
    }

    /// A person of customer `customer_id` with `roles`.
    pub fn customer(&self, customer_id: &str, roles: &[&str]) -> String {
        self.token(
            &format!("someone@{customer_id}"),
            &Org::Customer(customer_id.into()),
            roles,
        )
    }
}

/// Server settings for a test: loopback, a free port, short drain.
pub fn server_config(service: &str, database_url: &str, keys: &Keys) -> ServerConfig {
    ServerConfig {
        service: service.into(),
        listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: database_url.into(),
        auth: AuthConfig {
            public_key_file: Some(keys.public_key_file()),
            jwks_file: None,
            issuer: "symbolon".into(),
            audience: "symbolon".into(),
            max_lifetime: Duration::from_secs(86_400),
            leeway: Duration::from_secs(30),
            departments: symbolon_platform::config::DEFAULT_DEPARTMENTS
                .iter()
                .map(|d| d.to_string())
                .collect(),
        },
        request_timeout: Duration::from_secs(10),
        concurrency_limit: 1024,
        shutdown_delay: Duration::ZERO,
        drain_timeout: Duration::from_secs(5),
        max_connection_age: Duration::ZERO,
        database: Default::default(),
    }
}

/// A request with `authorization: Bearer <token>`.
pub fn authed<T>(token: &str, message: T) -> tonic::Request<T> {
    symbolon_platform::client::try_authed(token, message).expect("header")
}

/// A codec that sends and receives encoded messages as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct Raw;

impl tonic::codec::Encoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        buf: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        prost::bytes::BufMut::put_slice(buf, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        buf: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        use prost::bytes::Buf;
        Ok(Some(buf.copy_to_bytes(buf.remaining()).to_vec()))
    }
}

impl tonic::codec::Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

/// The fields named in a status's BadRequest details.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// Asserts INVALID_ARGUMENT naming exactly `fields` (in any order), with the
/// `ErrorInfo` every error carries.
pub fn assert_invalid(result: Result<impl std::fmt::Debug, tonic::Status>, fields: &[&str]) {
    use tonic_types::StatusExt;
    let status = result.expect_err("expected INVALID_ARGUMENT");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    let mut got = violated_fields(&status);
    got.sort();
    let mut want: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "{status:?}");
    let info = status
        .get_details_error_info()
        .expect("every error carries ErrorInfo");
    assert_eq!(info.domain, "symbolon.dev");
}

/// The code of a call expected to fail.
pub fn code<T: std::fmt::Debug>(r: Result<T, tonic::Status>) -> tonic::Code {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(s) => s.code(),
    }
}

/// A channel to a service listening on `addr`.
pub async fn channel(addr: SocketAddr) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect")
}

/// Defines `mod sqlite` and `mod postgres`, each with a `#[tokio::test]` per listed
/// function, calling it with that [`Backend`]:
///
/// ```ignore
/// async fn creates_things(backend: Backend) { … }
/// both_backends!(creates_things, lists_things);
/// ```
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}
