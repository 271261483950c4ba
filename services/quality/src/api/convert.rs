//! Between the store's rows (encoded bodies, domain states) and protobuf: the store
//! never sees a message, so encoding, decoding and the published enums end here.

use crate::{pb, store};
use prost::Message;
use symbolon_platform::{status, time};
use tonic::Status;

/// Decodes a stored body; a corrupt one is an internal error.
pub(crate) fn decode<M: Message + Default>(body: &[u8]) -> Result<M, Status> {
    M::decode(body).map_err(|e| status::internal(&e))
}

/// Decodes stored reports.
pub(crate) fn reports(bodies: &[Vec<u8>]) -> Result<Vec<pb::Report>, Status> {
    bodies.iter().map(|b| decode(b)).collect()
}

/// A report's review state as the store keeps it (an unknown number is unspecified,
/// as prost reads it).
pub(crate) fn review_state(n: i32) -> store::ReviewState {
    store::ReviewState::from_code(i64::from(n)).unwrap_or(store::ReviewState::Unspecified)
}

/// A dispute's state as the store keeps it.
pub(crate) fn dispute_state(n: i32) -> store::DisputeState {
    store::DisputeState::from_code(i64::from(n)).unwrap_or(store::DisputeState::Unspecified)
}

/// The columns a report's review changes, drawn from `r` (encoded as `body`).
pub(crate) fn scores<'a>(r: &pb::Report, body: &'a [u8]) -> store::ReportScores<'a> {
    store::ReportScores {
        score: r.score,
        auto_failed: r.auto_failed,
        review_state: review_state(r.review_state),
        body,
    }
}

/// A stored report, decoded.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// Id.
    pub(crate) id: String,
    /// The agent's subject.
    pub(crate) agent: String,
    /// Row version (the etag).
    pub(crate) version: i64,
    /// The report as stored (name, times and etag filled in by [`Report::into_proto`]).
    pub(crate) report: pb::Report,
    create_time: i64,
    update_time: i64,
}

impl Report {
    /// Decodes a row.
    pub(crate) fn from_row(r: store::ReportRow) -> Result<Self, Status> {
        Ok(Self {
            report: decode(&r.body)?,
            id: r.id,
            agent: r.agent,
            version: r.version,
            create_time: r.create_time,
            update_time: r.update_time,
        })
    }

    /// The report as clients see it.
    pub(crate) fn into_proto(self) -> pb::Report {
        let mut r = self.report;
        r.name = format!("reports/{}", self.id);
        r.create_time = Some(time::to_timestamp(self.create_time));
        r.update_time = Some(time::to_timestamp(self.update_time));
        r.etag = self.version.to_string();
        r
    }
}

/// The report of a stored row, as clients see it.
pub(crate) fn report(r: store::ReportRow) -> Result<pb::Report, Status> {
    Report::from_row(r).map(Report::into_proto)
}

/// A stored dispute, decoded.
#[derive(Debug, Clone)]
pub(crate) struct Dispute {
    /// Id.
    pub(crate) id: String,
    /// The report.
    pub(crate) report_id: String,
    /// The dispute as stored (name filled in by [`dispute`]).
    pub(crate) dispute: pb::Dispute,
}

impl Dispute {
    /// Decodes a row.
    pub(crate) fn from_row(r: store::DisputeRow) -> Result<Self, Status> {
        Ok(Self {
            dispute: decode(&r.body)?,
            id: r.id,
            report_id: r.report_id,
        })
    }
}

/// The dispute of a stored row, as clients see it.
pub(crate) fn dispute(r: store::DisputeRow) -> Result<pb::Dispute, Status> {
    let d = Dispute::from_row(r)?;
    let mut out = d.dispute;
    out.name = format!("reports/{}/disputes/{}", d.report_id, d.id);
    Ok(out)
}

/// An outcome as the store keeps it.
pub(crate) fn outcome_row(o: &pb::Outcome) -> store::Outcome {
    store::Outcome {
        conversation_id: o.conversation_id.clone(),
        customer_key: o.customer_key.clone(),
        variant_id: o.variant_id.clone(),
        qa_score: o.qa_score,
        csat: o.csat,
        resolved: o.resolved,
    }
}

/// A stored outcome as clients see it.
pub(crate) fn outcome(r: store::OutcomeRow) -> pb::Outcome {
    let o = r.outcome;
    pb::Outcome {
        conversation_id: o.conversation_id,
        customer_key: o.customer_key,
        variant_id: o.variant_id,
        qa_score: o.qa_score,
        csat: o.csat,
        resolved: o.resolved,
        create_time: Some(time::to_timestamp(r.create_time)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store's states are the published enums: same numbers, same names, none
    /// missing on either side.
    #[test]
    fn stored_states_are_the_published_enums() -> Result<(), prost::UnknownEnumValue> {
        for s in store::ReviewState::ALL {
            let p = pb::ReviewState::try_from(*s as i32)?;
            assert_eq!(p.as_str_name(), s.name());
            assert_eq!(review_state(p as i32), *s);
        }
        assert!(pb::ReviewState::try_from(store::ReviewState::ALL.len() as i32).is_err());
        for s in store::DisputeState::ALL {
            let p = pb::DisputeState::try_from(*s as i32)?;
            assert_eq!(p.as_str_name(), s.name());
            assert_eq!(dispute_state(p as i32), *s);
        }
        assert!(pb::DisputeState::try_from(store::DisputeState::ALL.len() as i32).is_err());
        Ok(())
    }
}
