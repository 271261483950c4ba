//! Settings from environment variables, with documented defaults and a clear error for a
//! bad value. Every variable may be given per service as `SYMBOLON_<SERVICE>_<NAME>`
//! (e.g. `SYMBOLON_CUSTOMERS_DATABASE_URL`), which wins over the shared `SYMBOLON_<NAME>`
//! (and, for the database, the conventional `DATABASE_URL`).
//!
//! | variable | default |
//! |---|---|
//! | `SYMBOLON_LISTEN_ADDR` | `0.0.0.0:<service port>` |
//! | `SYMBOLON_DATABASE_URL` / `DATABASE_URL` | `sqlite://.symbolon/<service>.db?mode=rwc` |
//! | `SYMBOLON_JWT_PUBLIC_KEY_FILE` | none: a PEM public key (Ed25519 or RSA) |
//! | `SYMBOLON_JWKS_FILE` | none: a JWKS document; one of the two is required |
//! | `SYMBOLON_JWT_ISSUER` | `symbolon` |
//! | `SYMBOLON_JWT_AUDIENCE` | `symbolon` |
//! | `SYMBOLON_JWT_MAX_LIFETIME_SECS` | `86400`: longer-lived tokens are refused |
//! | `SYMBOLON_JWT_LEEWAY_SECS` | `30`: clock skew tolerated on `exp`, `nbf`, `iat` |
//! | `SYMBOLON_DEPARTMENTS` | `rnd,supply-chain,legal,delivery,customer-service,quality`: the names `department:<name>` roles may carry |
//! | `SYMBOLON_REQUEST_TIMEOUT_MS` | `10000`: the longest any unary call may run |
//! | `SYMBOLON_CONCURRENCY_LIMIT` | `1024`: in-flight calls before shedding load |
//! | `SYMBOLON_SHUTDOWN_DELAY_MS` | `5000`: NOT_SERVING this long before the listener closes |
//! | `SYMBOLON_DRAIN_TIMEOUT_MS` | `20000`: how long in-flight calls may then finish; after it they end with UNAVAILABLE and the process exits |
//! | `SYMBOLON_DB_ACQUIRE_TIMEOUT_MS` | `1000`: longest a statement waits for a PostgreSQL connection (then UNAVAILABLE; a call's own deadline may end it sooner) |
//! | `SYMBOLON_DB_PROBE_INTERVAL_MS` | `1000`: how often the database is probed for readiness |
//! | `SYMBOLON_DB_UNREADY_AFTER_MS` | `3000`: unreachable this long, the service reports NOT_SERVING and calls fail at once with UNAVAILABLE |
//! | `SYMBOLON_PAGE_BYTES` | `1048576`: a List page stops early when its items would encode to more (at least one item is sent); see [`crate::paging`] |
//! | `SYMBOLON_MAX_CONNECTION_AGE_MS` | `0` (off): ask clients to reconnect after this long |
//! | `SYMBOLON_WORKER_THREADS` | the CPUs the process may use (a cgroup limit counts); see [`crate::runtime`] |

use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("configuration variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    name: String,
    value: String,
    reason: String,
}

/// Where the JWT verification keys come from and what the tokens must say.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// A PEM public key (Ed25519 `PUBLIC KEY` or RSA).
    pub public_key_file: Option<PathBuf>,
    /// A JWKS document with one or more keys (key rotation: publish old and new).
    pub jwks_file: Option<PathBuf>,
    /// Required `iss` claim.
    pub issuer: String,
    /// Required `aud` claim (a string, or an array that contains it).
    pub audience: String,
    /// Longest accepted token lifetime (`exp` − `iat`, or `exp` − now without `iat`).
    pub max_lifetime: Duration,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// The department names a `department:<name>` role may carry.
    pub departments: Vec<String>,
}

/// The departments of the vendor when `SYMBOLON_DEPARTMENTS` is not set.
pub const DEFAULT_DEPARTMENTS: &[&str] = &[
    "rnd",
    "supply-chain",
    "legal",
    "delivery",
    "customer-service",
    "quality",
];

