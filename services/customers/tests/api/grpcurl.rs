//! End to end with the real grpcurl, through server reflection only (no .proto files).

use crate::helpers::*;
use std::process::Output;
use symbolon_testkit::Backend;

/// The grpcurl binary: `$GRPCURL`, else on PATH, else where
/// `scripts/install-grpcurl.sh` puts it. Missing grpcurl fails the test.
fn grpcurl() -> String {
    if let Ok(p) = std::env::var("GRPCURL") {
        return p;
    }
    for candidate in [
        "grpcurl".to_string(),
        format!(
            "{}/.local/bin/grpcurl",
            std::env::var("HOME").unwrap_or_default()
        ),
    ] {
        if std::process::Command::new(&candidate)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return candidate;
        }
    }
    panic!("grpcurl is required: run scripts/install-grpcurl.sh (or set GRPCURL)");
}

async fn run(args: &[&str]) -> Output {
    tokio::process::Command::new(grpcurl())
        .args(args)
        .output()
        .await
        .expect("run grpcurl")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "grpcurl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("grpcurl prints JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcurl_lists_describes_creates_gets_and_pages() {
    let app = spawn_app(Backend::Sqlite).await;
    let addr = app.addr.to_string();
    let auth = format!("authorization: Bearer {}", app.admin);
    let svc = "symbolon.customers.v1.CustomersService";
    // A method of the service called with a JSON body, as the admin.
    let call = |method: &str, body: &str| {
        let args = [
            "-plaintext".to_string(),
            "-H".into(),
            auth.clone(),
            "-d".into(),
            body.into(),
            addr.clone(),
            format!("{svc}/{method}"),
        ];
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            json(&run(&args).await)
        }
    };

    let list = run(&["-plaintext", &addr, "list"]).await;
    let services = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(services.contains(svc), "{services}");
    assert!(services.contains("grpc.health.v1.Health"), "{services}");

    let describe = run(&["-plaintext", &addr, "describe", svc]).await;
    let text = String::from_utf8_lossy(&describe.stdout).to_string();
    assert!(
        text.contains("rpc RecordTouchpoint") && text.contains("rpc ListCustomers"),
        "{text}"
    );

    for (i, country) in ["DE", "KE", "JP"].iter().enumerate() {
        let body = format!(
            r#"{{"customer_id":"c-{i}","customer":{{"display_name":"Customer {i}","industry":"INDUSTRY_ENERGY","home_country":"{country}"}}}}"#
        );
        let created = call("CreateCustomer", &body).await;
        assert_eq!(created["name"], format!("customers/c-{i}"));
    }
    let got = call("GetCustomer", r#"{"name":"customers/c-1"}"#).await;
    assert_eq!(got["homeCountry"], "KE");

    let page1 = call("ListCustomers", r#"{"page_size":2}"#).await;
    assert_eq!(page1["customers"].as_array().map(Vec::len), Some(2));
    let token = page1["nextPageToken"]
        .as_str()
        .expect("a next page")
        .to_string();
    let body = format!(r#"{{"page_size":2,"page_token":"{token}"}}"#);
    let page2 = call("ListCustomers", &body).await;
    assert_eq!(page2["customers"][0]["name"], "customers/c-2");
    assert!(page2.get("nextPageToken").is_none_or(|t| t == ""));

    let missing = run(&[
        "-plaintext",
        "-H",
        &auth,
        "-d",
        r#"{"name":"customers/nope"}"#,
        &addr,
        &format!("{svc}/GetCustomer"),
    ])
    .await;
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr).to_string()
        + &String::from_utf8_lossy(&missing.stdout);
    assert!(
        err.contains("NotFound")
            && err.contains("google.rpc.ErrorInfo")
            && err.contains("symbolon.dev"),
        "{err}"
    );

    let health = json(&run(&["-plaintext", &addr, "grpc.health.v1.Health/Check"]).await);
    assert_eq!(health["status"], "SERVING");
    let body = format!(r#"{{"service":"{svc}"}}"#);
    let health = json(
        &run(&[
            "-plaintext",
            "-d",
            &body,
            &addr,
            "grpc.health.v1.Health/Check",
        ])
        .await,
    );
    assert_eq!(health["status"], "SERVING");
}
