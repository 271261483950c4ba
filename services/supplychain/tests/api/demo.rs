//! The demo loader and the CSV import helper, through the real service.

use crate::helpers::*;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_supplychain::{demo, import};
use symbolon_testkit::{Backend, both_backends};

async fn demo_covers_some_sites_and_not_others(backend: Backend) {
    let app = spawn_app(backend).await;
    let channel = app.client_channel().await;
    let summary = demo::load_demo(channel.clone(), &app.admin).await.unwrap();
    assert!(summary.contains("13 depots"), "{summary}");
    // Idempotent.
    let again = demo::load_demo(channel, &app.admin).await.unwrap();
    assert!(again.contains("13 coverage registrations"), "{again}");
    let regs = app.registrations().await;
    assert_eq!(regs.len(), 13);
    let mut covered: Vec<&str> = regs
        .iter()
        .filter(|r| r.state == pb::CoverageState::Covered as i32)
        .map(|r| r.name.trim_start_matches("coverageRegistrations/demo-"))
        .collect();
    covered.sort();
    assert_eq!(
        covered,
        vec![
            "abu-dhabi",
            "dubai",
            "frankfurt",
            "hamburg",
            "lisbon",
            "nagoya",
            "nairobi",
            "osaka",
            "santiago"
        ]
    );
    let rank = app
        .call(pb::RankCountriesRequest {
            page_size: 3,
            ..Default::default()
        })
        .await;
    assert_eq!(rank.country_scores.len(), 3);
    assert!(!rank.next_page_token.is_empty());
    assert!(rank.country_scores[0].score >= rank.country_scores[2].score);
}

async fn csv_import_reports_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    let channel = app.client_channel().await;
    let csv = "country,factor,value,scale,source,as_of,display_name\n\
        DE,political_stability,0.5955,wgi_estimate,\"World Bank WGI, PV.EST\",2022-01-01,Germany\n\
        NA,logistics_reachability,2.9,lpi,LPI 2023,2023-01-01,Namibia\n\
        FR,logistics_reachability,7,lpi,LPI 2023,2023-01-01,\n\
        KE,partner_maturity,lots,unit,x,2026-01-01,\n";
    let all = import::import_csv(
        channel.clone(),
        &app.admin,
        csv,
        pb::ImportMode::AllOrNothing,
    )
    .await
    .unwrap();
    assert_eq!(all.records_applied, 0);
    let good = import::import_csv(channel, &app.admin, csv, pb::ImportMode::GoodRows)
        .await
        .unwrap();
    assert_eq!(good.records_received, 4);
    assert_eq!(good.records_applied, 2);
    let errs: Vec<(i64, &str)> = good
        .errors
        .iter()
        .map(|e| (e.index, e.field.as_str()))
        .collect();
    assert_eq!(errs, vec![(2, "value.value"), (3, "value")]);
    let na = app
        .call(pb::GetCountryProfileRequest {
            name: "countryProfiles/NA".into(),
        })
        .await;
    assert_eq!(na.display_name, "Namibia");
}

both_backends!(
    demo_covers_some_sites_and_not_others,
    csv_import_reports_rows
);
