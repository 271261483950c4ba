//! Demo data for `symbolon dev --demo`, loaded through the public gRPC API (so it also
//! exercises it), idempotent: running it twice changes nothing that matters.
//!
//! - Country profiles for every economy in the bundled World Bank data: political
//!   stability (WGI 2022 estimate), logistics reachability (LPI 2023, else 2018), and an
//!   invented partner maturity for the demo countries.
//! - The scoring model `scoringModels/baseline` (0.4 stability, 0.4 logistics, 0.2
//!   partners), active.
//! - Thirteen depots on five continents with stock of five telecom part numbers.
//! - Coverage registrations (4 h, RRU + BBU) for the customers demo sites, so that
//!   Frankfurt, Hamburg, Santiago, Nairobi, Lisbon, Nagoya, Osaka, Dubai and Abu Dhabi
//!   are covered and Munich, Antofagasta, Mombasa and Porto are not.

use crate::{import, model::csv};
use prost_types::{Duration, Timestamp};
use std::collections::BTreeMap;
use symbolon_contracts::{
    common::v1::LatLng,
    supplychain::v1::{self as pb, supply_chain_service_client::SupplyChainServiceClient},
};
use symbolon_platform::client::authed;
use tonic::{Code, transport::Channel};

const WGI: &str = include_str!("../data/wgi_political_stability_2022.csv");
const LPI: &str = include_str!("../data/lpi.csv");

/// A demo depot: id, name, country, lat, lon, preparation minutes, status, stock.
type DemoDepot = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    i64,
    pb::DepotStatus,
    &'static [(&'static str, i64)],
);

const RRU: &str = "RRU-5258";
const BBU: &str = "BBU-5900";
const PSU: &str = "PSU-48V";
const OLT: &str = "OLT-MA5800";
const SFP: &str = "SFP-10G";

/// Depots near (most) demo sites, at or next to airports.
pub const DEPOTS: &[DemoDepot] = &[
    (
        "fra-1",
        "Frankfurt Airport spare-parts centre",
        "DE",
        50.0379,
        8.5622,
        30,
        pb::DepotStatus::Operational,
        &[(RRU, 12), (BBU, 6), (PSU, 20), (OLT, 4), (SFP, 80)],
    ),
    (
        "ham-1",
        "Hamburg Billbrook hub",
        "DE",
        53.5395,
        10.0905,
        45,
        pb::DepotStatus::Operational,
        &[(RRU, 4), (BBU, 2), (PSU, 8), (SFP, 30)],
    ),
    (
        "lis-1",
        "Lisbon Airport logistics park",
        "PT",
        38.7742,
        -9.1342,
        45,
        pb::DepotStatus::Operational,
        &[(RRU, 3), (BBU, 2), (PSU, 6)],
    ),
    (
        "scl-1",
        "Santiago Pudahuel centre",
        "CL",
        -33.3930,
        -70.7858,
        60,
        pb::DepotStatus::Operational,
        &[(RRU, 5), (BBU, 3), (PSU, 10), (OLT, 2)],
    ),
    (
        "nbo-1",
        "Nairobi JKIA cargo centre",
        "KE",
        -1.3192,
        36.9278,
        60,
        pb::DepotStatus::Operational,
        &[(RRU, 3), (BBU, 1), (PSU, 5)],
    ),
    (
        "ngo-1",
        "Chubu Centrair depot",
        "JP",
        34.8584,
        136.8054,
        30,
        pb::DepotStatus::Operational,
        &[(RRU, 6), (BBU, 3), (PSU, 10), (SFP, 40)],
    ),
    (
        "osa-1",
        "Osaka Kansai depot",
        "JP",
        34.4347,
        135.2440,
        30,
        pb::DepotStatus::Operational,
        &[(RRU, 6), (BBU, 2), (PSU, 8)],
    ),
    (
        "dxb-1",
        "Dubai Logistics City centre",
        "AE",
        24.8960,
        55.1614,
        30,
        pb::DepotStatus::Operational,
        &[(RRU, 8), (BBU, 4), (PSU, 12), (OLT, 3)],
    ),
    (
        "sin-1",
        "Singapore Changi hub",
        "SG",
        1.3644,
        103.9915,
        30,
        pb::DepotStatus::Operational,
        &[(RRU, 20), (BBU, 10), (PSU, 30), (OLT, 6), (SFP, 120)],
    ),
    (
        "jnb-1",
        "Johannesburg OR Tambo centre",
        "ZA",
        -26.1367,
        28.2411,
        60,
        pb::DepotStatus::Degraded,
        &[(RRU, 4), (BBU, 2), (PSU, 6)],
    ),
    (
        "gru-1",
        "Sao Paulo Guarulhos centre",
        "BR",
        -23.4356,
        -46.4731,
        60,
        pb::DepotStatus::Operational,
        &[(RRU, 6), (BBU, 3), (PSU, 10)],
    ),
    (
        "ord-1",
        "Chicago O'Hare centre",
        "US",
        41.9742,
        -87.9073,
        45,
        pb::DepotStatus::Operational,
        &[(RRU, 10), (BBU, 5), (PSU, 15), (SFP, 60)],
    ),
    (
        "del-1",
        "Delhi IGI cargo centre",
        "IN",
        28.5562,
        77.1000,
        60,
        pb::DepotStatus::Operational,
        &[(RRU, 8), (BBU, 4), (PSU, 12)],
    ),
];

