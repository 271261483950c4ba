//! A supply-chain risk event into the store's values, and the words of the status
//! change it may cause.

use super::super::store::risk::{self, Promised, RiskChange};
use super::super::{duration, human, micros, place_of};
use crate::visibility;
use symbolon_contracts::supplychain::v1 as spb;
use symbolon_platform::{Database, StoreError, time::Clock};

/// Applies one risk event; `Ok(false)` when it was applied before.
pub(crate) async fn apply(
    db: &Database,
    clock: &Clock,
    event: &spb::RiskEvent,
) -> Result<bool, StoreError> {
    // The supply-chain service re-assessed the site in the change's own transaction:
    // what holds now.
    let best = event.assessment.as_ref().and_then(|a| a.best.as_ref());
    let best_depot = best.map(|b| b.depot.clone()).unwrap_or_default();
    let best_place = best.map(place_of).unwrap_or_default();
    let best_arrival = best.and_then(|b| b.estimated_arrival.as_ref()).map(micros);
    let change = RiskChange {
        registration: &event.registration,
        sequence: event.sequence,
        for_commitment: event.reference.starts_with("customers/")
            && event.reference.contains("/commitments/"),
        covered: event.state == spb::CoverageState::Covered as i32,
        redundancy: i64::from(event.redundancy),
        cause: &event.cause,
        best_depot: &best_depot,
        best_place: &best_place,
        best_arrival,
        best_within: best.is_some_and(|b| b.within_window),
        event_time: event
            .event_time
            .as_ref()
            .map(|t| t.seconds * 1_000_000 + i64::from(t.nanos) / 1000)
            .unwrap_or_else(|| clock.now()),
    };
    let reason_of = |promised: &Promised| reason(&change, best, promised);
    risk::apply(db, &change, reason_of, clock.now()).await
}

/// "{site} not covered: {cause}; best now …; promised …".
fn reason(change: &RiskChange<'_>, best: Option<&spb::DepotOption>, promised: &Promised) -> String {
    let state = if change.covered {
        "covered again"
    } else {
        "not covered"
    };
    let now_holds = match (best, change.best_arrival) {
        (Some(b), Some(at)) => format!(
            "best now {} in {}{}",
            visibility::place_and_id(change.best_place, &b.depot),
            human(&duration(at)),
            if b.within_window {
                ""
            } else {
                ", outside the window"
            }
        ),
        _ => "no serving depot has every part now".to_string(),
    };
    let then = match promised.arrival {
        Some(at) if !promised.place.is_empty() => {
            format!("promised {} in {}", promised.place, human(&duration(at)))
        }
        _ => "nothing was in reach at creation".to_string(),
    };
    format!(
        "{} {state}: {}; {now_holds}; {then}",
        promised.site, change.cause
    )
}
