//! The rows of what the board names rather than counts: commitments at risk or
//! breached, the incidents open now, and each key person's feelings of a quarter.

use super::super::calendar::{Quarter, month_of};
use super::super::index::Feeling;
use super::code;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use symbolon_platform::{Database, StoreError, db::Sql};

/// A commitment at risk or breached.
#[derive(sqlx::FromRow)]
pub(crate) struct Promise {
    pub(crate) id: String,
    pub(crate) display_name: String,
    #[sqlx(try_from = "i64")]
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
    q.read_all(db).await
}

/// An incident open now.
#[derive(sqlx::FromRow)]
pub(crate) struct OpenIncident {
    pub(crate) id: String,
    #[sqlx(try_from = "i64")]
    pub(crate) severity: i32,
    #[sqlx(try_from = "i64")]
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
    q.read_all(db).await
}

/// Key person name → (display name, title, feelings of the quarter), in name order.
pub(crate) type People = BTreeMap<String, (String, String, Vec<Feeling>)>;

/// Where the key persons' moods are counted from.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Source {
    /// The tallies the writes keep (migration 0014): months × key persons × moods ×
    /// intensities rows, a corrected touchpoint counted once, as its correction.
    Tallies,
    /// The quarter's touchpoints that no correction replaced (audits and tests).
    Touchpoints,
}

/// (month, mood, intensity) → touchpoints.
pub(crate) type Tally = BTreeMap<(String, i32, i32), i64>;

/// Key person name → their tally of the quarter, as read (rows with `n > 0`).
pub(crate) type PersonTallies = BTreeMap<String, Tally>;

/// The quarter's tally of each key person of the customer, from `source`: one
/// statement. A board reads the tallies once, for its customer's figures (their sum)
/// and for its key persons' months ([`people`]).
pub(crate) async fn key_person_tallies(
    db: &Database,
    customer_id: &str,
    q: Quarter,
    source: Source,
) -> Result<PersonTallies, StoreError> {
    let tq = match source {
        Source::Tallies => {
            let mut tq = Sql::new(
                "SELECT key_person, month, mood, intensity, n FROM touchpoint_tallies WHERE customer_id = ",
            );
            tq.bind(customer_id)
                .push(" AND month >= ")
                .bind(month_of(q.start()))
                .push(" AND month < ")
                .bind(month_of(q.end()))
                .push(" AND n > 0");
            tq
        }
        Source::Touchpoints => super::uncorrected_touchpoints(
            "key_person, occur_time, mood, intensity, 1 AS n",
            customer_id,
            q,
        ),
    };
    // A key person written both as a name and as a bare id is one person.
    let mut tallies = PersonTallies::new();
    for row in tq.query().fetch_all(db.reader()).await? {
        let key: String = row.try_get("key_person")?;
        let name = if key.starts_with("customers/") {
            key
        } else {
            format!("customers/{customer_id}/keyPersons/{key}")
        };
        let month = match source {
            Source::Tallies => row.try_get("month")?,
            Source::Touchpoints => month_of(row.try_get("occur_time")?),
        };
        *tallies
            .entry(name)
            .or_default()
            .entry((
                month,
                row.try_get::<i64, _>("mood")? as i32,
                row.try_get::<i64, _>("intensity")? as i32,
            ))
            .or_default() += row.try_get::<i64, _>("n")?;
    }
    Ok(tallies)
}

/// The key persons of `tallies` with their feelings, in (month, mood, intensity) order,
/// and their display names and titles (one more statement).
pub(crate) async fn people(
    db: &Database,
    customer_id: &str,
    mut tallies: PersonTallies,
) -> Result<People, StoreError> {
    tallies.retain(|_, tally| tally.values().any(|n| *n > 0));
    let who = profiles(db, customer_id, tallies.keys()).await?;
    Ok(tallies
        .into_iter()
        .map(|(name, tally)| {
            let (display_name, title) = who.get(&name).cloned().unwrap_or_default();
            let feelings = tally
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|((month, mood, intensity), count)| Feeling {
                    month,
                    mood,
                    intensity,
                    count,
                })
                .collect();
            (name, (display_name, title, feelings))
        })
        .collect())
}

/// Display name and title of each of `names` (`customers/{c}/keyPersons/{k}`) that is
/// a key person of the customer; one statement, bound by the board's few key persons.
async fn profiles<'a>(
    db: &Database,
    customer_id: &str,
    names: impl Iterator<Item = &'a String>,
) -> Result<HashMap<String, (String, String)>, StoreError> {
    let prefix = format!("customers/{customer_id}/keyPersons/");
    let ids: Vec<&str> = names.filter_map(|n| n.strip_prefix(&prefix)).collect();
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut kq = Sql::new("SELECT id, display_name, title FROM key_persons WHERE customer_id = ");
    kq.bind(customer_id)
        .push(" AND id IN (")
        .bind_list(ids.iter().map(|id| (*id).into()))
        .push(")");
    for row in kq.query().fetch_all(db.reader()).await? {
        let id: String = row.try_get("id")?;
        out.insert(
            format!("{prefix}{id}"),
            (row.try_get("display_name")?, row.try_get("title")?),
        );
    }
    Ok(out)
}
