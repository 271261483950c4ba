//! The rows of what the board names rather than counts: commitments at risk or
//! breached, the incidents open now, and each key person's touchpoints of a quarter.

use super::super::calendar::{Quarter, month_of};
use super::super::index::Feeling;
use super::code;
use sqlx::Row;
use std::collections::BTreeMap;
use symbolon_platform::{Database, StoreError, db::Sql};

/// A commitment at risk or breached.
pub(crate) struct Promise {
    pub(crate) id: String,
    pub(crate) display_name: String,
    pub(crate) status: i32,
    pub(crate) status_reason: String,
    pub(crate) update_time: i64,
}

/// The customer's commitments at risk or breached, oldest change first.
pub(crate) async fn commitments(
    db: &Database,
    customer_id: &str,
) -> Result<Vec<Promise>, StoreError> {
    let mut q = Sql::new(
        "SELECT id, display_name, status, status_reason, update_time FROM commitments WHERE customer_id = ",
    );
    q.bind(customer_id)
        .push(" AND status IN (")
        .bind(i64::from(code::AT_RISK))
        .push(", ")
        .bind(i64::from(code::BREACHED))
        .push(") ORDER BY update_time, id");
    let mut out = Vec::new();
    for row in q.query().fetch_all(db.reader()).await? {
        out.push(Promise {
            id: row.try_get("id")?,
            display_name: row.try_get("display_name")?,
            status: row.try_get::<i64, _>("status")? as i32,
            status_reason: row.try_get("status_reason")?,
            update_time: row.try_get("update_time")?,
        });
    }
    Ok(out)
}

/// An incident open now.
pub(crate) struct OpenIncident {
    pub(crate) id: String,
    pub(crate) severity: i32,
    pub(crate) state: i32,
    pub(crate) summary: String,
    pub(crate) detect_time: i64,
    pub(crate) acknowledge_time: Option<i64>,
}

/// The customer's open incidents, oldest first.
pub(crate) async fn open_incidents(
    db: &Database,
    customer_id: &str,
) -> Result<Vec<OpenIncident>, StoreError> {
    let mut q = Sql::new(
        "SELECT id, severity, state, summary, detect_time, acknowledge_time FROM incidents WHERE customer_id = ",
    );
    q.bind(customer_id)
        .push(" AND state = ")
        .bind(i64::from(code::INCIDENT_OPEN))
        .push(" ORDER BY detect_time, id");
    let mut out = Vec::new();
    for row in q.query().fetch_all(db.reader()).await? {
        out.push(OpenIncident {
            id: row.try_get("id")?,
            severity: row.try_get::<i64, _>("severity")? as i32,
            state: row.try_get::<i64, _>("state")? as i32,
            summary: row.try_get("summary")?,
            detect_time: row.try_get("detect_time")?,
            acknowledge_time: row.try_get("acknowledge_time")?,
        });
    }
    Ok(out)
}

/// Key person name → (display name, title, feelings of the quarter), in name order.
pub(crate) type People = BTreeMap<String, (String, String, Vec<Feeling>)>;

/// The quarter's touchpoints of each key person of the customer.
pub(crate) async fn key_person_feelings(
    db: &Database,
    customer_id: &str,
    q: Quarter,
) -> Result<People, StoreError> {
    let mut tq = Sql::new(
        "SELECT t.key_person, t.occur_time, t.mood, t.intensity, k.display_name, k.title \
         FROM touchpoints t LEFT JOIN key_persons k ON k.customer_id = t.customer_id \
         AND (k.id = t.key_person OR t.key_person = 'customers/' || k.customer_id || '/keyPersons/' || k.id) \
         WHERE t.customer_id = ",
    );
    tq.bind(customer_id)
        .push(" AND t.occur_time >= ")
        .bind(q.start())
        .push(" AND t.occur_time < ")
        .bind(q.end());
    let mut people = People::new();
    for row in tq.query().fetch_all(db.reader()).await? {
        let key: String = row.try_get("key_person")?;
        let name = if key.starts_with("customers/") {
            key
        } else {
            format!("customers/{customer_id}/keyPersons/{key}")
        };
        let entry = people.entry(name).or_insert_with(|| {
            (
                row.try_get::<Option<String>, _>("display_name")
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                row.try_get::<Option<String>, _>("title")
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                Vec::new(),
            )
        });
        entry.2.push(Feeling {
            month: month_of(row.try_get("occur_time")?),
            mood: row.try_get::<i64, _>("mood")? as i32,
            intensity: row.try_get::<i64, _>("intensity")? as i32,
            count: 1,
        });
    }
    Ok(people)
}
