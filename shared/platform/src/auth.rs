//! Authentication: `authorization: Bearer <JWT>` on every call, verified with asymmetric
//! public keys from configuration (EdDSA or RS256; a PEM file or a JWKS document).
//!
//! A token is refused (UNAUTHENTICATED, with a plain message that names the rule and
//! never the parser's internals) when it is malformed, signed by no configured key (or
//! with a `kid` no JWKS key has), with another algorithm (`none`, HS with a public key),
//! carries an unknown `crit` extension, is expired, not yet valid (`nbf` or `iat` in the
//! future beyond the leeway), lives longer than the configured maximum, names another
//! issuer or audience (`aud` may be an array that contains ours, RFC 7519 §4.1.3), has an
//! empty or missing `sub`, a missing `roles` claim or a bad `org` claim; and when a call
//! carries more than one `authorization` header. RFC 8725 guided the list.
//!
//! Roles are a closed vocabulary ([`Role`]): a string that is not one of them grants
//! nothing (it is logged once, when the token is first verified).
//!
//! Handlers receive a typed [`Caller`]; its helpers make tenant checks one line.

use crate::{config::AuthConfig, status};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, jwk::JwkSet};
use serde::{Deserialize, Serialize};
use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, RwLock},
};
use tonic::{Request, Status};

/// The organisation a caller belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Org {
    /// The vendor running Symbolon.
    Vendor,
    /// One customer, by customer id.
    Customer(String),
}

impl Org {
    /// The `org` claim for this organisation: `vendor` or `customers/{id}`.
    pub fn claim(&self) -> String {
        match self {
            Org::Vendor => "vendor".into(),
            Org::Customer(id) => format!("customers/{id}"),
        }
    }

    fn parse(claim: &str) -> Option<Org> {
        if claim == "vendor" {
            return Some(Org::Vendor);
        }
        let id = claim.strip_prefix("customers/")?;
        crate::names::check_id(id).ok()?;
        Some(Org::Customer(id.to_string()))
    }
}

/// The kinds of role, without a department's name: what the access policy speaks of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleKind {
    /// Vendor: opens incidents, calls for fire, keeps the CRM.
    Frontline,
    /// Vendor: a department (`department:<name>`) mobilised by frontline.
    Department,
    /// Vendor: signs releases for the vendor.
    ReleaseManager,
    /// Vendor: reads everything, writes scoring data only.
    Analyst,
    /// Vendor: everything.
    Admin,
    /// Customer: an engineer of the customer.
    CustomerEngineer,
    /// Customer: an executive (the CTO who co-signs releases).
    CustomerExecutive,
}

impl RoleKind {
    /// Every kind, in the order the policy table lists them.
    pub const ALL: [RoleKind; 7] = [
        RoleKind::Admin,
        RoleKind::Frontline,
        RoleKind::Department,
        RoleKind::ReleaseManager,
        RoleKind::Analyst,
        RoleKind::CustomerEngineer,
        RoleKind::CustomerExecutive,
    ];

    /// The role as tokens spell it (`department:<name>` for departments).
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Frontline => "frontline",
            RoleKind::Department => "department:<name>",
            RoleKind::ReleaseManager => "release-manager",
            RoleKind::Analyst => "analyst",
            RoleKind::Admin => "admin",
            RoleKind::CustomerEngineer => "customer-engineer",
            RoleKind::CustomerExecutive => "customer-executive",
        }
    }

    /// True for the customer's roles, false for the vendor's.
    pub fn is_customer(self) -> bool {
        matches!(
            self,
            RoleKind::CustomerEngineer | RoleKind::CustomerExecutive
        )
    }
}

/// A role of the closed vocabulary, as a token may carry it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// `frontline`.
    Frontline,
    /// `department:<name>`, with a name from the configured list.
    Department(String),
    /// `release-manager`.
    ReleaseManager,
    /// `analyst`.
    Analyst,
    /// `admin`.
    Admin,
    /// `customer-engineer`.
    CustomerEngineer,
    /// `customer-executive`.
    CustomerExecutive,
}