/// The customers demo sites: registration id, label, country, lat, lon.
pub const SITES: &[(&str, &str, &str, f64, f64)] = &[
    (
        "demo-frankfurt",
        "Frankfurt core site",
        "DE",
        50.11552,
        8.68417,
    ),
    (
        "demo-hamburg",
        "Hamburg aggregation site",
        "DE",
        53.57532,
        10.01534,
    ),
    (
        "demo-munich",
        "Munich data centre",
        "DE",
        48.13743,
        11.57549,
    ),
    (
        "demo-santiago",
        "Santiago core site",
        "CL",
        -33.45694,
        -70.64827,
    ),
    (
        "demo-antofagasta",
        "Antofagasta mine network",
        "CL",
        -23.65236,
        -70.3954,
    ),
    (
        "demo-nairobi",
        "Nairobi core site",
        "KE",
        -1.28333,
        36.81667,
    ),
    (
        "demo-mombasa",
        "Mombasa landing station",
        "KE",
        -4.05466,
        39.66359,
    ),
    ("demo-lisbon", "Lisbon core site", "PT", 38.71667, -9.13333),
    (
        "demo-porto",
        "Porto regional site",
        "PT",
        41.14961,
        -8.61099,
    ),
    ("demo-nagoya", "Nagoya plant", "JP", 35.18147, 136.90641),
    ("demo-osaka", "Osaka plant", "JP", 34.69374, 135.50218),
    ("demo-dubai", "Dubai core site", "AE", 25.07725, 55.30927),
    (
        "demo-abu-dhabi",
        "Abu Dhabi core site",
        "AE",
        24.45118,
        54.39696,
    ),
];

/// Invented partner maturity (0..1) of the demo countries.
const PARTNERS: &[(&str, f64)] = &[
    ("DE", 0.9),
    ("PT", 0.7),
    ("CL", 0.6),
    ("KE", 0.45),
    ("JP", 0.85),
    ("AE", 0.75),
    ("SG", 0.9),
    ("ZA", 0.55),
    ("BR", 0.6),
    ("US", 0.85),
    ("IN", 0.6),
];

/// Treats "already there" as success: the demo is idempotent.
fn tolerate<T>(r: Result<tonic::Response<T>, tonic::Status>) -> anyhow::Result<()> {
    match r {
        Ok(_) => Ok(()),
        Err(s) if s.code() == Code::AlreadyExists => Ok(()),
        Err(s) => Err(anyhow::anyhow!("supply-chain demo data: {s:?}")),
    }
}

fn year_start(year: i64) -> Timestamp {
    // Days from 1970-01-01 to 1 January of `year` (Gregorian).
    let y = year - 1;
    let days =
        365 * (y - 1969) + (y / 4 - 1969 / 4) - (y / 100 - 1969 / 100) + (y / 400 - 1969 / 400);
    Timestamp {
        seconds: days * 86_400,
        nanos: 0,
    }
}

