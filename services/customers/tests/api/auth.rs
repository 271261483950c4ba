//! Authentication: missing, expired, foreign and unsigned tokens are UNAUTHENTICATED.

use crate::helpers::*;
use base64::Engine;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::auth::Claims;
use symbolon_testkit::{Backend, Keys, authed};
use tonic::Code;

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let app = spawn_app(Backend::Sqlite).await;
    let req = || pb::ListCustomersRequest::default();
    let no_token = app
        .client()
        .list_customers(tonic::Request::new(req()))
        .await;
    assert_eq!(code(no_token), Code::Unauthenticated);

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
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
        let r = app.client().list_customers(authed(&token, req())).await;
        assert_eq!(code(r), Code::Unauthenticated, "{what}");
    }
    // The same claims, properly signed, pass.
    let good = app.keys.minter().mint_claims(&claims).unwrap();
    assert!(
        app.client()
            .list_customers(authed(&good, req()))
            .await
            .is_ok()
    );
}
