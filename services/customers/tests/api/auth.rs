//! Authentication through the real server: a corpus of forged and mutated tokens is
//! UNAUTHENTICATED with a plain message; the accepted forms pass; roles outside the
//! vocabulary grant nothing.

use crate::helpers::*;
use base64::Engine;
use serde_json::{Value, json};
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Org, auth::Claims};
use symbolon_testkit::{Backend, Keys, authed};
use tonic::{Code, metadata::MetadataValue};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A request carrying `header` as its `authorization` value.
fn with_header(header: &str) -> tonic::Request<pb::ListCustomersRequest> {
    let mut r = tonic::Request::new(pb::ListCustomersRequest::default());
    r.metadata_mut()
        .insert("authorization", MetadataValue::try_from(header).unwrap());
    r
}

/// Refusals never show what the parser saw.
fn assert_plain(message: &str, what: &str) {
    for leak in [
        "JSON",
        "line ",
        "column",
        "missing field",
        "Error(",
        "invalid type",
    ] {
        assert!(
            !message.contains(leak),
            "{what}: message leaks internals: {message}"
        );
    }
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let app = spawn_app(Backend::Sqlite).await;
    let req = || pb::ListCustomersRequest::default();
    let no_token = app
        .client()
        .list_customers(tonic::Request::new(req()))
        .await;
    assert_eq!(code(no_token), Code::Unauthenticated);

    let now = now();
    let mut claims = Claims {
        sub: "mallory".into(),
        org: "vendor".into(),
        roles: vec!["admin".into()],
        iss: "symbolon".into(),
        aud: "symbolon".into(),
        exp: now - 600,
        iat: now - 4000,
    };
    let expired = app.keys.minter().mint_claims(&claims).unwrap();
    claims.exp = now + 600;
    let foreign = Keys::new().minter().mint_claims(&claims).unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let unsigned = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(serde_json::to_vec(&claims).unwrap())
    );
    for (what, token) in [
        ("expired", expired),
        ("foreign key", foreign),
        ("alg none", unsigned),
        ("garbage", "abc".into()),
    ] {
        let r = app.by(&token).try_call(req()).await;
        assert_eq!(code(r), Code::Unauthenticated, "{what}");
    }
    // The same claims, properly signed, pass.
    let good = app.keys.minter().mint_claims(&claims).unwrap();
    assert!(app.by(&good).try_call(req()).await.is_ok());
}

