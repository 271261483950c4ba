//! Coverage: can a site get parts within a window, from which depot, how fast, with
//! what redundancy, and how resilient is its supply?
//!
//! ## Arrival model
//!
//! For a depot that has every requested part available (and is not in outage):
//!
//! ```text
//! great_circle = haversine(depot, site)                         km
//! road         = great_circle × road_factor                     km
//! slowdown     = 1 + max_reachability_slowdown × (1 − r)        r: destination country's
//!                                                               normalised logistics_reachability
//!                                                               (default_reachability if unknown)
//! travel       = road / speed_kmh × slowdown                    h
//! preparation  = depot preparation × (degraded_preparation_factor if DEGRADED)
//! border       = cross_border_delay if depot country ≠ site country
//! arrival      = preparation + travel + border
//! ```
//!
//! The site is covered when the fastest such depot arrives within the window;
//! redundancy is the number of depots that do.
//!
//! ## Site resilience (0..100)
//!
//! `100 × (country_weight × country_score/100 + redundancy_weight × min(redundancy,
//! target_redundancy)/target_redundancy + stock_weight × depth)`, where depth is, for
//! the weakest requested part, `min(1, units available at in-window depots /
//! target_stock_depth)`. Every term is non-decreasing in better data.
//!
//! ## Spatial index
//!
//! Since slowdown ≥ 1 and the border delay ≥ 0, no depot farther than
//! `(window − fastest preparation) × speed / road_factor` great-circle km can make the
//! window, so each assessment is one ball query on a k-d tree: O(log depots + k).
//! Assessing n sites is O(n (log depots + k)), linear in sites.

use super::{
    geo::{KdTree, MAX_DISTANCE_KM, haversine_km},
    scoring::{self, LOGISTICS_REACHABILITY},
};
use std::collections::{BTreeMap, HashMap, HashSet};
use symbolon_contracts::supplychain::v1::DepotStatus;

/// The parameters of the model (see the module docs). Configurable through
/// `SYMBOLON_SUPPLYCHAIN_*` variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Road km per great-circle km.
    pub road_factor: f64,
    /// Average road speed, km/h.
    pub speed_kmh: f64,
    /// Extra share of travel time at reachability 0.
    pub max_reachability_slowdown: f64,
    /// Reachability assumed without data.
    pub default_reachability: f64,
    /// Preparation multiplier of a degraded depot (≥ 1).
    pub degraded_preparation_factor: f64,
    /// Hours added across a border.
    pub cross_border_delay_h: f64,
    /// Redundancy that counts as full.
    pub target_redundancy: u32,
    /// Units per part that count as full depth.
    pub target_stock_depth: i64,
    /// Site resilience weight of the country score.
    pub country_weight: f64,
    /// Site resilience weight of redundancy.
    pub redundancy_weight: f64,
    /// Site resilience weight of stock depth.
    pub stock_weight: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            road_factor: 1.25,
            speed_kmh: 90.0,
            max_reachability_slowdown: 1.0,
            default_reachability: 0.5,
            degraded_preparation_factor: 2.0,
            cross_border_delay_h: 0.5,
            target_redundancy: 3,
            target_stock_depth: 5,
            country_weight: 0.4,
            redundancy_weight: 0.4,
            stock_weight: 0.2,
        }
    }
}

