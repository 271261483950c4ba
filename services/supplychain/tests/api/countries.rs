//! Country profiles: scales normalised, updates by mask, bulk import modes.

use crate::helpers::*;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Code;

async fn profiles_normalise_each_scale(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = app.country("de", 0.5955, 4.1).await;
    assert_eq!(p.name, "countryProfiles/DE");
    let ps = &p.factors["political_stability"];
    assert!((ps.normalized_value - 0.724).abs() < 0.01, "{ps:?}");
    let lr = &p.factors["logistics_reachability"];
    assert!((lr.normalized_value - 0.775).abs() < 1e-9);
    // One more factor, on another scale, without a schema change; merged by mask.
    let updated = app
        .call(pb::UpdateCountryProfileRequest {
            country_profile: Some(pb::CountryProfile {
                name: "countryProfiles/DE".into(),
                factors: [(
                    "partner_maturity".to_string(),
                    factor(80.0, pb::Scale::PercentileRank),
                )]
                .into_iter()
                .collect(),
                etag: p.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["factors.partner_maturity".into()],
            }),
            allow_missing: false,
        })
        .await;
    assert_eq!(updated.factors.len(), 3);
    assert!((updated.factors["partner_maturity"].normalized_value - 0.8).abs() < 1e-9);
    assert_eq!(updated.factors["partner_maturity"].source, "test");
    // The old etag is stale now.
    let stale = app
        .try_call(pb::UpdateCountryProfileRequest {
            country_profile: Some(pb::CountryProfile {
                name: "countryProfiles/DE".into(),
                display_name: "Germany".into(),
                etag: p.etag,
                ..Default::default()
            }),
            update_mask: None,
            allow_missing: false,
        })
        .await;
    assert_eq!(code(stale), Code::FailedPrecondition);
    let got = app
        .call(pb::GetCountryProfileRequest {
            name: "countryProfiles/de".into(),
        })
        .await;
    assert_eq!(got.factors.len(), 3);
    let missing = app
        .try_call(pb::GetCountryProfileRequest {
            name: "countryProfiles/FR".into(),
        })
        .await;
    assert_eq!(code(missing), Code::NotFound);
}

fn record(cc: &str, f: &str, value: f64, scale: pb::Scale) -> pb::FactorRecord {
    pb::FactorRecord {
        country: cc.into(),
        factor: f.into(),
        value: Some(factor(value, scale)),
        display_name: String::new(),
    }
}

async fn import(
    app: &TestApp,
    mode: pb::ImportMode,
    records: Vec<pb::FactorRecord>,
) -> pb::ImportCountryFactorsResponse {
    // Two messages: the mode travels on the first.
    let half = records.len() / 2;
    let (a, b) = records.split_at(half);
    let msgs = vec![
        pb::ImportCountryFactorsRequest {
            mode: mode as i32,
            records: a.to_vec(),
        },
        pb::ImportCountryFactorsRequest {
            mode: 0,
            records: b.to_vec(),
        },
    ];
    app.client()
        .import_country_factors(authed(&app.admin, tokio_stream::iter(msgs)))
        .await
        .unwrap()
        .into_inner()
}

async fn import_reports_rows_and_honours_the_mode(backend: Backend) {
    let app = spawn_app(backend).await;
    let records = vec![
        record("DE", "political_stability", 0.5955, pb::Scale::WgiEstimate),
        record("NA", "political_stability", 0.6, pb::Scale::WgiEstimate),
        record("FR", "logistics_reachability", 6.0, pb::Scale::Lpi),
        record("ZZ", "political_stability", 0.1, pb::Scale::Unit),
        record("KE", "logistics_reachability", 2.8, pb::Scale::Lpi),
    ];
    let all = import(&app, pb::ImportMode::AllOrNothing, records.clone()).await;
    assert_eq!(all.records_received, 5);
    assert_eq!(all.records_applied, 0);
    let mut bad: Vec<(i64, String)> = all
        .errors
        .iter()
        .map(|e| (e.index, e.field.clone()))
        .collect();
    bad.sort();
    assert_eq!(
        bad,
        vec![
            (2, "records[2].value.value".to_string()),
            (3, "records[3].country".to_string())
        ]
    );
    let list = app.country_profiles().await;
    assert!(list.is_empty(), "nothing applied");

    let good = import(&app, pb::ImportMode::GoodRows, records).await;
    assert_eq!(good.records_applied, 3);
    assert_eq!(good.profiles_written, 3);
    assert_eq!(good.errors.len(), 2);
    let list = app.country_profiles().await;
    let codes: Vec<&str> = list.iter().map(|p| p.country.as_str()).collect();
    assert_eq!(codes, vec!["DE", "KE", "NA"], "Namibia is NA, not missing");
}

async fn readers_read_and_only_keepers_write(backend: Backend) {
    let app = spawn_app(backend).await;
    app.country("DE", 0.5, 4.0).await;
    let frontline = app.vendor(&["frontline"]);
    let ok = app
        .by(&frontline)
        .try_call(pb::ListCountryProfilesRequest::default())
        .await;
    assert!(ok.is_ok());
    let write = app
        .by(&frontline)
        .try_call(pb::DeleteCountryProfileRequest {
            name: "countryProfiles/DE".into(),
            etag: String::new(),
        })
        .await;
    assert_eq!(code(write), Code::PermissionDenied);
    let customer = app.customer();
    let read = app
        .by(&customer)
        .try_call(pb::ListCountryProfilesRequest::default())
        .await;
    assert_eq!(code(read), Code::PermissionDenied);
    // Analysts read and never write; the supply-chain department keeps profiles.
    let delete = |token: String| {
        let mut c = app.client();
        async move {
            c.delete_country_profile(authed(
                &token,
                pb::DeleteCountryProfileRequest {
                    name: "countryProfiles/DE".into(),
                    etag: String::new(),
                },
            ))
            .await
        }
    };
    assert_eq!(
        code(delete(app.vendor(&["analyst"])).await),
        Code::PermissionDenied
    );
    assert!(
        delete(app.vendor(&["department:supply-chain"]))
            .await
            .is_ok()
    );
}

both_backends!(
    profiles_normalise_each_scale,
    import_reports_rows_and_honours_the_mode,
    readers_read_and_only_keepers_write
);