#[tokio::test]
async fn a_corpus_of_mutated_tokens_is_refused_with_plain_messages() {
    let app = spawn_app(Backend::Sqlite).await;
    let minter = app.keys.minter();
    let base = minter.claims_json("mallory@vendor", &Org::Vendor, &["admin"]);
    let now = now();
    let mutate = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut c = base.clone();
        f(c.as_object_mut().unwrap());
        minter.mint_raw(|_| {}, &c).unwrap()
    };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let hs256 = {
        // HS256 "signed" with the public key as the secret (the classic confusion).
        let key = std::fs::read(app.keys.public_key_file()).unwrap();
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &base,
            &jsonwebtoken::EncodingKey::from_secret(&key),
        )
        .unwrap()
    };
    let corpus: Vec<(&str, String)> = vec![
        (
            "nbf in the future",
            mutate(&|c| {
                c.insert("nbf".into(), json!(now + 600));
            }),
        ),
        (
            "iat in the future",
            mutate(&|c| {
                c.insert("iat".into(), json!(now + 600));
            }),
        ),
        (
            "lifetime above the maximum",
            mutate(&|c| {
                c.insert("exp".into(), json!(now + 2 * 86_400));
            }),
        ),
        (
            "exp 10^12 without iat",
            mutate(&|c| {
                c.remove("iat");
                c.insert("exp".into(), json!(1_000_000_000_000u64));
            }),
        ),
        (
            "exp missing",
            mutate(&|c| {
                c.remove("exp");
            }),
        ),
        (
            "exp a string",
            mutate(&|c| {
                c.insert("exp".into(), json!("tomorrow"));
            }),
        ),
        (
            "empty sub",
            mutate(&|c| {
                c.insert("sub".into(), json!(""));
            }),
        ),
        (
            "blank sub",
            mutate(&|c| {
                c.insert("sub".into(), json!("   "));
            }),
        ),
        (
            "missing sub",
            mutate(&|c| {
                c.remove("sub");
            }),
        ),
        (
            "sub a number",
            mutate(&|c| {
                c.insert("sub".into(), json!(7));
            }),
        ),
        (
            "missing roles",
            mutate(&|c| {
                c.remove("roles");
            }),
        ),
        (
            "roles a string",
            mutate(&|c| {
                c.insert("roles".into(), json!("admin"));
            }),
        ),
        (
            "roles with a number",
            mutate(&|c| {
                c.insert("roles".into(), json!(["admin", 1]));
            }),
        ),
        (
            "missing org",
            mutate(&|c| {
                c.remove("org");
            }),
        ),
        (
            "org of nobody",
            mutate(&|c| {
                c.insert("org".into(), json!("customers/"));
            }),
        ),
        (
            "other issuer",
            mutate(&|c| {
                c.insert("iss".into(), json!("elsewhere"));
            }),
        ),
        (
            "missing issuer",
            mutate(&|c| {
                c.remove("iss");
            }),
        ),
        (
            "other audience",
            mutate(&|c| {
                c.insert("aud".into(), json!("elsewhere"));
            }),
        ),
        (
            "audience array without ours",
            mutate(&|c| {
                c.insert("aud".into(), json!(["elsewhere", "another"]));
            }),
        ),
        (
            "missing audience",
            mutate(&|c| {
                c.remove("aud");
            }),
        ),
        (
            "unknown crit extension",
            minter
                .mint_raw(|h| h.crit = Some(vec!["exp".into()]), &base)
                .unwrap(),
        ),
        ("HS256 with the public key", hs256),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
                b64.encode(base.to_string())
            ),
        ),
        ("signature of another token", {
            let good = minter.mint_raw(|_| {}, &base).unwrap();
            let other = mutate(&|c| {
                c.insert("sub".into(), json!("someone-else"));
            });
            let sig = good.rsplit('.').next().unwrap();
            let (head, _) = other.rsplit_once('.').unwrap();
            format!("{head}.{sig}")
        }),
        ("two segments", "a.b".into()),
        ("not base64", "!!!.???.***".into()),
    ];
    for (what, token) in &corpus {
        let r = app
            .by(token)
            .try_call(pb::ListCustomersRequest::default())
            .await;
        let err = r.err().unwrap_or_else(|| panic!("{what}: accepted"));
        assert_eq!(
            err.code(),
            Code::Unauthenticated,
            "{what}: {}",
            err.message()
        );
        assert_plain(err.message(), what);
    }
    // Messages name the rule broken.
    let msg = |token: &str| {
        let app = &app;
        let token = token.to_string();
        async move {
            app.by(&token)
                .try_call(pb::ListCustomersRequest::default())
                .await
                .unwrap_err()
                .message()
                .to_string()
        }
    };
    let roles_missing = &corpus
        .iter()
        .find(|(w, _)| *w == "missing roles")
        .unwrap()
        .1;
    assert!(msg(roles_missing).await.contains("roles"));
    let org_missing = &corpus.iter().find(|(w, _)| *w == "missing org").unwrap().1;
    assert!(msg(org_missing).await.contains("org"));

    // Accepted forms: an `aud` array containing ours, a small clock skew, roles an
    // empty list (which then grants nothing: PERMISSION_DENIED, not UNAUTHENTICATED).
    let aud_array = mutate(&|c| {
        c.insert("aud".into(), json!(["elsewhere", "symbolon"]));
    });
    let skewed = mutate(&|c| {
        c.insert("iat".into(), json!(now + 5));
        c.insert("nbf".into(), json!(now + 5));
    });
    for (what, token) in [("aud array", &aud_array), ("skew within leeway", &skewed)] {
        let r = app
            .by(token)
            .try_call(pb::ListCustomersRequest::default())
            .await;
        assert!(r.is_ok(), "{what}: {:?}", r.err());
    }
    let no_roles = mutate(&|c| {
        c.insert("roles".into(), json!([]));
    });
    let r = app
        .by(&no_roles)
        .try_call(pb::ListCustomersRequest::default())
        .await;
    assert_eq!(code(r), Code::PermissionDenied);
}