/// What every service server needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Short service name: `customers`, `labs`, `supplychain`.
    pub service: String,
    /// Address to bind; port 0 picks a free one (tests).
    pub listen_addr: SocketAddr,
    /// `postgres://…` or `sqlite://…`.
    pub database_url: String,
    /// Token verification.
    pub auth: AuthConfig,
    /// Upper bound on a unary call (a smaller `grpc-timeout` from the client wins).
    pub request_timeout: Duration,
    /// In-flight calls across all connections before new ones are shed.
    pub concurrency_limit: usize,
    /// Time between NOT_SERVING and closing the listener, so load balancers notice.
    pub shutdown_delay: Duration,
    /// Upper bound on waiting for in-flight calls at shutdown.
    pub drain_timeout: Duration,
    /// Connections older than this are asked to reconnect (GOAWAY), so clients behind
    /// a plain ClusterIP Service spread over new replicas; zero keeps connections.
    pub max_connection_age: Duration,
    /// How the database is waited for and watched.
    pub database: DatabaseSettings,
}

/// How long a statement waits for a connection, and how the database is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// Longest wait for a PostgreSQL pool connection; a dead or saturated database
    /// then answers UNAVAILABLE instead of queueing calls.
    pub acquire_timeout: Duration,
    /// How often the database is probed (`SELECT 1` on a connection of its own).
    pub probe_interval: Duration,
    /// Unreachable this long: readiness goes NOT_SERVING and statements fail at once.
    pub unready_after: Duration,
    /// The byte budget of one List page's items (see [`crate::paging`]).
    pub page_bytes: usize,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            acquire_timeout: Duration::from_millis(1000),
            probe_interval: Duration::from_millis(1000),
            unready_after: Duration::from_millis(3000),
            page_bytes: crate::paging::DEFAULT_PAGE_BYTES,
        }
    }
}

impl DatabaseSettings {
    /// Reads the `SYMBOLON_DB_*` variables.
    pub fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            acquire_timeout: env.millis("DB_ACQUIRE_TIMEOUT_MS", ms(d.acquire_timeout))?,
            probe_interval: env.millis("DB_PROBE_INTERVAL_MS", ms(d.probe_interval))?,
            unready_after: env.millis("DB_UNREADY_AFTER_MS", ms(d.unready_after))?,
            // Below a kilobyte a page would hold one item of almost anything.
            page_bytes: env.get("PAGE_BYTES", d.page_bytes)?.max(1024),
        })
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What the binaries do at SIGTERM when nothing is set: the same as the Kubernetes
/// manifests (`k8s/base/kustomization.yaml`), so a process run anywhere drains.
pub const DEFAULT_SHUTDOWN_DELAY: Duration = Duration::from_millis(5000);
/// See [`DEFAULT_SHUTDOWN_DELAY`].
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_millis(20_000);

/// Where values come from: the process environment, or a function in tests.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// Reads variables through `lookup`, service-specific name first.
pub struct Env<'a> {
    service: String,
    lookup: Lookup<'a>,
}

impl<'a> Env<'a> {
    /// Reads from the process environment.
    pub fn process(service: &str) -> Env<'static> {
        Env {
            service: service.to_uppercase().replace('-', "_"),
            lookup: Box::new(|k| std::env::var(k).ok()),
        }
    }

    /// Reads from a function (tests).
    pub fn from_fn(service: &str, lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Env {
            service: service.to_uppercase().replace('-', "_"),
            lookup: Box::new(lookup),
        }
    }

    /// The raw value of `SYMBOLON_<SERVICE>_<name>` or else `SYMBOLON_<name>`.
    pub fn raw(&self, name: &str) -> Option<(String, String)> {
        let specific = format!("SYMBOLON_{}_{name}", self.service);
        let shared = format!("SYMBOLON_{name}");
        [specific, shared]
            .into_iter()
            .find_map(|k| (self.lookup)(&k).filter(|v| !v.is_empty()).map(|v| (k, v)))
    }

    /// A parsed value, the default when unset, an error naming the variable when bad.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.raw(name) {
            None => Ok(default),
            Some((key, value)) => value.parse().map_err(|e: T::Err| ConfigError {
                name: key,
                reason: e.to_string(),
                value,
            }),
        }
    }

    /// An optional string.
    pub fn opt(&self, name: &str) -> Option<String> {
        self.raw(name).map(|(_, v)| v)
    }

    /// A duration given in milliseconds.
    pub fn millis(&self, name: &str, default_ms: u64) -> Result<Duration, ConfigError> {
        self.get(name, default_ms).map(Duration::from_millis)
    }

    /// The conventional `DATABASE_URL`, read when no `SYMBOLON_` variant is set.
    fn database_url(&self) -> Option<String> {
        self.opt("DATABASE_URL")
            .or_else(|| (self.lookup)("DATABASE_URL").filter(|v| !v.is_empty()))
    }
}