impl Params {
    /// Checks the parameters; the message names the bad one.
    pub fn validate(&self) -> Result<(), String> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        let nonneg = |v: f64| v.is_finite() && v >= 0.0;
        if !(self.road_factor.is_finite() && self.road_factor >= 1.0) {
            return Err("ROAD_FACTOR must be >= 1".into());
        }
        if !pos(self.speed_kmh) {
            return Err("SPEED_KMH must be > 0".into());
        }
        if !nonneg(self.max_reachability_slowdown) {
            return Err("MAX_REACHABILITY_SLOWDOWN must be >= 0".into());
        }
        if !(0.0..=1.0).contains(&self.default_reachability) {
            return Err("DEFAULT_REACHABILITY must be within 0..1".into());
        }
        if !(self.degraded_preparation_factor.is_finite()
            && self.degraded_preparation_factor >= 1.0)
        {
            return Err("DEGRADED_PREPARATION_FACTOR must be >= 1".into());
        }
        if !nonneg(self.cross_border_delay_h) {
            return Err("CROSS_BORDER_DELAY_MINUTES must be >= 0".into());
        }
        if self.target_redundancy == 0 || self.target_stock_depth <= 0 {
            return Err("TARGET_REDUNDANCY and TARGET_STOCK_DEPTH must be >= 1".into());
        }
        let ws = [
            self.country_weight,
            self.redundancy_weight,
            self.stock_weight,
        ];
        if ws.iter().any(|w| !nonneg(*w))
            || (ws.iter().sum::<f64>() - 1.0).abs() > scoring::WEIGHT_TOLERANCE
        {
            return Err(
                "COUNTRY_WEIGHT + REDUNDANCY_WEIGHT + STOCK_WEIGHT must be >= 0 and sum to 1"
                    .into(),
            );
        }
        Ok(())
    }
}

/// A depot as the engine sees it.
#[derive(Debug, Clone)]
pub struct DepotData {
    /// Resource id (`depots/{id}`).
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// ISO alpha-2.
    pub country: String,
    /// Degrees.
    pub lat: f64,
    /// Degrees.
    pub lon: f64,
    /// Status.
    pub status: DepotStatus,
    /// Preparation time, hours.
    pub prep_h: f64,
    /// Part number → units available (on hand − reserved).
    pub stock: BTreeMap<String, i64>,
}

impl DepotData {
    fn serves(&self) -> bool {
        self.status != DepotStatus::Outage
    }
    fn has_all(&self, parts: &[String]) -> bool {
        parts
            .iter()
            .all(|p| self.stock.get(p).is_some_and(|n| *n >= 1))
    }
}

/// A country as the engine sees it.
#[derive(Debug, Clone, Default)]
pub struct CountryData {
    /// Factor id → normalised value.
    pub factors: BTreeMap<String, f64>,
    /// Score under the snapshot's model (computed by [`Snapshot::new`]).
    pub score: f64,
}

/// A site to assess.
#[derive(Debug, Clone)]
pub struct Site {
    /// Degrees.
    pub lat: f64,
    /// Degrees.
    pub lon: f64,
    /// ISO alpha-2.
    pub country: String,
}

/// An arrival estimate with its parts (hours and km).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eta {
    /// Great-circle km.
    pub great_circle_km: f64,
    /// Road km.
    pub road_km: f64,
    /// Base travel hours (road / speed), before the slowdown.
    pub base_travel_h: f64,
    /// Destination reachability used.
    pub reachability: f64,
    /// Travel multiplier.
    pub slowdown: f64,
    /// Preparation hours.
    pub prep_h: f64,
    /// Border hours.
    pub border_h: f64,
    /// Arrival hours.
    pub total_h: f64,
}

/// The fastest depot found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Best {
    /// Index into [`Snapshot::depots`].
    pub depot: usize,
    /// Its estimate.
    pub eta: Eta,
    /// Within the window.
    pub within: bool,
}

/// Site resilience and its parts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Resilience {
    /// 0..100.
    pub score: f64,
    /// 0..100.
    pub country_score: f64,
    /// 0..1.
    pub redundancy_component: f64,
    /// 0..1.
    pub stock_component: f64,
}

/// The result of one assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Some depot makes the window.
    pub covered: bool,
    /// The fastest depot holding every part, within the window or not.
    pub best: Option<Best>,
    /// Depots within the window.
    pub redundancy: u32,
    /// Parts no serving depot has.
    pub unavailable_parts: Vec<String>,
    /// Site resilience.
    pub resilience: Resilience,
    /// Why not covered (empty when covered).
    pub reason: String,
}