#[tokio::test]
async fn the_authorization_header_is_one_bearer_in_any_case() {
    let app = spawn_app(Backend::Sqlite).await;
    let token = app.admin.clone();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = app
            .client()
            .list_customers(with_header(&format!("{scheme} {token}")))
            .await;
        assert!(r.is_ok(), "{scheme}: {:?}", r.err());
    }
    for bad in [
        format!("Basic {token}"),
        format!("Bearer{token}"),
        "Bearer ".to_string(),
        token.clone(),
    ] {
        let r = app.client().list_customers(with_header(&bad)).await;
        assert_eq!(code(r), Code::Unauthenticated, "{bad:.12}");
    }
    // Two authorization headers: refused whichever comes first.
    let other = app.keys.customer("acme", &["customer-engineer"]);
    for (first, second) in [(&token, &other), (&other, &token), (&token, &token)] {
        let mut r = with_header(&format!("Bearer {first}"));
        r.metadata_mut().append(
            "authorization",
            MetadataValue::try_from(format!("Bearer {second}")).unwrap(),
        );
        let err = app.client().list_customers(r).await.unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
        assert!(err.message().contains("more than one"), "{}", err.message());
    }
}

#[tokio::test]
async fn roles_outside_the_vocabulary_grant_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    app.customer("acme", pb::Industry::Energy, "DE").await;
    let vendor_with = |roles: &[&str]| app.keys.token("mallory@vendor", &Org::Vendor, roles);
    for roles in [
        vec!["superuser"],
        vec!["*"],
        vec!["ADMIN"],
        vec!["Admin"],
        vec!["department:"],
        vec!["department:nowhere"],
        vec!["customer-engineer"],
        vec!["customer-executive", "superuser"],
        vec![" admin"],
        vec![],
    ] {
        let t = vendor_with(&roles);
        let list = app
            .by(&t)
            .try_call(pb::ListCustomersRequest::default())
            .await;
        assert_eq!(
            code(list),
            Code::PermissionDenied,
            "{roles:?} listed customers"
        );
        let get = app
            .by(&t)
            .try_call(pb::GetCustomerRequest {
                name: "customers/acme".into(),
            })
            .await;
        assert_eq!(
            code(get),
            Code::PermissionDenied,
            "{roles:?} read a customer"
        );
    }
    // A customer's token holding vendor role names gets nothing from them either.
    let t = app.keys.customer("acme", &["admin", "frontline"]);
    let r = app
        .by(&t)
        .try_call(pb::ListCustomersRequest::default())
        .await;
    assert_eq!(code(r), Code::PermissionDenied);
    // A known role beside unknown ones still counts.
    let t = vendor_with(&["superuser", "analyst"]);
    assert!(
        app.by(&t)
            .try_call(pb::ListCustomersRequest::default())
            .await
            .is_ok()
    );
}

/// With a JWKS configured, a token's `kid` must name one of its keys: a `kid` naming no
/// key is refused even when a good key signed the token; the named key verifies.
#[tokio::test]
async fn with_a_jwks_a_kid_naming_no_key_is_refused() {
    use symbolon_customers::{Application, CustomersConfig};
    let db = symbolon_testkit::TestDb::new(Backend::Sqlite).await;
    let keys = Keys::new();
    // The JWKS holds the test key as an OKP key: the last 32 bytes of the Ed25519
    // SubjectPublicKeyInfo DER.
    let pem = std::fs::read_to_string(keys.public_key_file()).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    assert_eq!(der.len(), 44, "an Ed25519 public key");
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&der[12..]);
    let jwks = json!({"keys": [
        {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "2026-a", "alg": "EdDSA", "use": "sig"}
    ]});
    let path = keys.public_key_file().with_file_name("jwks.json");
    std::fs::write(&path, jwks.to_string()).unwrap();
    let mut server = symbolon_testkit::server_config("customers", &db.url, &keys);
    server.auth.public_key_file = None;
    server.auth.jwks_file = Some(path);
    let app = Application::build(CustomersConfig::new(server))
        .await
        .expect("build");
    let addr = app.local_addr();
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    let mut client = pb::customers_service_client::CustomersServiceClient::new(
        symbolon_testkit::channel(addr).await,
    );
    let minter = keys.minter();
    let claims = minter.claims_json("op@vendor", &Org::Vendor, &["admin"]);
    let named = minter
        .mint_raw(|h| h.kid = Some("2026-a".into()), &claims)
        .unwrap();
    let unnamed = minter
        .mint_raw(|h| h.kid = Some("2025-gone".into()), &claims)
        .unwrap();
    let r = client
        .list_customers(authed(&named, pb::ListCustomersRequest::default()))
        .await;
    assert!(r.is_ok(), "{:?}", r.err());
    let err = client
        .list_customers(authed(&unnamed, pb::ListCustomersRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    assert!(err.message().contains("kid"), "{}", err.message());
    assert_plain(err.message(), "kid naming no key");
    shutdown.cancel();
}