impl Role {
    /// Parses one role string of a token of `org`. Exact spelling only (`ADMIN` is not
    /// `admin`); vendor roles only for the vendor, customer roles only for customers;
    /// departments only from `departments`. Anything else is `None`: it grants nothing.
    pub fn parse(s: &str, org: &Org, departments: &[String]) -> Option<Role> {
        let role = match s {
            "frontline" => Role::Frontline,
            "release-manager" => Role::ReleaseManager,
            "analyst" => Role::Analyst,
            "admin" => Role::Admin,
            "customer-engineer" => Role::CustomerEngineer,
            "customer-executive" => Role::CustomerExecutive,
            _ => {
                let name = s.strip_prefix("department:")?;
                if !departments.iter().any(|d| d == name) {
                    return None;
                }
                Role::Department(name.to_string())
            }
        };
        (role.kind().is_customer() == matches!(org, Org::Customer(_))).then_some(role)
    }

    /// The kind of this role.
    pub fn kind(&self) -> RoleKind {
        match self {
            Role::Frontline => RoleKind::Frontline,
            Role::Department(_) => RoleKind::Department,
            Role::ReleaseManager => RoleKind::ReleaseManager,
            Role::Analyst => RoleKind::Analyst,
            Role::Admin => RoleKind::Admin,
            Role::CustomerEngineer => RoleKind::CustomerEngineer,
            Role::CustomerExecutive => RoleKind::CustomerExecutive,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Department(name) => write!(f, "department:{name}"),
            other => f.write_str(other.kind().as_str()),
        }
    }
}

/// `role == "admin"` compares with the token's spelling.
impl PartialEq<str> for Role {
    fn eq(&self, other: &str) -> bool {
        match self {
            Role::Department(name) => other.strip_prefix("department:").is_some_and(|n| n == name),
            r => r.kind().as_str() == other,
        }
    }
}

/// The claims of a Symbolon token, as [`Minter`] writes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The person or system.
    pub sub: String,
    /// `vendor` or `customers/{id}`.
    pub org: String,
    /// Vendor roles: `frontline`, `department:<name>`, `release-manager`, `analyst`,
    /// `admin`; customer roles: `customer-engineer`, `customer-executive`.
    pub roles: Vec<String>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
}

/// The claims as a verifier reads them: everything optional, so that a missing claim
/// gets a plain refusal of its own instead of a JSON error.
#[derive(Deserialize)]
struct Received {
    sub: Option<serde_json::Value>,
    org: Option<serde_json::Value>,
    roles: Option<serde_json::Value>,
    exp: Option<serde_json::Value>,
    iat: Option<serde_json::Value>,
}

/// Who is calling, as proven by their token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The `sub` claim.
    pub subject: String,
    /// The organisation.
    pub org: Org,
    /// The roles of the closed vocabulary the token carries; unknown strings are dropped.
    pub roles: Vec<Role>,
    /// The bearer token, forwarded on calls to other services so identity travels.
    pub token: Arc<str>,
    expires_at: u64,
}

impl Caller {
    /// The caller a request was authenticated as. Fails only if the service was
    /// registered without the authentication guard (a wiring bug).
    pub fn of<T>(req: &Request<T>) -> Result<Arc<Caller>, Status> {
        req.extensions()
            .get::<Arc<Caller>>()
            .cloned()
            .ok_or_else(|| status::unauthenticated("no authenticated caller"))
    }

    /// The caller a request was authenticated as ([`Caller::of`]), and its message.
    pub fn split<T>(req: Request<T>) -> Result<(Arc<Caller>, T), Status> {
        let caller = Self::of(&req)?;
        Ok((caller, req.into_inner()))
    }

    /// [`Caller::split`], for vendor staff holding one of `roles` only
    /// ([`Caller::require_vendor`]).
    pub fn split_vendor<T>(req: Request<T>, roles: &[&str]) -> Result<(Arc<Caller>, T), Status> {
        let (caller, r) = Self::split(req)?;
        caller.require_vendor(roles)?;
        Ok((caller, r))
    }

    /// True for the vendor's people.
    pub fn is_vendor(&self) -> bool {
        self.org == Org::Vendor
    }

    /// The customer id of a customer's person.
    pub fn customer_id(&self) -> Option<&str> {
        match &self.org {
            Org::Customer(id) => Some(id),
            Org::Vendor => None,
        }
    }

    /// True when the caller holds a role of `kind`.
    pub fn has_kind(&self, kind: RoleKind) -> bool {
        self.roles.iter().any(|r| r.kind() == kind)
    }