/// A consistent picture of depots, stock, countries and the active model, with the
/// spatial index built over depots.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Depots (outage ones included: the what-if toggles them).
    pub depots: Vec<DepotData>,
    /// Depot id → index.
    pub by_id: HashMap<String, usize>,
    /// ISO alpha-2 → data.
    pub countries: HashMap<String, CountryData>,
    /// `scoringModels/{id}` of the active model, empty without one.
    pub model: String,
    /// Its version.
    pub model_version: i64,
    /// Its weights.
    pub weights: BTreeMap<String, f64>,
    tree: KdTree,
    min_prep_h: f64,
    stocked: HashSet<String>,
}

impl Snapshot {
    /// Builds the snapshot and its index; country scores use `weights`.
    pub fn new(
        depots: Vec<DepotData>,
        countries: HashMap<String, CountryData>,
        model: String,
        model_version: i64,
        weights: BTreeMap<String, f64>,
    ) -> Self {
        let mut s = Self {
            depots,
            countries,
            model,
            model_version,
            weights,
            ..Default::default()
        };
        s.reindex();
        let keys: Vec<String> = s.countries.keys().cloned().collect();
        for k in keys {
            s.rescore(&k);
        }
        s
    }

    fn reindex(&mut self) {
        self.by_id = self
            .depots
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        let points: Vec<(f64, f64)> = self.depots.iter().map(|d| (d.lat, d.lon)).collect();
        self.tree = KdTree::build(&points);
        self.refresh_stats();
    }

    fn refresh_stats(&mut self) {
        self.min_prep_h = self
            .depots
            .iter()
            .filter(|d| d.serves())
            .map(|d| d.prep_h)
            .fold(f64::INFINITY, f64::min);
        self.stocked = self
            .depots
            .iter()
            .filter(|d| d.serves())
            .flat_map(|d| {
                d.stock
                    .iter()
                    .filter(|(_, n)| **n >= 1)
                    .map(|(p, _)| p.clone())
            })
            .collect();
    }

    fn rescore(&mut self, country: &str) {
        let weights = &self.weights;
        if let Some(c) = self.countries.get_mut(country) {
            c.score = scoring::score(weights, &|f| c.factors.get(f).copied()).total;
        }
    }

    /// What-if: a depot in outage. False when unknown.
    pub fn set_outage(&mut self, depot_id: &str) -> bool {
        match self.by_id.get(depot_id) {
            Some(i) => {
                self.depots[*i].status = DepotStatus::Outage;
                self.refresh_stats();
                true
            }
            None => false,
        }
    }

    /// What-if: `quantity` units lost (0: all). False when the depot is unknown.
    pub fn lose_stock(&mut self, depot_id: &str, part: &str, quantity: i64) -> bool {
        match self.by_id.get(depot_id) {
            Some(i) => {
                if let Some(n) = self.depots[*i].stock.get_mut(part) {
                    *n = if quantity <= 0 {
                        0
                    } else {
                        n.saturating_sub(quantity).max(0)
                    };
                }
                self.refresh_stats();
                true
            }
            None => false,
        }
    }

    /// What-if: a country factor replaced by a normalised value.
    pub fn shock_country(&mut self, country: &str, factor: &str, normalized: f64) {
        self.countries
            .entry(country.to_string())
            .or_default()
            .factors
            .insert(factor.to_string(), normalized.clamp(0.0, 1.0));
        self.rescore(country);
    }

    /// The normalised logistics reachability of `country` used in estimates.
    pub fn reachability(&self, params: &Params, country: &str) -> f64 {
        self.countries
            .get(country)
            .and_then(|c| c.factors.get(LOGISTICS_REACHABILITY).copied())
            // A NaN value is no value: it would make every arrival time NaN.
            .filter(|r| !r.is_nan())
            .unwrap_or(params.default_reachability)
    }

