//! Batch coverage assessment: time for 10k / 100k / 1M sites against 1,000 depots,
//! on one thread and on all cores, plus an all-pairs baseline to show what the k-d tree
//! saves. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p symbolon-supplychain --bench coverage`
//!
//! Depots and sites are drawn from GeoNames cities when `SYMBOLON_CITIES_CSV` (or
//! the shared data set's `cities.csv`, beside the repository) exists, else from a
//! synthetic clustered world.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, time::Instant};
use symbolon_contracts::supplychain::v1::DepotStatus;
use symbolon_supplychain::model::{
    coverage::{CountryData, DepotData, Params, Site, Snapshot},
    csv,
    geo::haversine_km,
};

const PARTS: [&str; 5] = ["RRU-5258", "BBU-5900", "PSU-48V", "OLT-MA5800", "SFP-10G"];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// (lat, lon, country) places to draw from.
fn places(rng: &mut Rng) -> (Vec<(f64, f64, String)>, &'static str) {
    let path = std::env::var("SYMBOLON_CITIES_CSV")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/data/cities.csv").into());
    if let Ok(text) = std::fs::read_to_string(&path) {
        let (h, rows) = csv::records(&text);
        let col = |n: &str| h.iter().position(|x| x == n).unwrap_or(usize::MAX);
        let (lat, lon, cc) = (col("lat"), col("lon"), col("iso2"));
        let out: Vec<_> = rows
            .iter()
            .filter_map(|r| {
                Some((
                    r.get(lat)?.parse().ok()?,
                    r.get(lon)?.parse().ok()?,
                    r.get(cc)?.clone(),
                ))
            })
            .collect();
        if !out.is_empty() {
            return (out, "GeoNames cities (CC BY 4.0)");
        }
    }
    // 200 synthetic "metropolitan areas" with places scattered around them.
    let centres: Vec<(f64, f64)> = (0..200)
        .map(|_| (rng.unit() * 120.0 - 55.0, rng.unit() * 360.0 - 180.0))
        .collect();
    let out = (0..30_000)
        .map(|i| {
            let (a, b) = centres[i % centres.len()];
            (
                (a + rng.unit() * 6.0 - 3.0).clamp(-89.0, 89.0),
                b + rng.unit() * 6.0 - 3.0,
                format!("C{}", i % 50),
            )
        })
        .collect();
    (out, "synthetic clustered world")
}