    /// True when the caller holds `role` (vendor `admin` holds every vendor role).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role) || self.has_kind(RoleKind::Admin)
    }

    /// True when the caller holds exactly `department:<name>` (admin does not count:
    /// a department's requests are acted on by that department).
    pub fn in_department(&self, name: &str) -> bool {
        self.roles
            .iter()
            .any(|r| matches!(r, Role::Department(d) if d == name))
    }

    /// True when the caller holds any role starting with `prefix` (e.g. `department:`).
    pub fn has_role_prefix(&self, prefix: &str) -> bool {
        self.roles.iter().any(|r| r.to_string().starts_with(prefix))
    }

    /// Whether the caller may see customer `id`'s data at all.
    pub fn can_see_customer(&self, id: &str) -> bool {
        match &self.org {
            Org::Vendor => true,
            Org::Customer(own) => own == id,
        }
    }

    /// NOT_FOUND (never revealing existence) unless the caller may see customer `id`;
    /// `resource` is the name the error reports.
    pub fn ensure_customer(&self, id: &str, resource: &str) -> Result<(), Status> {
        if self.can_see_customer(id) {
            Ok(())
        } else {
            Err(status::not_found(resource))
        }
    }

    /// PERMISSION_DENIED unless the caller is vendor staff with one of `roles`.
    pub fn require_vendor(&self, roles: &[&str]) -> Result<(), Status> {
        if self.is_vendor() && roles.iter().any(|r| self.has_role(r)) {
            Ok(())
        } else {
            Err(status::permission_denied(format!(
                "this method needs a vendor role among: {}",
                roles.join(", ")
            )))
        }
    }
}

/// A failure to set up token verification.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// Neither a PEM file nor a JWKS file was configured.
    #[error("no JWT verification key: set SYMBOLON_JWT_PUBLIC_KEY_FILE or SYMBOLON_JWKS_FILE")]
    NoKey,
    /// A key file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A key could not be parsed.
    #[error("invalid key in {path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

struct Key {
    kid: Option<String>,
    key: DecodingKey,
    validation: Validation,
}

/// Cached verifications: a token is verified once, then looked up until it expires.
/// Verifying an Ed25519 signature on every call would cost more than the call itself.
const CACHE_LIMIT: usize = 10_000;

/// Verifies bearer tokens; used by [`crate::access::Guard`] in front of every service.
#[derive(Clone)]
pub struct Authenticator {
    keys: Arc<Vec<Key>>,
    /// True when a JWKS was configured: then a `kid` must name one of its keys.
    jwks: bool,
    max_lifetime: u64,
    leeway: u64,
    departments: Arc<Vec<String>>,
    cache: Arc<RwLock<HashMap<Arc<str>, Arc<Caller>>>>,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn refused(why: &str) -> Status {
    status::unauthenticated(format!("invalid token: {why}"))
}

/// A plain reason for a library refusal, never the library's own text.
fn plain(kind: &jsonwebtoken::errors::ErrorKind) -> &'static str {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::ExpiredSignature => "it has expired",
        K::ImmatureSignature => "it is not valid yet (nbf)",
        K::InvalidIssuer => "it names another issuer",
        K::InvalidAudience => "it is addressed to another audience",
        K::InvalidSignature => "the signature does not verify",
        K::InvalidAlgorithm | K::InvalidAlgorithmName | K::UnsupportedAlgorithm => {
            "its algorithm is not accepted"
        }
        K::MissingRequiredClaim(c) => match c.as_str() {
            "exp" => "the exp claim is missing",
            "iss" => "the iss claim is missing",
            "aud" => "the aud claim is missing",
            "sub" => "the sub claim is missing",
            _ => "a required claim is missing",
        },
        K::InvalidClaimFormat(_) => "a claim has the wrong type",
        _ => "it is malformed",
    }
}