    /// The arrival estimate from depot `i` to `site`.
    pub fn eta(&self, params: &Params, i: usize, site: &Site, reachability: f64) -> Eta {
        let d = &self.depots[i];
        let great_circle_km = haversine_km(d.lat, d.lon, site.lat, site.lon);
        let road_km = great_circle_km * params.road_factor;
        let base_travel_h = road_km / params.speed_kmh;
        let slowdown = 1.0 + params.max_reachability_slowdown * (1.0 - reachability);
        let prep_h = if d.status == DepotStatus::Degraded {
            d.prep_h * params.degraded_preparation_factor
        } else {
            d.prep_h
        };
        let border_h = if d.country == site.country {
            0.0
        } else {
            params.cross_border_delay_h
        };
        Eta {
            great_circle_km,
            road_km,
            base_travel_h,
            reachability,
            slowdown,
            prep_h,
            border_h,
            total_h: prep_h + base_travel_h * slowdown + border_h,
        }
    }

    /// The farthest great-circle distance from which any depot could arrive within
    /// `hours`.
    fn reach_km(&self, params: &Params, hours: f64) -> f64 {
        let h = hours - self.min_prep_h;
        if !h.is_finite() || h < 0.0 {
            return -1.0;
        }
        (h * params.speed_kmh / params.road_factor).min(MAX_DISTANCE_KM)
    }

    /// Assesses one site.
    pub fn assess(&self, params: &Params, site: &Site, parts: &[String], window_h: f64) -> Outcome {
        let unavailable_parts: Vec<String> = parts
            .iter()
            .filter(|p| !self.stocked.contains(*p))
            .cloned()
            .collect();
        let country_score = self.countries.get(&site.country).map_or(0.0, |c| c.score);
        let reach = self.reachability(params, &site.country);
        let mut best: Option<Best> = None;
        let mut redundancy = 0u32;
        let mut depth = vec![0i64; parts.len()];
        if unavailable_parts.is_empty() {
            let radius = self.reach_km(params, window_h);
            self.tree.within(site.lat, site.lon, radius, &mut |i| {
                let d = &self.depots[i];
                if !d.serves() || !d.has_all(parts) {
                    return;
                }
                let eta = self.eta(params, i, site, reach);
                let within = eta.total_h <= window_h + 1e-9;
                if within {
                    redundancy = redundancy.saturating_add(1);
                    for (k, p) in parts.iter().enumerate() {
                        // Saturating: stock levels are bounded at the API, but a
                        // sum over many depots must never panic.
                        depth[k] = depth[k].saturating_add(d.stock.get(p).copied().unwrap_or(0));
                    }
                }
                if best.is_none_or(|b| eta.total_h < b.eta.total_h) {
                    best = Some(Best {
                        depot: i,
                        eta,
                        within,
                    });
                }
            });
            if best.is_none_or(|b| !b.within) {
                best = self.best_anywhere(params, site, parts, reach, radius.max(100.0));
            }
        }
        let covered = redundancy > 0;
        // The targets are validated ≥ 1; at least 1 here too, so unvalidated parameters
        // never divide by zero (a NaN score).
        let target_redundancy = params.target_redundancy.max(1);
        let target_stock_depth = params.target_stock_depth.max(1);
        let redundancy_component =
            f64::from(redundancy.min(target_redundancy)) / f64::from(target_redundancy);
        let stock_component = if parts.is_empty() {
            0.0
        } else {
            depth
                .iter()
                .map(|n| (*n as f64 / target_stock_depth as f64).min(1.0))
                .fold(1.0, f64::min)
        };
        let score = 100.0
            * (params.country_weight * country_score / 100.0
                + params.redundancy_weight * redundancy_component
                + params.stock_weight * stock_component);
        let reason = if covered {
            String::new()
        } else if !unavailable_parts.is_empty() {
            format!(
                "no serving depot has {} available",
                unavailable_parts.join(", ")
            )
        } else {
            match &best {
                Some(b) => format!(
                    "the fastest depot holding every part, depots/{}, arrives in {}, beyond the {} window",
                    self.depots[b.depot].id,
                    hours_text(b.eta.total_h),
                    hours_text(window_h)
                ),
                None => "no serving depot holds every requested part".into(),
            }
        };
        Outcome {
            covered,
            best,
            redundancy,
            unavailable_parts,
            resilience: Resilience {
                score: score.clamp(0.0, 100.0),
                country_score,
                redundancy_component,
                stock_component,
            },
            reason,
        }
    }

