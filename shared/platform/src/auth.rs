//! Authentication: `authorization: Bearer <JWT>` on every call, verified with asymmetric
//! public keys from configuration (EdDSA or RS256; a PEM file or a JWKS document).
//! Expired, wrongly signed, wrongly addressed and `alg: none` tokens are UNAUTHENTICATED.
//!
//! Handlers receive a typed [`Caller`]; its helpers make tenant checks one line.

use crate::{config::AuthConfig, status};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, jwk::JwkSet};
use serde::{Deserialize, Serialize};
use std::{
    collections::HashMap,
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

/// The claims of a Symbolon token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The person or system.
    pub sub: String,
    /// `vendor` or `customers/{id}`.
    pub org: String,
    /// Vendor roles: `frontline`, `department:<name>`, `release-manager`, `analyst`,
    /// `admin`; customer roles: `customer-engineer`, `customer-executive`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at.
    #[serde(default)]
    pub iat: u64,
}

/// Who is calling, as proven by their token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The `sub` claim.
    pub subject: String,
    /// The organisation.
    pub org: Org,
    /// Roles, as given.
    pub roles: Vec<String>,
    /// The bearer token, forwarded on calls to other services so identity travels.
    pub token: Arc<str>,
    expires_at: u64,
}

impl Caller {
    /// The caller a request was authenticated as. Fails only if the service was
    /// registered without the authentication interceptor (a wiring bug).
    pub fn of<T>(req: &Request<T>) -> Result<Arc<Caller>, Status> {
        req.extensions()
            .get::<Arc<Caller>>()
            .cloned()
            .ok_or_else(|| status::unauthenticated("no authenticated caller"))
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

    /// True when the caller holds `role` (vendor `admin` holds every vendor role).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
            || (self.is_vendor() && self.roles.iter().any(|r| r == "admin"))
    }

    /// True when the caller holds any role starting with `prefix` (e.g. `department:`).
    pub fn has_role_prefix(&self, prefix: &str) -> bool {
        self.roles.iter().any(|r| r.starts_with(prefix))
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

/// Verifies bearer tokens; the tonic interceptor of every service.
#[derive(Clone)]
pub struct Authenticator {
    keys: Arc<Vec<Key>>,
    cache: Arc<RwLock<HashMap<Arc<str>, Arc<Caller>>>>,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
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
        let validation = |alg| {
            let mut v = Validation::new(alg);
            v.set_issuer(&[&config.issuer]);
            v.set_audience(&[&config.audience]);
            v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            v.leeway = 30;
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
            cache: Arc::default(),
        })
    }

    /// Verifies `token` and returns the caller it proves.
    pub fn verify(&self, token: &str) -> Result<Arc<Caller>, Status> {
        let now = now_secs();
        if let Ok(cache) = self.cache.read()
            && let Some(c) = cache.get(token)
            && c.expires_at > now
        {
            return Ok(c.clone());
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| status::unauthenticated(format!("malformed token: {e}")))?;
        let candidates = self.keys.iter().filter(|k| match (&k.kid, &header.kid) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        });
        let mut last_error = String::from("no key matches the token");
        for k in candidates {
            if !k.validation.algorithms.contains(&header.alg) {
                last_error = format!("algorithm {:?} is not accepted", header.alg);
                continue;
            }
            match jsonwebtoken::decode::<Claims>(token, &k.key, &k.validation) {
                Ok(data) => {
                    let c = data.claims;
                    let org = Org::parse(&c.org).ok_or_else(|| {
                        status::unauthenticated(
                            "the org claim must be `vendor` or `customers/{id}`",
                        )
                    })?;
                    let token: Arc<str> = Arc::from(token);
                    let caller = Arc::new(Caller {
                        subject: c.sub,
                        org,
                        roles: c.roles,
                        token: token.clone(),
                        expires_at: c.exp,
                    });
                    if let Ok(mut cache) = self.cache.write() {
                        if cache.len() >= CACHE_LIMIT {
                            cache.retain(|_, c| c.expires_at > now);
                            if cache.len() >= CACHE_LIMIT {
                                cache.clear();
                            }
                        }
                        cache.insert(token, caller.clone());
                    }
                    return Ok(caller);
                }
                Err(e) => last_error = e.to_string(),
            }
        }
        Err(status::unauthenticated(format!(
            "invalid token: {last_error}"
        )))
    }
}

impl tonic::service::Interceptor for Authenticator {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        let header = req.metadata().get("authorization").ok_or_else(|| {
            status::unauthenticated("missing `authorization: Bearer <token>` metadata")
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .ok_or_else(|| status::unauthenticated("authorization must be `Bearer <token>`"))?;
        let caller = self.verify(token.trim())?;
        req.extensions_mut().insert(caller);
        Ok(req)
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use std::time::Duration;

    fn setup() -> Result<(Authenticator, Minter, tempfile_free::Dir), String> {
        let keys = DevKeys::generate()?;
        let dir = tempfile_free::Dir::new()?;
        let path = dir.0.join("pub.pem");
        std::fs::write(&path, &keys.public_pem).map_err(|e| e.to_string())?;
        let config = AuthConfig {
            public_key_file: Some(path),
            jwks_file: None,
            issuer: "symbolon".into(),
            audience: "symbolon".into(),
        };
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
            iat: 0,
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
        let auth = Authenticator::from_config(&AuthConfig {
            public_key_file: None,
            jwks_file: Some(path),
            issuer: "symbolon".into(),
            audience: "symbolon".into(),
        })
        .map_err(|e| e.to_string())?;
        for keys in [&old, &new] {
            let minter = Minter::from_pem(keys.private_pem.as_bytes(), "symbolon", "symbolon")?;
            let t = minter.mint("op", &Org::Vendor, &["admin"], Duration::from_secs(60))?;
            assert!(auth.verify(&t).is_ok());
        }
        let stranger = Minter::from_pem(
            DevKeys::generate()?.private_pem.as_bytes(),
            "symbolon",
            "symbolon",
        )?;
        let t = stranger.mint("op", &Org::Vendor, &["admin"], Duration::from_secs(60))?;
        assert!(auth.verify(&t).is_err());
        Ok(())
    }
}