/// The factor records of the bundled data.
pub fn factor_records() -> Vec<pb::FactorRecord> {
    let mut out = Vec::new();
    let (h, rows) = csv::records(WGI);
    let col = |h: &[String], n: &str| h.iter().position(|x| x == n).unwrap_or(usize::MAX);
    let (iso, name, year, est) = (
        col(&h, "iso2"),
        col(&h, "country"),
        col(&h, "year"),
        col(&h, "pv_estimate"),
    );
    for r in &rows {
        let (Some(cc), Some(v), Some(y)) = (
            r.get(iso),
            r.get(est).and_then(|v| v.parse::<f64>().ok()),
            r.get(year).and_then(|v| v.parse::<i64>().ok()),
        ) else {
            continue;
        };
        out.push(pb::FactorRecord {
            country: cc.clone(),
            factor: "political_stability".into(),
            value: Some(pb::FactorValue {
                value: v,
                scale: pb::Scale::WgiEstimate as i32,
                normalized_value: 0.0,
                source: "World Bank WGI 2023 update, PV.EST (Kaufmann and Kraay, CC BY 4.0)".into(),
                as_of_time: Some(year_start(y)),
            }),
            display_name: r.get(name).cloned().unwrap_or_default(),
        });
    }
    // LPI: the 2023 edition where it exists, else 2018.
    let (h, rows) = csv::records(LPI);
    let (iso, year, score) = (col(&h, "iso2"), col(&h, "year"), col(&h, "lpi_score"));
    let mut lpi: BTreeMap<String, (i64, f64)> = BTreeMap::new();
    for r in &rows {
        let (Some(cc), Some(y), Some(s)) = (
            r.get(iso),
            r.get(year).and_then(|v| v.parse::<i64>().ok()),
            r.get(score).and_then(|v| v.parse::<f64>().ok()),
        ) else {
            continue;
        };
        let e = lpi.entry(cc.clone()).or_insert((y, s));
        if y > e.0 {
            *e = (y, s);
        }
    }
    for (cc, (y, s)) in lpi {
        out.push(pb::FactorRecord {
            country: cc,
            factor: "logistics_reachability".into(),
            value: Some(pb::FactorValue {
                value: s,
                scale: pb::Scale::Lpi as i32,
                normalized_value: 0.0,
                source: format!(
                    "World Bank Logistics Performance Index {y}, overall score (CC BY 4.0)"
                ),
                as_of_time: Some(year_start(y)),
            }),
            display_name: String::new(),
        });
    }
    for (cc, v) in PARTNERS {
        out.push(pb::FactorRecord {
            country: (*cc).into(),
            factor: "partner_maturity".into(),
            value: Some(pb::FactorValue {
                value: *v,
                scale: pb::Scale::Unit as i32,
                normalized_value: 0.0,
                source: "Symbolon demo: invented partner assessment".into(),
                as_of_time: Some(year_start(2026)),
            }),
            display_name: String::new(),
        });
    }
    out
}