    /// The serving depot with the earliest arrival at `site` that has `quantity`
    /// available of every `(part, quantity)`, however far.
    pub fn fastest_with(
        &self,
        params: &Params,
        site: &Site,
        lines: &[(String, i64)],
    ) -> Option<(usize, Eta)> {
        let reach = self.reachability(params, &site.country);
        self.depots
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                d.serves()
                    && lines
                        .iter()
                        .all(|(p, q)| d.stock.get(p).is_some_and(|n| n >= q))
            })
            .map(|(i, _)| (i, self.eta(params, i, site, reach)))
            .min_by(|a, b| a.1.total_h.total_cmp(&b.1.total_h))
    }

    /// The fastest serving depot with every part, however far: widen the ball until
    /// one is found, then search the ball any faster depot must lie in.
    fn best_anywhere(
        &self,
        params: &Params,
        site: &Site,
        parts: &[String],
        reach: f64,
        start_km: f64,
    ) -> Option<Best> {
        let mut radius = start_km;
        let find = |km: f64| {
            let mut best: Option<Best> = None;
            self.tree.within(site.lat, site.lon, km, &mut |i| {
                let d = &self.depots[i];
                if d.serves() && d.has_all(parts) {
                    let eta = self.eta(params, i, site, reach);
                    if best.is_none_or(|b| eta.total_h < b.eta.total_h) {
                        best = Some(Best {
                            depot: i,
                            eta,
                            within: false,
                        });
                    }
                }
            });
            best
        };
        loop {
            if let Some(b) = find(radius) {
                let bound = self.reach_km(params, b.eta.total_h);
                if bound > radius {
                    return find(bound);
                }
                return Some(b);
            }
            if radius >= MAX_DISTANCE_KM {
                return None;
            }
            radius = (radius * 2.0).min(MAX_DISTANCE_KM);
        }
    }
}