impl Authenticator {
    /// Loads the keys named in `config`.
    pub fn from_config(config: &AuthConfig) -> Result<Self, AuthSetupError> {
        let read = |p: &std::path::Path| {
            std::fs::read(p).map_err(|source| AuthSetupError::Read {
                path: p.display().to_string(),
                source,
            })
        };
        let mut keys = Vec::new();
        let leeway = config.leeway.as_secs();
        let validation = |alg| {
            let mut v = Validation::new(alg);
            v.set_issuer(&[&config.issuer]);
            v.set_audience(&[&config.audience]);
            v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            v.validate_nbf = true;
            v.leeway = leeway;
            v
        };
        if let Some(path) = &config.public_key_file {
            let pem = read(path)?;
            let bad = |reason: String| AuthSetupError::Key {
                path: path.display().to_string(),
                reason,
            };
            let (key, alg) = match DecodingKey::from_ed_pem(&pem) {
                Ok(k) => (k, Algorithm::EdDSA),
                Err(_) => (
                    DecodingKey::from_rsa_pem(&pem).map_err(|e| bad(e.to_string()))?,
                    Algorithm::RS256,
                ),
            };
            keys.push(Key {
                kid: None,
                key,
                validation: validation(alg),
            });
        }
        if let Some(path) = &config.jwks_file {
            let bad = |reason: String| AuthSetupError::Key {
                path: path.display().to_string(),
                reason,
            };
            let set: JwkSet =
                serde_json::from_slice(&read(path)?).map_err(|e| bad(e.to_string()))?;
            for jwk in &set.keys {
                let key = DecodingKey::from_jwk(jwk).map_err(|e| bad(e.to_string()))?;
                let alg = match &jwk.algorithm {
                    jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                    jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    _ => return Err(bad("only OKP (Ed25519) and RSA keys are accepted".into())),
                };
                keys.push(Key {
                    kid: jwk.common.key_id.clone(),
                    key,
                    validation: validation(alg),
                });
            }
        }
        if keys.is_empty() {
            return Err(AuthSetupError::NoKey);
        }
        Ok(Self {
            keys: Arc::new(keys),
            jwks: config.jwks_file.is_some(),
            max_lifetime: config.max_lifetime.as_secs(),
            leeway,
            departments: Arc::new(config.departments.clone()),
            cache: Arc::default(),
        })
    }

