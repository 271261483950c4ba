//! Touchpoints: append-only records that must carry the key person's emotional state,
//! the strategic anxiety and the implicit expectations.

use super::{Api, common::*, convert, crud};
use crate::store::{self, KeyPersonRow, TouchpointRow, json_list};
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Caller, StoreError, Violations, db::Value, names, status, time};
use tonic::{Request, Response, Status};

/// Touchpoints may be recorded a little ahead of the server's clock (skew), not more.
const MAX_FUTURE_MICROS: i64 = 5 * 60 * 1_000_000;

impl Api {
    /// One path: the request is parsed and authorised once ([`Recording::parse`]); the
    /// common case (a valid touchpoint, no correction, by a caller allowed to record it)
    /// is then inserted in one statement, only if the customer and the key person are
    /// live (group-committed with concurrent ones); anything else, or an insert whose
    /// condition failed, is answered by the checks against storage, one by one.
    pub(crate) async fn record_touchpoint(
        &self,
        req: Request<pb::RecordTouchpointRequest>,
    ) -> Result<Response<pb::Touchpoint>, Status> {
        let caller = Caller::of(&req)?;
        let req = req.into_inner();
        let t = req.touchpoint.clone().unwrap_or_default();
        let now = self.clock.now();
        let r = Recording::parse(&caller, &req, &t, now)?;
        if r.may_record
            && r.v.is_empty()
            && t.corrects.is_empty()
            && let Ok(key_person_id) = r.key_person
        {
            let customer_id = r.customer_id;
            let inserted = store::insert_where::<TouchpointRow>(
                &self.db,
                COLUMNS,
                values(&caller, customer_id, &t, r.occur_time, None, now),
                r.key.clone(),
                |sql| {
                    sql.push("EXISTS (SELECT 1 FROM customers WHERE customer_id = ")
                        .bind(customer_id)
                        .push(" AND id = ")
                        .bind(customer_id)
                        .push(" AND delete_time IS NULL)")
                        .push(" AND EXISTS (SELECT 1 FROM key_persons WHERE customer_id = ")
                        .bind(customer_id)
                        .push(" AND id = ")
                        .bind(key_person_id)
                        .push(" AND delete_time IS NULL)");
                },
            )
            .await?;
            if let Some(row) = inserted {
                caller.ensure_customer(&row.customer_id, &req.parent)?;
                return Ok(Response::new(convert::touchpoint(row)));
            }
        }
        self.record_touchpoint_checked(&caller, &req.parent, &t, r, now)
            .await
    }

    /// The checks against storage in turn, each with its exact answer, then the insert.
    async fn record_touchpoint_checked(
        &self,
        caller: &Caller,
        parent: &str,
        t: &pb::Touchpoint,
        r: Recording<'_>,
        now: i64,
    ) -> Result<Response<pb::Touchpoint>, Status> {
        let customer_id = live_parent(&self.db, caller, parent).await?;
        if !r.may_record {
            return Err(status::permission_denied(
                "touchpoints are recorded by vendor frontline or department staff",
            ));
        }
        let mut v = r.v;
        // The key person and the corrected touchpoint must belong to this customer.
        match r.key_person {
            Err(why) => v.add("touchpoint.key_person", why),
            Ok(id) => match store::get::<KeyPersonRow>(&self.db, &customer_id, id).await? {
                Some(k) if k.meta.delete_time.is_none() => {}
                _ => v.add("touchpoint.key_person", "no such key person"),
            },
        }
        let mut corrects = None;
        if !t.corrects.is_empty() {
            match names::parse(&t.corrects, &["customers", "touchpoints"]) {
                Ok(ids) if ids[0] == customer_id => {
                    match store::get::<TouchpointRow>(&self.db, &customer_id, ids[1]).await? {
                        Some(original) => match original.corrected_by {
                            Some(by) => {
                                v.into_result()?;
                                return Err(status::failed_precondition(
                                    "ALREADY_CORRECTED",
                                    &t.corrects,
                                    format!(
                                        "{} is already corrected by customers/{customer_id}/touchpoints/{by}; correct that one instead",
                                        t.corrects
                                    ),
                                ));
                            }
                            None => corrects = Some(original.id),
                        },
                        None => v.add("touchpoint.corrects", "no such touchpoint"),
                    }
                }
                _ => v.add(
                    "touchpoint.corrects",
                    "must be a touchpoint of the parent customer",
                ),
            }
        }
        v.into_result()?;

        let row: TouchpointRow = store::insert(
            &self.db,
            COLUMNS,
            values(caller, &customer_id, t, r.occur_time, corrects, now),
            r.key,
        )
        .await
        .map_err(|e| match e {
            // Two corrections of one touchpoint raced; the other one won.
            StoreError::Conflict(_) => status::failed_precondition(
                "ALREADY_CORRECTED",
                &t.corrects,
                "the touchpoint was corrected concurrently",
            ),
            other => other.into(),
        })?;
        caller.ensure_customer(&row.customer_id, parent)?;
        Ok(Response::new(convert::touchpoint(row)))
    }