fn main() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let (places, source) = places(&mut rng);
    let params = Params::default();
    let make_depots = |n: usize, rng: &mut Rng| -> Vec<DepotData> {
        (0..n)
            .map(|i| {
                let (lat, lon, cc) = places[rng.below(places.len())].clone();
                let mut stock = std::collections::BTreeMap::new();
                for p in PARTS {
                    if rng.unit() < 0.7 {
                        stock.insert(p.to_string(), 1 + rng.below(20) as i64);
                    }
                }
                DepotData {
                    id: format!("d{i}"),
                    display_name: format!("Depot {i}"),
                    country: cc,
                    lat,
                    lon,
                    status: if i % 50 == 0 {
                        DepotStatus::Outage
                    } else if i % 17 == 0 {
                        DepotStatus::Degraded
                    } else {
                        DepotStatus::Operational
                    },
                    prep_h: 0.25 + rng.unit(),
                    stock,
                }
            })
            .collect()
    };
    let depots = make_depots(1000, &mut rng);
    let mut countries = HashMap::new();
    for (_, _, cc) in &places {
        countries.entry(cc.clone()).or_insert_with(|| CountryData {
            factors: [
                ("political_stability".to_string(), rng.unit()),
                ("logistics_reachability".to_string(), rng.unit()),
            ]
            .into_iter()
            .collect(),
            score: 0.0,
        });
    }
    let weights: std::collections::BTreeMap<String, f64> = [
        ("political_stability".to_string(), 0.5),
        ("logistics_reachability".to_string(), 0.5),
    ]
    .into_iter()
    .collect();
    let t = Instant::now();
    let snap = Snapshot::new(
        depots,
        countries.clone(),
        "scoringModels/bench".into(),
        1,
        weights.clone(),
    );
    let build = t.elapsed();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "coverage benchmark: 1,000 depots from {source}; window 4 h; 1-2 parts per site; {cores} cores"
    );
    println!(
        "snapshot + k-d tree build: {:.2} ms",
        build.as_secs_f64() * 1e3
    );

    let make_sites = |n: usize, rng: &mut Rng| -> Vec<(Site, Vec<String>)> {
        (0..n)
            .map(|_| {
                let (lat, lon, cc) = &places[rng.below(places.len())];
                let site = Site {
                    lat: lat + rng.unit() * 0.2 - 0.1,
                    lon: lon + rng.unit() * 0.2 - 0.1,
                    country: cc.clone(),
                };
                let k = 1 + rng.below(2);
                let parts = (0..k)
                    .map(|_| PARTS[rng.below(PARTS.len())].to_string())
                    .collect();
                (site, parts)
            })
            .collect()
    };

    // All-pairs baseline on 10k sites: what the spatial index avoids.
    let sites = make_sites(10_000, &mut rng);
    let t = Instant::now();
    let mut covered_brute = 0usize;
    for (s, parts) in &sites {
        let reach = snap.reachability(&params, &s.country);
        let mut ok = false;
        for (i, d) in snap.depots.iter().enumerate() {
            if d.status == DepotStatus::Outage
                || !parts
                    .iter()
                    .all(|p| d.stock.get(p).is_some_and(|n| *n >= 1))
            {
                continue;
            }
            let _ = haversine_km(d.lat, d.lon, s.lat, s.lon);
            if snap.eta(&params, i, s, reach).total_h <= 4.0 + 1e-9 {
                ok = true;
            }
        }
        covered_brute += usize::from(ok);
    }
    let brute = t.elapsed();
    let t = Instant::now();
    let covered_tree = sites
        .iter()
        .filter(|(s, p)| snap.assess(&params, s, p, 4.0).covered)
        .count();
    let tree = t.elapsed();
    assert_eq!(
        covered_brute, covered_tree,
        "the index finds what all-pairs finds"
    );
    println!(
        "10,000 sites all-pairs (ETA only): {:>9.1} ms | k-d tree full assessment: {:>7.1} ms ({:.0}x)",
        brute.as_secs_f64() * 1e3,
        tree.as_secs_f64() * 1e3,
        brute.as_secs_f64() / tree.as_secs_f64().max(1e-9)
    );

    println!(
        "{:>10} | {:>12} | {:>12} | {:>12} | covered",
        "sites",
        "1 thread",
        format!("{cores} threads"),
        "µs/site (1t)"
    );
    for n in [10_000usize, 100_000, 1_000_000] {
        let sites = make_sites(n, &mut rng);
        let t = Instant::now();
        let covered = sites
            .iter()
            .filter(|(s, p)| snap.assess(&params, s, p, 4.0).covered)
            .count();
        let single = t.elapsed();
        let t = Instant::now();
        let chunk = n.div_ceil(cores);
        let par: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = sites
                .chunks(chunk)
                .map(|c| {
                    let snap = &snap;
                    let params = &params;
                    scope.spawn(move || {
                        c.iter()
                            .filter(|(s, p)| snap.assess(params, s, p, 4.0).covered)
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        let parallel = t.elapsed();
        assert_eq!(par, covered);
        println!(
            "{:>10} | {:>9.1} ms | {:>9.1} ms | {:>12.2} | {:.1} %",
            n,
            single.as_secs_f64() * 1e3,
            parallel.as_secs_f64() * 1e3,
            single.as_secs_f64() * 1e6 / n as f64,
            covered as f64 * 100.0 / n as f64
        );
    }

    // Depot scaling: the same 100k sites against 100 / 1,000 / 10,000 depots. The tree
    // query is O(log depots + k); k (depots within reach of a site) grows with density.
    println!(
        "{:>10} | {:>12} | {:>14}",
        "depots", "100k sites", "in-window/site"
    );
    let sites = make_sites(100_000, &mut rng);
    for n in [100usize, 1_000, 10_000] {
        let snap = Snapshot::new(
            make_depots(n, &mut rng),
            countries.clone(),
            "scoringModels/bench".into(),
            1,
            weights.clone(),
        );
        let t = Instant::now();
        let redundancy: u64 = sites
            .iter()
            .map(|(s, p)| u64::from(snap.assess(&params, s, p, 4.0).redundancy))
            .sum();
        let took = t.elapsed();
        println!(
            "{:>10} | {:>9.1} ms | {:>14.2}",
            n,
            took.as_secs_f64() * 1e3,
            redundancy as f64 / sites.len() as f64
        );
    }
}