    /// Verifies `token` and returns the caller it proves.
    pub fn verify(&self, token: &str) -> Result<Arc<Caller>, Status> {
        let now = now_secs();
        if let Ok(cache) = self.cache.read()
            && let Some(c) = cache.get(token)
            && c.expires_at + self.leeway > now
        {
            return Ok(c.clone());
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused("it is not a JWT"))?;
        // RFC 7515 §4.1.11: an extension we do not understand must not be ignored.
        if header.crit.is_some() {
            return Err(refused(
                "it names a critical extension (crit) we do not support",
            ));
        }
        if self.jwks
            && let Some(kid) = &header.kid
            && !self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
        {
            return Err(refused("its key id (kid) names no configured key"));
        }
        let candidates = self.keys.iter().filter(|k| match (&k.kid, &header.kid) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        });
        let mut last_error = "no configured key verifies it";
        for k in candidates {
            if !k.validation.algorithms.contains(&header.alg) {
                last_error = "its algorithm is not accepted";
                continue;
            }
            match jsonwebtoken::decode::<Received>(token, &k.key, &k.validation) {
                Ok(data) => {
                    let caller = self.caller(data.claims, token, now)?;
                    if let Ok(mut cache) = self.cache.write() {
                        if cache.len() >= CACHE_LIMIT {
                            cache.retain(|_, c| c.expires_at > now);
                            if cache.len() >= CACHE_LIMIT {
                                cache.clear();
                            }
                        }
                        cache.insert(caller.token.clone(), caller.clone());
                    }
                    return Ok(caller);
                }
                Err(e) => last_error = plain(e.kind()),
            }
        }
        Err(refused(last_error))
    }

    /// The checks of the claims the library does not make: times, lifetime, subject,
    /// organisation and roles.
    fn caller(&self, c: Received, token: &str, now: u64) -> Result<Arc<Caller>, Status> {
        let seconds = |v: &Option<serde_json::Value>, claim: &str| match v {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                refused(match claim {
                    "exp" => "the exp claim must be a number of seconds",
                    _ => "the iat claim must be a number of seconds",
                })
            }),
        };
        let exp = seconds(&c.exp, "exp")?.ok_or_else(|| refused("the exp claim is missing"))?;
        let iat = seconds(&c.iat, "iat")?;
        if iat.is_some_and(|iat| iat > now + self.leeway) {
            return Err(refused("it was issued in the future (iat)"));
        }
        let lifetime = exp.saturating_sub(iat.unwrap_or(now));
        if lifetime > self.max_lifetime {
            return Err(refused(&format!(
                "it lives longer than the accepted {} s",
                self.max_lifetime
            )));
        }
        let subject = match &c.sub {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => return Err(refused("the sub claim must be a non-empty string")),
        };
        let org = c
            .org
            .as_ref()
            .and_then(|v| v.as_str())
            .and_then(Org::parse)
            .ok_or_else(|| refused("the org claim must be `vendor` or `customers/{id}`"))?;
        let given: Vec<&str> = match &c.roles {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|r| r.as_str())
                .collect::<Option<_>>()
                .ok_or_else(|| refused("the roles claim must be a list of strings"))?,
            Some(_) => return Err(refused("the roles claim must be a list of strings")),
            None => return Err(refused("the roles claim is missing")),
        };
        let mut roles = Vec::with_capacity(given.len());
        let mut unknown = Vec::new();
        for r in given {
            match Role::parse(r, &org, &self.departments) {
                Some(role) if !roles.contains(&role) => roles.push(role),
                Some(_) => {}
                None => unknown.push(r),
            }
        }
        if !unknown.is_empty() {
            // Once per token: verified tokens are cached, so this does not repeat per call.
            tracing::warn!(
                subject = %subject,
                org = %org.claim(),
                unknown = ?unknown,
                "token carries roles outside the vocabulary; they grant nothing"
            );
        }
        Ok(Arc::new(Caller {
            subject,
            org,
            roles,
            token: Arc::from(token),
            expires_at: exp,
        }))
    }

    /// Authenticates a call from its metadata: exactly one `authorization` header whose
    /// scheme is `Bearer` in any case (RFC 7235 §2.1).
    pub fn authenticate(&self, headers: &http::HeaderMap) -> Result<Arc<Caller>, Status> {
        let mut headers = headers.get_all(http::header::AUTHORIZATION).iter();
        let header = headers.next().ok_or_else(|| {
            status::unauthenticated("missing `authorization: Bearer <token>` metadata")
        })?;
        if headers.next().is_some() {
            return Err(status::unauthenticated(
                "more than one authorization header: send exactly one",
            ));
        }
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                let (scheme, token) = h.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| status::unauthenticated("authorization must be `Bearer <token>`"))?;
        self.verify(token)
    }
}

/// A development key pair: an Ed25519 private key to mint tokens and its public key
/// for the services to verify them.
pub struct DevKeys {
    /// PKCS#8 PEM private key.
    pub private_pem: String,
    /// SPKI PEM public key.
    pub public_pem: String,
}

impl DevKeys {
    /// Generates a fresh key pair.
    pub fn generate() -> Result<Self, String> {
        use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding};
        let signing = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let private_pem = signing
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?
            .to_string();
        let public_pem = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            private_pem,
            public_pem,
        })
    }
}

/// Mints tokens with a private key (the `symbolon token` command, and tests).
#[derive(Clone)]
pub struct Minter {
    key: EncodingKey,
    alg: Algorithm,
    issuer: String,
    audience: String,
}

impl Minter {
    /// From a PEM private key (Ed25519 PKCS#8 or RSA).
    pub fn from_pem(pem: &[u8], issuer: &str, audience: &str) -> Result<Self, String> {
        let (key, alg) = match EncodingKey::from_ed_pem(pem) {
            Ok(k) => (k, Algorithm::EdDSA),
            Err(_) => (
                EncodingKey::from_rsa_pem(pem).map_err(|e| e.to_string())?,
                Algorithm::RS256,
            ),
        };
        Ok(Self {
            key,
            alg,
            issuer: issuer.into(),
            audience: audience.into(),
        })
    }