/// `4h`, `3h 25m`, `45m`.
pub fn hours_text(h: f64) -> String {
    let minutes = (h * 60.0).round() as i64;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depot(
        id: &str,
        country: &str,
        lat: f64,
        lon: f64,
        prep_h: f64,
        parts: &[(&str, i64)],
    ) -> DepotData {
        DepotData {
            id: id.into(),
            display_name: id.into(),
            country: country.into(),
            lat,
            lon,
            status: DepotStatus::Operational,
            prep_h,
            stock: parts.iter().map(|(p, n)| (p.to_string(), *n)).collect(),
        }
    }

    fn countries() -> HashMap<String, CountryData> {
        let mut c = HashMap::new();
        for (cc, reach, stab) in [("DE", 0.8, 0.7), ("KE", 0.4, 0.3), ("CL", 0.5, 0.5)] {
            c.insert(
                cc.to_string(),
                CountryData {
                    factors: [
                        (LOGISTICS_REACHABILITY.to_string(), reach),
                        ("political_stability".to_string(), stab),
                    ]
                    .into_iter()
                    .collect(),
                    score: 0.0,
                },
            );
        }
        c
    }

    fn weights() -> BTreeMap<String, f64> {
        [
            (LOGISTICS_REACHABILITY.to_string(), 0.5),
            ("political_stability".to_string(), 0.5),
        ]
        .into_iter()
        .collect()
    }

    fn snapshot() -> Snapshot {
        Snapshot::new(
            vec![
                depot("fra", "DE", 50.05, 8.57, 0.5, &[("RRU", 3), ("BBU", 1)]),
                depot("muc", "DE", 48.14, 11.58, 0.5, &[("RRU", 10)]),
                depot("nbo", "KE", -1.32, 36.93, 1.0, &[("RRU", 2)]),
            ],
            countries(),
            "scoringModels/m".into(),
            1,
            weights(),
        )
    }

    fn frankfurt() -> Site {
        Site {
            lat: 50.11552,
            lon: 8.68417,
            country: "DE".into(),
        }
    }

    #[test]
    fn arrival_follows_the_documented_formula() {
        let s = snapshot();
        let p = Params::default();
        let hamburg = Site {
            lat: 53.55073,
            lon: 9.99302,
            country: "DE".into(),
        };
        let eta = s.eta(&p, 0, &hamburg, 0.8);
        // Frankfurt airport - Hamburg: 401 km great-circle (within 1 %).
        assert!((eta.great_circle_km - 401.0).abs() < 4.0, "{eta:?}");
        let want = 0.5 + eta.great_circle_km * p.road_factor / p.speed_kmh * (1.0 + 1.0 * 0.2);
        assert!((eta.total_h - want).abs() < 1e-9);
        // About 7.2 h (± 0.5 h): trucks need 5-6 h for the 490 km of autobahn, plus
        // loading and a margin for traffic.
        assert!((6.7..7.7).contains(&eta.total_h), "{eta:?}");
    }

    #[test]
    fn known_pairs_land_in_plausible_windows() {
        let s = snapshot();
        let p = Params::default();
        let mombasa = Site {
            lat: -4.05466,
            lon: 39.66359,
            country: "KE".into(),
        };
        let eta = s.eta(&p, 2, &mombasa, 0.4);
        // Nairobi airport - Mombasa: 430 km great-circle; about 10.5 h (± 0.5 h) at
        // reachability 0.4 (the A109 takes 8-10 h by truck).
        assert!((eta.great_circle_km - 430.0).abs() < 5.0, "{eta:?}");
        assert!((10.0..11.0).contains(&eta.total_h), "{eta:?}");
    }

    #[test]
    fn huge_stock_saturates_instead_of_overflowing() {
        let s = Snapshot::new(
            vec![
                depot("fra", "DE", 50.05, 8.57, 0.5, &[("RRU", i64::MAX)]),
                depot("fra2", "DE", 50.06, 8.58, 0.5, &[("RRU", i64::MAX)]),
            ],
            countries(),
            "scoringModels/m".into(),
            1,
            weights(),
        );
        let o = s.assess(&Params::default(), &frankfurt(), &["RRU".into()], 4.0);
        assert!(o.covered);
        assert_eq!(o.redundancy, 2);
        assert!((o.resilience.stock_component - 1.0).abs() < 1e-9);
        let mut lost = s.clone();
        assert!(lost.lose_stock("fra", "RRU", i64::MAX));
        let o = lost.assess(&Params::default(), &frankfurt(), &["RRU".into()], 4.0);
        assert_eq!(o.redundancy, 1, "fra lost all of it");
    }

    #[test]
    fn zero_targets_and_bad_factors_never_make_a_nan_score() {
        let mut s = snapshot();
        s.shock_country("DE", LOGISTICS_REACHABILITY, f64::NAN);
        assert_eq!(s.reachability(&Params::default(), "DE"), 0.5);
        let p = Params {
            target_redundancy: 0,
            target_stock_depth: 0,
            ..Params::default()
        };
        let o = s.assess(&p, &frankfurt(), &["RRU".into()], 4.0);
        assert!(o.covered);
        for v in [
            o.resilience.score,
            o.resilience.country_score,
            o.resilience.redundancy_component,
            o.resilience.stock_component,
        ] {
            assert!(v.is_finite(), "{o:?}");
        }
        assert!((0.0..=100.0).contains(&o.resilience.score));
        assert_eq!(o.resilience.redundancy_component, 1.0);
        assert_eq!(o.resilience.stock_component, 1.0);
        let p = Params {
            target_stock_depth: i64::MAX,
            target_redundancy: u32::MAX,
            ..Params::default()
        };
        let o = s.assess(&p, &frankfurt(), &["RRU".into()], 4.0);
        assert!((0.0..=100.0).contains(&o.resilience.score), "{o:?}");
    }

    #[test]
    fn covered_site_reports_best_depot_and_redundancy() {
        let s = snapshot();
        let p = Params::default();
        let o = s.assess(&p, &frankfurt(), &["RRU".into()], 4.0);
        assert!(o.covered);
        assert_eq!(o.best.map(|b| b.depot), Some(0));
        assert_eq!(o.redundancy, 1, "Munich is > 4 h away");
        let o = s.assess(&p, &frankfurt(), &["RRU".into()], 8.0);
        assert_eq!(o.redundancy, 2);
        assert!(o.resilience.score > 0.0);
    }

    #[test]
    fn uncovered_sites_still_get_the_best_achievable_time() {
        let s = snapshot();
        let p = Params::default();
        let santiago = Site {
            lat: -33.45694,
            lon: -70.64827,
            country: "CL".into(),
        };
        let o = s.assess(&p, &santiago, &["RRU".into()], 4.0);
        assert!(!o.covered);
        let b = o.best.expect("some depot holds RRU");
        assert!(!b.within);
        assert!(b.eta.total_h > 100.0);
        assert!(o.reason.contains("beyond"), "{}", o.reason);
        let o = s.assess(&p, &frankfurt(), &["NOPE".into()], 4.0);
        assert_eq!(o.unavailable_parts, vec!["NOPE".to_string()]);
        assert!(o.best.is_none());
    }

    #[test]
    fn outages_stock_losses_and_shocks_reduce_coverage() {
        let p = Params::default();
        let mut s = snapshot();
        let before = s.assess(&p, &frankfurt(), &["BBU".into()], 4.0);
        assert!(before.covered);
        s.lose_stock("fra", "BBU", 0);
        assert!(!s.assess(&p, &frankfurt(), &["BBU".into()], 4.0).covered);
        let mut s = snapshot();
        s.set_outage("fra");
        assert!(!s.assess(&p, &frankfurt(), &["RRU".into()], 4.0).covered);
        let mut s = snapshot();
        let a = s.assess(&p, &frankfurt(), &["RRU".into()], 4.0);
        s.shock_country("DE", LOGISTICS_REACHABILITY, 0.0);
        let b = s.assess(&p, &frankfurt(), &["RRU".into()], 4.0);
        assert!(b.best.map(|x| x.eta.total_h) > a.best.map(|x| x.eta.total_h));
        assert!(b.resilience.country_score < a.resilience.country_score);
    }

    #[test]
    fn more_stock_and_depots_never_lower_resilience() {
        let p = Params::default();
        let base = snapshot();
        let a = base.assess(&p, &frankfurt(), &["RRU".into()], 8.0);
        let mut more = base.clone();
        if let Some(d) = more.depots.get_mut(0) {
            d.stock.insert("RRU".into(), 50);
        }
        more.depots
            .push(depot("fra2", "DE", 50.2, 8.7, 0.2, &[("RRU", 1)]));
        more.reindex();
        let b = more.assess(&p, &frankfurt(), &["RRU".into()], 8.0);
        assert!(b.resilience.score >= a.resilience.score);
        assert!(b.redundancy > a.redundancy);
    }

    #[test]
    fn default_params_are_valid_and_bad_ones_are_named() {
        assert!(Params::default().validate().is_ok());
        let bad = Params {
            road_factor: 0.5,
            ..Params::default()
        };
        assert!(bad.validate().unwrap_err().contains("ROAD_FACTOR"));
        assert_eq!(hours_text(4.0), "4h");
        assert_eq!(hours_text(3.5), "3h 30m");
    }
}