/// Loads the demo into the supply-chain service behind `channel`, acting with `token`
/// (a vendor admin). Returns a one-line summary.
pub async fn load_demo(channel: Channel, token: &str) -> anyhow::Result<String> {
    let mut client = SupplyChainServiceClient::new(channel.clone());
    let records = factor_records();
    let imported =
        import::import_records(channel, token, records, pb::ImportMode::GoodRows).await?;
    if let Some(e) = imported.errors.first() {
        anyhow::bail!(
            "demo factor import refused record {}: {} {}",
            e.index,
            e.field,
            e.description
        );
    }
    tolerate(
        client
            .create_scoring_model(authed(
                token,
                pb::CreateScoringModelRequest {
                    scoring_model: Some(pb::ScoringModel {
                        display_name: "Baseline resilience".into(),
                        description: "Political stability and logistics weigh 40 % each, local partners 20 %.".into(),
                        weights: [
                            ("political_stability".to_string(), 0.4),
                            ("logistics_reachability".to_string(), 0.4),
                            ("partner_maturity".to_string(), 0.2),
                        ]
                        .into_iter()
                        .collect(),
                        ..Default::default()
                    }),
                    scoring_model_id: "baseline".into(),
                    request_id: String::new(),
                },
            ))
            .await,
    )?;
    let mut stock_levels = 0;
    for (id, name, cc, lat, lon, prep, status, stock) in DEPOTS {
        tolerate(
            client
                .create_depot(authed(
                    token,
                    pb::CreateDepotRequest {
                        depot: Some(pb::Depot {
                            display_name: (*name).into(),
                            country: (*cc).into(),
                            location: Some(LatLng {
                                latitude: *lat,
                                longitude: *lon,
                            }),
                            status: *status as i32,
                            dispatch_preparation_time: Some(Duration {
                                seconds: prep * 60,
                                nanos: 0,
                            }),
                            ..Default::default()
                        }),
                        depot_id: (*id).into(),
                        request_id: String::new(),
                    },
                ))
                .await,
        )?;
        for (part, n) in *stock {
            client
                .set_stock_level(authed(
                    token,
                    pb::SetStockLevelRequest {
                        stock_level: Some(pb::StockLevel {
                            name: format!("depots/{id}/stockLevels/{part}"),
                            on_hand: *n,
                            ..Default::default()
                        }),
                    },
                ))
                .await?;
            stock_levels += 1;
        }
    }
    let (mut covered, mut at_risk) = (0, 0);
    for (id, label, cc, lat, lon) in SITES {
        let r = client
            .create_coverage_registration(authed(
                token,
                pb::CreateCoverageRegistrationRequest {
                    coverage_registration: Some(pb::CoverageRegistration {
                        site: Some(pb::SiteLocation {
                            location: Some(LatLng {
                                latitude: *lat,
                                longitude: *lon,
                            }),
                            country: (*cc).into(),
                            site: (*label).into(),
                        }),
                        part_numbers: vec![RRU.into(), BBU.into()],
                        window: Some(Duration {
                            seconds: 4 * 3600,
                            nanos: 0,
                        }),
                        reference: format!("symbolon-demo/{id}"),
                        ..Default::default()
                    }),
                    coverage_registration_id: (*id).into(),
                    request_id: String::new(),
                },
            ))
            .await;
        let state = match r {
            Ok(r) => r.into_inner().state,
            Err(s) if s.code() == Code::AlreadyExists => {
                client
                    .get_coverage_registration(authed(
                        token,
                        pb::GetCoverageRegistrationRequest {
                            name: format!("coverageRegistrations/{id}"),
                        },
                    ))
                    .await?
                    .into_inner()
                    .state
            }
            Err(s) => anyhow::bail!("supply-chain demo data: {s:?}"),
        };
        if state == pb::CoverageState::Covered as i32 {
            covered += 1;
        } else {
            at_risk += 1;
        }
    }
    Ok(format!(
        "{} country profiles, scoring model scoringModels/baseline, {} depots with {stock_levels} stock levels, {} coverage registrations ({covered} covered within 4 h, {at_risk} at risk)",
        imported.profiles_written,
        DEPOTS.len(),
        SITES.len()
    ))
}

/// [`load_demo`] for a service at `url` (e.g. `http://127.0.0.1:50053`).
pub async fn load_demo_at(url: &str, token: &str) -> anyhow::Result<String> {
    let channel = Channel::from_shared(url.to_string())?.connect().await?;
    load_demo(channel, token).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_has_every_economy_and_namibia() {
        let r = factor_records();
        let wgi = r
            .iter()
            .filter(|x| x.factor == "political_stability")
            .count();
        assert_eq!(wgi, 213);
        let lpi = r
            .iter()
            .filter(|x| x.factor == "logistics_reachability")
            .count();
        assert!(lpi >= 160, "{lpi}");
        assert!(r.iter().any(|x| x.country == "NA"));
        assert_eq!(year_start(2022).seconds, 1_640_995_200);
        assert_eq!(year_start(1970).seconds, 0);
    }
}