    /// A token for `subject` of `org` with `roles`, valid for `ttl`.
    pub fn mint(
        &self,
        subject: &str,
        org: &Org,
        roles: &[&str],
        ttl: std::time::Duration,
    ) -> Result<String, String> {
        let now = now_secs();
        let claims = Claims {
            sub: subject.into(),
            org: org.claim(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + ttl.as_secs(),
            iat: now,
        };
        self.mint_claims(&claims)
    }

    /// A token with exactly these claims (tests use it for expired or odd tokens).
    pub fn mint_claims(&self, claims: &Claims) -> Result<String, String> {
        jsonwebtoken::encode(&Header::new(self.alg), claims, &self.key).map_err(|e| e.to_string())
    }

    /// A token with any header and any claims, signed with this key (tests forge odd
    /// tokens with it: a `crit` header, a `kid`, missing or mistyped claims).
    pub fn mint_raw(
        &self,
        header: impl FnOnce(&mut Header),
        claims: &serde_json::Value,
    ) -> Result<String, String> {
        let mut h = Header::new(self.alg);
        header(&mut h);
        jsonwebtoken::encode(&h, claims, &self.key).map_err(|e| e.to_string())
    }

    /// The claims [`Minter::mint`] would write, as JSON to be mutated.
    pub fn claims_json(&self, subject: &str, org: &Org, roles: &[&str]) -> serde_json::Value {
        let now = now_secs();
        serde_json::json!({
            "sub": subject,
            "org": org.claim(),
            "roles": roles,
            "iss": self.issuer,
            "aud": self.audience,
            "exp": now + 3600,
            "iat": now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use std::time::Duration;

    fn config(
        public_key_file: Option<std::path::PathBuf>,
        jwks_file: Option<std::path::PathBuf>,
    ) -> AuthConfig {
        AuthConfig {
            public_key_file,
            jwks_file,
            issuer: "symbolon".into(),
            audience: "symbolon".into(),
            max_lifetime: Duration::from_secs(86_400),
            leeway: Duration::from_secs(30),
            departments: vec!["rnd".into(), "supply-chain".into()],
        }
    }

    fn setup() -> Result<(Authenticator, Minter, tempfile_free::Dir), String> {
        let keys = DevKeys::generate()?;
        let dir = tempfile_free::Dir::new()?;
        let path = dir.0.join("pub.pem");
        std::fs::write(&path, &keys.public_pem).map_err(|e| e.to_string())?;
        let config = config(Some(path), None);
        let auth = Authenticator::from_config(&config).map_err(|e| e.to_string())?;
        let minter = Minter::from_pem(keys.private_pem.as_bytes(), "symbolon", "symbolon")?;
        Ok((auth, minter, dir))
    }

    /// A temporary directory without a dev-dependency.
    mod tempfile_free {
        pub(super) struct Dir(pub(super) std::path::PathBuf);
        impl Dir {
            pub(super) fn new() -> Result<Self, String> {
                let p =
                    std::env::temp_dir().join(format!("symbolon-auth-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&p).map_err(|e| e.to_string())?;
                Ok(Self(p))
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn accepts_a_good_token_and_types_the_caller() -> Result<(), String> {
        let (auth, minter, _d) = setup()?;
        let t = minter.mint(
            "ann",
            &Org::Customer("acme".into()),
            &["customer-engineer"],
            Duration::from_secs(60),
        )?;
        let c = auth.verify(&t).map_err(|s| s.message().to_string())?;
        assert_eq!(c.subject, "ann");
        assert_eq!(c.customer_id(), Some("acme"));
        assert!(c.can_see_customer("acme") && !c.can_see_customer("other"));
        assert!(c.require_vendor(&["admin"]).is_err());
        // The second verification is served from the cache and says the same.
        assert_eq!(
            auth.verify(&t)
                .map_err(|s| s.message().to_string())?
                .subject,
            "ann"
        );
        Ok(())
    }

    #[test]
    fn refuses_expired_foreign_misaddressed_and_unsigned_tokens() -> Result<(), String> {
        let (auth, minter, _d) = setup()?;
        let mut claims = Claims {
            sub: "x".into(),
            org: "vendor".into(),
            roles: vec!["admin".into()],
            iss: "symbolon".into(),
            aud: "symbolon".into(),
            exp: now_secs() - 3600,
            iat: now_secs() - 7200,
        };
        let expired = minter.mint_claims(&claims)?;
        claims.exp = now_secs() + 3600;
        claims.aud = "elsewhere".into();
        let wrong_aud = minter.mint_claims(&claims)?;
        claims.aud = "symbolon".into();
        claims.org = "nobody".into();
        let bad_org = minter.mint_claims(&claims)?;
        claims.org = "vendor".into();
        let (_, other_minter, _d2) = setup()?;
        let foreign = other_minter.mint_claims(&claims)?;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let none = format!(
            "{}.{}.",
            b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(serde_json::to_string(&claims).map_err(|e| e.to_string())?)
        );
        for (what, token) in [
            ("expired", expired),
            ("aud", wrong_aud),
            ("org", bad_org),
            ("foreign", foreign),
            ("none", none),
        ] {
            let err = auth
                .verify(&token)
                .err()
                .ok_or(format!("{what} token was accepted"))?;
            assert_eq!(err.code(), tonic::Code::Unauthenticated, "{what}");
        }
        assert!(auth.verify(&minter.mint_claims(&claims)?).is_ok());
        Ok(())
    }

    #[test]
    fn a_jwks_with_two_keys_accepts_both_during_rotation() -> Result<(), String> {
        use ed25519_dalek::pkcs8::DecodePublicKey;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let old = DevKeys::generate()?;
        let new = DevKeys::generate()?;
        let jwk = |pem: &str, kid: &str| -> Result<serde_json::Value, String> {
            let key =
                ed25519_dalek::VerifyingKey::from_public_key_pem(pem).map_err(|e| e.to_string())?;
            Ok(
                serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": b64.encode(key.as_bytes()), "kid": kid, "alg": "EdDSA", "use": "sig"}),
            )
        };
        let set = serde_json::json!({"keys": [jwk(&old.public_pem, "2026-old")?, jwk(&new.public_pem, "2026-new")?]});
        let dir = tempfile_free::Dir::new()?;
        let path = dir.0.join("jwks.json");
        std::fs::write(&path, set.to_string()).map_err(|e| e.to_string())?;
        let auth =
            Authenticator::from_config(&config(None, Some(path))).map_err(|e| e.to_string())?;
        for keys in [&old, &new] {
            let minter = Minter::from_pem(keys.private_pem.as_bytes(), "symbolon", "symbolon")?;
            let t = minter.mint("op", &Org::Vendor, &["admin"], Duration::from_secs(60))?;
            assert!(auth.verify(&t).is_ok());
            // A kid that names no key of the set is refused, even signed by a good key.
            let claims = minter.claims_json("op", &Org::Vendor, &["admin"]);
            let t = minter.mint_raw(|h| h.kid = Some("2025-gone".into()), &claims)?;
            let err = auth.verify(&t).err().ok_or("unknown kid accepted")?;
            assert!(err.message().contains("kid"), "{}", err.message());
        }
        // The right kid with the wrong key is refused too.
        let old_minter = Minter::from_pem(old.private_pem.as_bytes(), "symbolon", "symbolon")?;
        let claims = old_minter.claims_json("op", &Org::Vendor, &["admin"]);
        let t = old_minter.mint_raw(|h| h.kid = Some("2026-new".into()), &claims)?;
        assert!(auth.verify(&t).is_err());
        let stranger = Minter::from_pem(
            DevKeys::generate()?.private_pem.as_bytes(),
            "symbolon",
            "symbolon",
        )?;
        let t = stranger.mint("op", &Org::Vendor, &["admin"], Duration::from_secs(60))?;
        assert!(auth.verify(&t).is_err());
        Ok(())
    }

    #[test]
    fn roles_are_a_closed_vocabulary() {
        let deps = vec!["rnd".to_string()];
        let v = Org::Vendor;
        let c = Org::Customer("acme".into());
        assert_eq!(Role::parse("admin", &v, &deps), Some(Role::Admin));
        assert_eq!(
            Role::parse("department:rnd", &v, &deps),
            Some(Role::Department("rnd".into()))
        );
        assert_eq!(
            Role::parse("customer-executive", &c, &deps),
            Some(Role::CustomerExecutive)
        );
        for (role, org) in [
            ("ADMIN", &v),
            ("superuser", &v),
            ("*", &v),
            ("department:", &v),
            ("department:legal", &v),
            ("department:rnd ", &v),
            ("customer-engineer", &v),
            ("admin", &c),
            ("frontline", &c),
            ("department:rnd", &c),
        ] {
            assert_eq!(Role::parse(role, org, &deps), None, "{role} for {org:?}");
        }
        assert!(Role::Department("rnd".into()) == *"department:rnd");
        assert_eq!(Role::Department("rnd".into()).to_string(), "department:rnd");
    }
}