    pub(crate) async fn get_touchpoint(
        &self,
        req: Request<pb::GetTouchpointRequest>,
    ) -> Result<Response<pb::Touchpoint>, Status> {
        let caller = Caller::of(&req)?;
        let name = req.into_inner().name;
        let n = parse_name("name", &name, &["customers", "touchpoints"])?;
        let row: TouchpointRow = fetch(&self.db, &caller, &name, &n).await?;
        Ok(Response::new(convert::touchpoint(row)))
    }

    pub(crate) async fn list_touchpoints(
        &self,
        req: Request<pb::ListTouchpointsRequest>,
    ) -> Result<Response<pb::ListTouchpointsResponse>, Status> {
        let (caller, r) = Caller::split(req)?;
        let (touchpoints, next_page_token) = crud::list::<Touchpoints>(
            &self.db,
            &caller,
            crud::List {
                parent: Some(&r.parent),
                page_size: r.page_size,
                page_token: &r.page_token,
                filter: &r.filter,
                show_deleted: false,
            },
        )
        .await?;
        Ok(Response::new(pb::ListTouchpointsResponse {
            touchpoints,
            next_page_token,
        }))
    }
}

/// A RecordTouchpoint request as far as it can be checked without storage.
struct Recording<'a> {
    customer_id: &'a str,
    /// Vendor frontline or department staff record touchpoints.
    may_record: bool,
    key: Option<String>,
    /// The violations so far, in the order they are reported.
    v: Violations,
    occur_time: Option<i64>,
    /// The key person's id, or why its name does not fit the parent.
    key_person: Result<&'a str, String>,
}

impl<'a> Recording<'a> {
    /// Parses the parent (a bad one is answered at once, as is another customer's), and
    /// checks the rest, collecting violations.
    fn parse(
        caller: &Caller,
        req: &'a pb::RecordTouchpointRequest,
        t: &'a pb::Touchpoint,
        now: i64,
    ) -> Result<Self, Status> {
        let customer_id = parse_name("parent", &req.parent, &["customers"])?.id;
        let may_record = caller.is_vendor()
            && (caller.has_role("frontline") || caller.has_role_prefix("department:"));
        let mut v = Violations::new();
        let key = request_key(caller, "RecordTouchpoint", &req.parent, req, &mut v);
        let occur_time = check_touchpoint(t, now, &mut v);
        let key_person = match names::parse(&t.key_person, &["customers", "keyPersons"]) {
            Err(e) => Err(e.to_string()),
            Ok(ids) if ids[0] != customer_id => {
                Err("must be a key person of the parent customer".to_string())
            }
            Ok(ids) => Ok(ids[1]),
        };
        Ok(Self {
            customer_id,
            may_record,
            key,
            v,
            occur_time,
            key_person,
        })
    }
}

