//! Input rules of the labs' requests, held before any handler runs: no NUL in log
//! attributes, no bidirectional override in what people sign, a bound on free text (a
//! test plan of megabytes would make every later page too big to receive).

use crate::helpers::*;
use symbolon_contracts::labs::v1 as pb;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::{Code, Status};
use tonic_types::StatusExt;

fn fields(r: Result<impl std::fmt::Debug, Status>) -> Vec<String> {
    let s = r.expect_err("refused");
    assert_eq!(s.code(), Code::InvalidArgument, "{s:?}");
    s.get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

async fn signed_and_logged_text_is_clean(backend: Backend) {
    let w = world(backend).await;
    let mut labs = w.client();

    let mut append = append_request(LAB, 0, 2);
    append.entries[1]
        .attributes
        .insert("cell\0id".into(), "17".into());
    append.entries[0]
        .attributes
        .insert("cell".into(), "1\u{0}7".into());
    let mut got = fields(labs.append_log_entries(authed(&w.eng(), append)).await);
    got.sort();
    assert_eq!(
        got,
        [
            r#"entries[0].attributes["cell"]"#,
            r#"entries[1].attributes["cell\0id"]"#
        ]
    );

    let release = |version: &str, artifact: &str| pb::CreateReleaseRequest {
        parent: LAB.into(),
        release: Some(pb::Release {
            version: version.into(),
            artifacts: vec![pb::Artifact {
                name: artifact.into(),
                sha256: "ab".repeat(32),
            }],
            ..Default::default()
        }),
        release_id: "r1".into(),
        request_id: String::new(),
    };
    let spoofed = labs
        .create_release(authed(&w.rm(), release("24.3.1\u{202E}1.3.42", "gnb.tar")))
        .await;
    assert_eq!(fields(spoofed), ["release.version"]);
    let hidden = labs
        .create_release(authed(&w.rm(), release("24.3.1", "gnb\u{200B}.tar")))
        .await;
    assert_eq!(fields(hidden), ["release.artifacts[0].name"]);

    let huge = labs
        .create_test_plan(authed(
            &w.eng(),
            pb::CreateTestPlanRequest {
                parent: LAB.into(),
                test_plan: Some(pb::TestPlan {
                    title: "Throughput".into(),
                    cases: vec![pb::TestCase {
                        id: "c1".into(),
                        title: "Peak".into(),
                        expected_result: "x".repeat(1 << 20),
                    }],
                    ..Default::default()
                }),
                test_plan_id: "tp1".into(),
                request_id: String::new(),
            },
        ))
        .await;
    assert_eq!(fields(huge), ["test_plan.cases[0].expected_result"]);
}

/// A List page stops at its byte budget (1 MiB by default), well under the 4 MiB a
/// client accepts, and the pages that follow hold every item exactly once.
async fn pages_stay_under_their_byte_budget(backend: Backend) {
    use prost::Message;
    let w = world(backend).await;
    let mut labs = w.client();
    // 16 plans of about 320 KB each: 5 MB in all, more than a client could receive in
    // one page, while page_size would allow every plan at once.
    let mut created = Vec::new();
    for p in 0..16 {
        let cases = (0..40)
            .map(|c| pb::TestCase {
                id: format!("c{c}"),
                title: format!("Case {c}"),
                expected_result: format!("{p:02}").repeat(4_000),
            })
            .collect();
        let plan = labs
            .create_test_plan(authed(
                &w.eng(),
                pb::CreateTestPlanRequest {
                    parent: LAB.into(),
                    test_plan: Some(pb::TestPlan {
                        title: format!("Throughput {p}"),
                        cases,
                        ..Default::default()
                    }),
                    test_plan_id: format!("tp{p}"),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("created")
            .into_inner();
        created.push(plan.name);
    }
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut page_token = String::new();
    loop {
        let page = labs
            .list_test_plans(authed(
                &w.eng(),
                pb::ListTestPlansRequest {
                    parent: LAB.into(),
                    page_size: 1000,
                    page_token,
                },
            ))
            .await
            .expect("a page")
            .into_inner();
        pages += 1;
        assert!(!page.test_plans.is_empty(), "every page carries an item");
        assert!(
            page.encoded_len() <= (1 << 20) + 1024,
            "page {pages} is {} bytes",
            page.encoded_len()
        );
        seen.extend(page.test_plans.into_iter().map(|p| p.name));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert!(pages >= 5, "{pages} pages");
    seen.sort();
    created.sort();
    assert_eq!(seen, created, "every plan exactly once");
}

both_backends!(
    signed_and_logged_text_is_clean,
    pages_stay_under_their_byte_budget
);