impl ServerConfig {
    /// Reads the configuration of `service`, whose port is `default_port` when unset.
    pub fn from_env(env: &Env<'_>, service: &str, default_port: u16) -> Result<Self, ConfigError> {
        let default_addr = SocketAddr::from(([0, 0, 0, 0], default_port));
        let config = Self {
            service: service.to_string(),
            listen_addr: env.get("LISTEN_ADDR", default_addr)?,
            database_url: env
                .database_url()
                .unwrap_or_else(|| format!("sqlite://.symbolon/{service}.db?mode=rwc")),
            auth: AuthConfig {
                public_key_file: env.opt("JWT_PUBLIC_KEY_FILE").map(PathBuf::from),
                jwks_file: env.opt("JWKS_FILE").map(PathBuf::from),
                issuer: env.get("JWT_ISSUER", "symbolon".to_string())?,
                audience: env.get("JWT_AUDIENCE", "symbolon".to_string())?,
                max_lifetime: Duration::from_secs(env.get("JWT_MAX_LIFETIME_SECS", 86_400)?),
                leeway: Duration::from_secs(env.get("JWT_LEEWAY_SECS", 30)?),
                departments: match env.opt("DEPARTMENTS") {
                    Some(list) => list
                        .split(',')
                        .map(|d| d.trim().to_string())
                        .filter(|d| !d.is_empty())
                        .collect(),
                    None => DEFAULT_DEPARTMENTS.iter().map(|d| d.to_string()).collect(),
                },
            },
            request_timeout: env.millis("REQUEST_TIMEOUT_MS", 10_000)?,
            concurrency_limit: env.get("CONCURRENCY_LIMIT", 1024)?,
            shutdown_delay: env.millis("SHUTDOWN_DELAY_MS", ms(DEFAULT_SHUTDOWN_DELAY))?,
            drain_timeout: env.millis("DRAIN_TIMEOUT_MS", ms(DEFAULT_DRAIN_TIMEOUT))?,
            max_connection_age: env.millis("MAX_CONNECTION_AGE_MS", 0)?,
            database: DatabaseSettings::from_env(env)?,
        };
        if config.concurrency_limit == 0 {
            return Err(ConfigError {
                name: "SYMBOLON_CONCURRENCY_LIMIT".into(),
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> HashMap<String, String> {
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() -> Result<(), ConfigError> {
        let vars = env(&[]);
        let c = ServerConfig::from_env(
            &Env::from_fn("customers", |k| vars.get(k).cloned()),
            "customers",
            50051,
        )?;
        assert_eq!(c.listen_addr.port(), 50051);
        assert_eq!(c.database_url, "sqlite://.symbolon/customers.db?mode=rwc");
        assert_eq!(c.request_timeout, Duration::from_secs(10));
        // The binaries drain as the manifests do.
        assert_eq!(c.shutdown_delay, Duration::from_secs(5));
        assert_eq!(c.drain_timeout, Duration::from_secs(20));
        assert_eq!(c.database, DatabaseSettings::default());
        Ok(())
    }

    #[test]
    fn service_specific_wins_over_shared() -> Result<(), ConfigError> {
        let vars = env(&[
            ("DATABASE_URL", "postgres://shared"),
            ("SYMBOLON_LABS_DATABASE_URL", "postgres://labs"),
            ("SYMBOLON_LISTEN_ADDR", "127.0.0.1:9000"),
        ]);
        let labs = ServerConfig::from_env(
            &Env::from_fn("labs", |k| vars.get(k).cloned()),
            "labs",
            50052,
        )?;
        assert_eq!(labs.database_url, "postgres://labs");
        assert_eq!(labs.listen_addr.port(), 9000);
        let customers = ServerConfig::from_env(
            &Env::from_fn("customers", |k| vars.get(k).cloned()),
            "customers",
            50051,
        )?;
        assert_eq!(customers.database_url, "postgres://shared");
        Ok(())
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        let vars = env(&[("SYMBOLON_REQUEST_TIMEOUT_MS", "soon")]);
        let err =
            ServerConfig::from_env(&Env::from_fn("labs", |k| vars.get(k).cloned()), "labs", 1)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
        assert!(err.contains("SYMBOLON_REQUEST_TIMEOUT_MS"), "{err}");
        let vars = env(&[("SYMBOLON_CONCURRENCY_LIMIT", "0")]);
        assert!(
            ServerConfig::from_env(&Env::from_fn("labs", |k| vars.get(k).cloned()), "labs", 1)
                .is_err()
        );
    }
}
