//! Release statements, their canonical encoding, and DSSE v1 envelopes signed with
//! Ed25519 (<https://github.com/secure-systems-lab/dsse>), as in-toto and Sigstore use.
//!
//! The server only ever sees public keys: it verifies signatures. Signing happens in the
//! `symbolon` command with a local private key ([`sign_statement`]); anyone holding the
//! public keys can verify an exported envelope offline ([`verify_envelope`]).
//!
//! Nothing here knows tonic or sqlx.

use base64::{Engine, engine::general_purpose::STANDARD};
use ed25519_dalek::{
    Signature as EdSignature, Signer, SigningKey, VerifyingKey,
    pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// The DSSE payload type of a release statement.
pub const STATEMENT_PAYLOAD_TYPE: &str = "application/vnd.symbolon.release-statement.v1+json";
/// The `_type` inside a statement.
pub const STATEMENT_TYPE: &str = "https://symbolon.dev/release-statement/v1";

/// Why a key, signature or envelope was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DsseError {
    /// A PEM key could not be read.
    #[error("invalid key: {0}")]
    BadKey(String),
    /// The envelope is not DSSE JSON.
    #[error("malformed envelope: {0}")]
    Malformed(String),
    /// The payload type is not a release statement.
    #[error("payload type {0:?} is not {STATEMENT_PAYLOAD_TYPE}")]
    PayloadType(String),
    /// A signature does not verify with the key its keyid names.
    #[error("the signature of key {0} does not verify")]
    BadSignature(String),
    /// A required key did not sign.
    #[error("no signature by key {0}")]
    MissingSignature(String),
    /// Fewer distinct signers than the statement requires.
    #[error("{signed} distinct signer(s) verified but the statement requires {required}")]
    NotEnoughSigners {
        /// Verified distinct signers.
        signed: usize,
        /// Required signer roles.
        required: usize,
    },
}

/// One artifact and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactDigest {
    /// File name.
    pub name: String,
    /// Lowercase hex SHA-256.
    pub sha256: String,
}

/// A release statement. Its canonical encoding is compact JSON with the fields in this
/// order, artifacts as given and roles sorted — byte-for-byte what signers sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// `labs/{lab}/releases/{release}`.
    pub release: String,
    /// `customers/{customer}`.
    pub customer: String,
    /// The version, e.g. `24.3.1`.
    pub version: String,
    /// What is released.
    pub artifacts: Vec<ArtifactDigest>,
    /// Release notes.
    pub notes: String,
    /// Role names (e.g. `MEMBER_ROLE_CUSTOMER_EXECUTIVE`) each needing a distinct signer.
    #[serde(rename = "requiredSignerRoles")]
    pub required_signer_roles: Vec<String>,
}

impl Statement {
    /// The canonical bytes (the DSSE payload).
    pub fn canonical(&self) -> Vec<u8> {
        let mut s = self.clone();
        s.required_signer_roles = self
            .required_signer_roles
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // Serialising plain strings and vectors cannot fail.
        serde_json::to_vec(&s).unwrap_or_default()
    }

    /// Parses canonical bytes.
    pub fn parse(payload: &[u8]) -> Result<Self, DsseError> {
        serde_json::from_slice(payload).map_err(|e| DsseError::Malformed(e.to_string()))
    }
}

/// DSSE v1 pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// The DSSE keyid of a public key: the first 32 hex digits of SHA-256(raw key).
pub fn key_id(key: &VerifyingKey) -> String {
    hex(&Sha256::digest(key.as_bytes())[..16])
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads an SPKI PEM Ed25519 public key.
pub fn parse_public_key(pem: &str) -> Result<VerifyingKey, DsseError> {
    VerifyingKey::from_public_key_pem(pem.trim()).map_err(|e| DsseError::BadKey(e.to_string()))
}

/// Reads a PKCS#8 PEM Ed25519 private key.
pub fn parse_private_key(pem: &str) -> Result<SigningKey, DsseError> {
    SigningKey::from_pkcs8_pem(pem.trim()).map_err(|e| DsseError::BadKey(e.to_string()))
}

/// A fresh signer key pair: (PKCS#8 private PEM, SPKI public PEM).
pub fn generate_signer_key() -> Result<(String, String), DsseError> {
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let private = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| DsseError::BadKey(e.to_string()))?
        .to_string();
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| DsseError::BadKey(e.to_string()))?;
    Ok((private, public))
}

/// One DSSE signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsseSignature {
    /// The key's id ([`key_id`]).
    pub keyid: String,
    /// Raw 64-byte Ed25519 signature over [`pae`].
    pub sig: Vec<u8>,
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The signed bytes.
    pub payload: Vec<u8>,
    /// What they are.
    pub payload_type: String,
    /// Signatures over `pae(payload_type, payload)`.
    pub signatures: Vec<DsseSignature>,
}

#[derive(Serialize, Deserialize)]
struct JsonSignature {
    keyid: String,
    sig: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonEnvelope {
    payload: String,
    payload_type: String,
    signatures: Vec<JsonSignature>,
}

impl Envelope {
    /// The standard DSSE JSON form (base64 payload and signatures).
    pub fn to_json(&self) -> String {
        let j = JsonEnvelope {
            payload: STANDARD.encode(&self.payload),
            payload_type: self.payload_type.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|s| JsonSignature {
                    keyid: s.keyid.clone(),
                    sig: STANDARD.encode(&s.sig),
                })
                .collect(),
        };
        serde_json::to_string_pretty(&j).unwrap_or_default()
    }