/// The checks that need no storage, in the order their violations are reported; the
/// occur time when it is valid.
fn check_touchpoint(t: &pb::Touchpoint, now: i64, v: &mut Violations) -> Option<i64> {
    if pb::TouchpointKind::try_from(t.kind).map_or(true, |k| k == pb::TouchpointKind::Unspecified) {
        v.add("touchpoint.kind", "is required and must be a known kind");
    }
    let occur_time = match &t.occur_time {
        None => {
            v.add("touchpoint.occur_time", "is required");
            None
        }
        Some(ts) => match time::from_timestamp(ts) {
            Err(e) => {
                v.add("touchpoint.occur_time", e.to_string());
                None
            }
            Ok(micros) if micros > now + MAX_FUTURE_MICROS => {
                v.add("touchpoint.occur_time", "must not be in the future");
                None
            }
            Ok(micros) => Some(micros),
        },
    };
    match &t.emotional_state {
        None => {
            v.add("touchpoint.emotional_state.mood", "is required");
            v.add("touchpoint.emotional_state.intensity", "is required");
        }
        Some(e) => {
            if pb::Mood::try_from(e.mood).map_or(true, |m| m == pb::Mood::Unspecified) {
                v.add(
                    "touchpoint.emotional_state.mood",
                    "is required and must be a known mood",
                );
            }
            if !(1..=5).contains(&e.intensity) {
                v.add(
                    "touchpoint.emotional_state.intensity",
                    "must be between 1 and 5",
                );
            }
        }
    }
    text(
        v,
        "touchpoint.strategic_anxiety",
        &t.strategic_anxiety,
        true,
        4000,
    );
    text(v, "touchpoint.summary", &t.summary, false, 4000);
    if t.implicit_expectations.is_empty() {
        v.add(
            "touchpoint.implicit_expectations",
            "at least one is required",
        );
    } else if t.implicit_expectations.len() > 20 {
        v.add("touchpoint.implicit_expectations", "at most 20");
    }
    for (i, e) in t.implicit_expectations.iter().enumerate() {
        text(
            v,
            &format!("touchpoint.implicit_expectations[{i}]"),
            e,
            true,
            1000,
        );
    }
    occur_time
}

const COLUMNS: &[&str] = &[
    "id",
    "customer_id",
    "kind",
    "key_person",
    "occur_time",
    "summary",
    "mood",
    "intensity",
    "strategic_anxiety",
    "implicit_expectations",
    "corrects_id",
    "recorded_by",
    "create_time",
];

/// A new touchpoint's values, in [`COLUMNS`] order.
fn values(
    caller: &Caller,
    customer_id: &str,
    t: &pb::Touchpoint,
    occur_time: Option<i64>,
    corrects: Option<String>,
    now: i64,
) -> Vec<Value> {
    let emotional = t.emotional_state.unwrap_or_default();
    vec![
        names::new_id().into(),
        customer_id.into(),
        i64::from(t.kind).into(),
        t.key_person.clone().into(),
        occur_time.unwrap_or(now).into(),
        t.summary.clone().into(),
        i64::from(emotional.mood).into(),
        i64::from(emotional.intensity).into(),
        t.strategic_anxiety.trim().into(),
        // Stored trimmed, as the dashboard counts them (its aggregates key on the text).
        json_list::encode_list(
            &t.implicit_expectations
                .iter()
                .map(|e| e.trim().to_string())
                .collect::<Vec<_>>(),
        )
        .into(),
        corrects.into(),
        caller.subject.clone().into(),
        now.into(),
    ]
}

/// Touchpoints share only the List method with the mutable resources.
pub(crate) struct Touchpoints;

impl crud::Resource for Touchpoints {
    type Proto = pb::Touchpoint;
    type Row = TouchpointRow;
    const COLLECTIONS: &'static [&'static str] = &["customers", "touchpoints"];
    const FIELD: &'static str = "touchpoint";
    type Field = crud::NoField;
    fn check(_: &pb::Touchpoint, f: crud::NoField, _: String, _: &mut Violations) {
        match f {}
    }
    fn populated(_: &pb::Touchpoint, f: crud::NoField) -> bool {
        match f {}
    }
    fn columns(_: &pb::Touchpoint, f: crud::NoField) -> Vec<(&'static str, Value)> {
        match f {}
    }
    fn name_and_etag(t: &pb::Touchpoint) -> (&str, &str) {
        (&t.name, "")
    }
    fn to_proto(row: TouchpointRow) -> pb::Touchpoint {
        convert::touchpoint(row)
    }
    fn may_write(_: &Caller, _: &str, _: &str) -> Result<(), Status> {
        Err(status::permission_denied("touchpoints are append-only"))
    }
}