    /// Parses the DSSE JSON form.
    pub fn from_json(json: &str) -> Result<Self, DsseError> {
        let bad = |e: String| DsseError::Malformed(e);
        let j: JsonEnvelope = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            payload: STANDARD
                .decode(j.payload)
                .map_err(|e| bad(format!("payload: {e}")))?,
            payload_type: j.payload_type,
            signatures: j
                .signatures
                .into_iter()
                .map(|s| {
                    Ok(DsseSignature {
                        sig: STANDARD
                            .decode(s.sig)
                            .map_err(|e| bad(format!("sig: {e}")))?,
                        keyid: s.keyid,
                    })
                })
                .collect::<Result<_, DsseError>>()?,
        })
    }
}

/// Signs `payload` of `payload_type` with `key`.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> DsseSignature {
    DsseSignature {
        keyid: key_id(&key.verifying_key()),
        sig: key.sign(&pae(payload_type, payload)).to_bytes().to_vec(),
    }
}

/// Checks one signature with `key`.
pub fn verify_signature(
    payload_type: &str,
    payload: &[u8],
    sig: &[u8],
    key: &VerifyingKey,
) -> Result<(), DsseError> {
    let bad = || DsseError::BadSignature(key_id(key));
    let sig = EdSignature::from_slice(sig).map_err(|_| bad())?;
    key.verify_strict(&pae(payload_type, payload), &sig)
        .map_err(|_| bad())
}

/// `symbolon release sign`: signs a statement's canonical bytes with a local PKCS#8 PEM
/// private key and returns an envelope holding that one signature (to send with
/// `SignRelease`). The statement is parsed first, so only a statement is ever signed.
pub fn sign_statement(statement: &[u8], private_key_pem: &str) -> Result<Envelope, DsseError> {
    Statement::parse(statement)?;
    let key = parse_private_key(private_key_pem)?;
    Ok(Envelope {
        payload: statement.to_vec(),
        payload_type: STATEMENT_PAYLOAD_TYPE.into(),
        signatures: vec![sign(STATEMENT_PAYLOAD_TYPE, statement, &key)],
    })
}

/// What an offline verification established.
#[derive(Debug, Clone)]
pub struct VerifiedStatement {
    /// The statement.
    pub statement: Statement,
    /// Keyids whose signatures verified, one per given key.
    pub signed_by: Vec<String>,
    /// Keyids in the envelope for which no key was given (not checked).
    pub unchecked: Vec<String>,
}

/// `symbolon release verify`: verifies an exported DSSE JSON envelope offline with only
/// public keys (SPKI PEM). Every given key must have a valid signature, and there must be
/// at least as many distinct verified signers as the statement requires roles.
pub fn verify_envelope(
    envelope_json: &str,
    public_keys_pem: &[&str],
) -> Result<VerifiedStatement, DsseError> {
    let env = Envelope::from_json(envelope_json)?;
    if env.payload_type != STATEMENT_PAYLOAD_TYPE {
        return Err(DsseError::PayloadType(env.payload_type));
    }
    let statement = Statement::parse(&env.payload)?;
    let mut signed_by = Vec::new();
    for pem in public_keys_pem {
        let key = parse_public_key(pem)?;
        let id = key_id(&key);
        let sigs: Vec<&DsseSignature> = env.signatures.iter().filter(|s| s.keyid == id).collect();
        if sigs.is_empty() {
            return Err(DsseError::MissingSignature(id));
        }
        for s in sigs {
            verify_signature(&env.payload_type, &env.payload, &s.sig, &key)?;
        }
        if !signed_by.contains(&id) {
            signed_by.push(id);
        }
    }
    let required = statement
        .required_signer_roles
        .iter()
        .collect::<BTreeSet<_>>()
        .len();
    if signed_by.len() < required {
        return Err(DsseError::NotEnoughSigners {
            signed: signed_by.len(),
            required,
        });
    }
    let unchecked = env
        .signatures
        .iter()
        .filter(|s| !signed_by.contains(&s.keyid))
        .map(|s| s.keyid.clone())
        .collect();
    Ok(VerifiedStatement {
        statement,
        signed_by,
        unchecked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement() -> Statement {
        Statement {
            statement_type: STATEMENT_TYPE.into(),
            release: "labs/l/releases/r".into(),
            customer: "customers/c".into(),
            version: "1.0".into(),
            artifacts: vec![ArtifactDigest {
                name: "a.tar".into(),
                sha256: "00".repeat(32),
            }],
            notes: "n".into(),
            required_signer_roles: vec!["B".into(), "A".into()],
        }
    }

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn signs_and_verifies_offline_and_detects_tampering() -> Result<(), DsseError> {
        let (p1, k1) = generate_signer_key()?;
        let (p2, k2) = generate_signer_key()?;
        let payload = statement().canonical();
        let mut env = sign_statement(&payload, &p1)?;
        env.signatures
            .extend(sign_statement(&payload, &p2)?.signatures);
        let json = env.to_json();
        let v = verify_envelope(&json, &[&k1, &k2])?;
        assert_eq!(v.signed_by.len(), 2);
        assert_eq!(v.statement.required_signer_roles, vec!["A", "B"]);
        // One key is not enough for two roles.
        assert!(matches!(
            verify_envelope(&json, &[&k1]),
            Err(DsseError::NotEnoughSigners { .. })
        ));
        // A changed payload breaks every signature.
        let mut tampered = env.clone();
        tampered.payload = String::from_utf8(payload.clone())
            .unwrap_or_default()
            .replace("\"1.0\"", "\"1.1\"")
            .into_bytes();
        assert!(matches!(
            verify_envelope(&tampered.to_json(), &[&k1, &k2]),
            Err(DsseError::BadSignature(_))
        ));
        let (_, k3) = generate_signer_key()?;
        assert!(matches!(
            verify_envelope(&json, &[&k1, &k3]),
            Err(DsseError::MissingSignature(_))
        ));
        Ok(())
    }
}
