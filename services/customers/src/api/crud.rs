//! The standard methods (AIP-131..135, 164) once, for every mutable CRM resource:
//! customers, sites and key persons differ only in their fields and who may write.

use super::common::*;
use crate::store::{self, ListQuery, Table};
use prost_types::FieldMask;
use symbolon_platform::{Caller, Database, Violations, db::Value, names, status, time::Clock};
use tonic::Status;

/// A field an update may set: one enum per resource, so that every match over it is
/// exhaustive and a field added to it is checked, detected and stored, or the crate does
/// not compile.
pub(crate) trait Field: Copy + 'static {
    /// Every field, in the order they are checked and stored.
    const ALL: &'static [Self];
    /// Its update-mask path, e.g. `display_name`.
    fn path(self) -> &'static str;
}

/// For resources no update may change.
#[derive(Clone, Copy)]
pub(crate) enum NoField {}

impl Field for NoField {
    const ALL: &'static [Self] = &[];
    fn path(self) -> &'static str {
        match self {}
    }
}

/// A mutable CRM resource.
pub(crate) trait Resource {
    /// Its protobuf message.
    type Proto: Default + prost::Message;
    /// Its row.
    type Row: Table;
    /// Collection names of its resource name, e.g. `["customers", "sites"]`.
    const COLLECTIONS: &'static [&'static str];
    /// The request field that holds it, e.g. `site`.
    const FIELD: &'static str;
    /// The fields an update may set.
    type Field: Field;

    /// Records violations of `f` in `p`; `field` is the full path to report.
    fn check(p: &Self::Proto, f: Self::Field, field: String, v: &mut Violations);
    /// Whether the client set `f` (for an update without a mask).
    fn populated(p: &Self::Proto, f: Self::Field) -> bool;
    /// Columns and values that store `f`.
    fn columns(p: &Self::Proto, f: Self::Field) -> Vec<(&'static str, Value)>;
    /// The resource name and etag the client sent.
    fn name_and_etag(p: &Self::Proto) -> (&str, &str);
    /// Row to message.
    fn to_proto(row: Self::Row) -> Self::Proto;
    /// PERMISSION_DENIED unless the caller may create or change it (visibility is
    /// already checked).
    fn may_write(caller: &Caller, customer_id: &str, name: &str) -> Result<(), Status>;
}

fn name_of<R: Resource>(customer_id: &str, id: &str) -> String {
    match R::COLLECTIONS {
        [c] => format!("{c}/{id}"),
        [c, k] => format!("{c}/{customer_id}/{k}/{id}"),
        _ => id.to_string(),
    }
}

fn check_all<R: Resource>(p: &R::Proto, fields: &[R::Field], v: &mut Violations) {
    for f in fields {
        R::check(p, *f, format!("{}.{}", R::FIELD, f.path()), v);
    }
}

/// The fields an update sets, parsed once: the mask's paths, or without a mask those
/// the client populated. Paths no update may set are violations.
fn update_fields<R: Resource>(
    p: &R::Proto,
    mask: Option<&FieldMask>,
    v: &mut Violations,
) -> Vec<R::Field> {
    let all = <R::Field as Field>::ALL;
    let allowed: Vec<&'static str> = all.iter().map(|f| f.path()).collect();
    let populated: Vec<&'static str> = all
        .iter()
        .filter(|f| R::populated(p, **f))
        .map(|f| f.path())
        .collect();
    mask_paths(mask, &allowed, &populated, v)
        .into_iter()
        .filter_map(|path| all.iter().copied().find(|f| f.path() == path))
        .collect()
}

/// Create: validates, then inserts once per request id.
pub(crate) async fn create<R: Resource>(
    db: &Database,
    clock: &Clock,
    caller: &Caller,
    parent: Option<&str>,
    resource: Option<R::Proto>,
    id: &str,
    request: &impl symbolon_contracts::RequestId,
) -> Result<R::Proto, Status> {
    let mut v = Violations::new();
    let key = request_key(
        caller,
        R::FIELD,
        parent.unwrap_or_default(),
        request,
        &mut v,
    );
    let p = resource.unwrap_or_default();
    check_all::<R>(&p, <R::Field as Field>::ALL, &mut v);
    // A malformed parent is reported with the body's violations, in one answer.
    if let Some(parent) = parent {
        v.check("parent", names::parse(parent, &["customers"]));
    }
    let id = chosen_or_new_id(&mut v, &format!("{}_id", R::FIELD), id);
    v.into_result()?;
    let customer_id = match parent {
        Some(parent) => live_parent(db, caller, parent).await?,
        None => id.clone(),
    };
    let name = name_of::<R>(&customer_id, &id);
    R::may_write(caller, &customer_id, &name)?;
    let now = clock.now();
    let mut columns = vec!["id", "customer_id", "create_time", "update_time"];
    let mut values: Vec<Value> = vec![
        id.into(),
        customer_id.clone().into(),
        now.into(),
        now.into(),
    ];
    for f in <R::Field as Field>::ALL {
        for (c, val) in R::columns(&p, *f) {
            columns.push(c);
            values.push(val);
        }
    }
    let row: R::Row = store::insert(db, &columns, values, key)
        .await
        .map_err(status::exists_on_conflict(&name))?;
    // A retried request id may name a row of another parent; never leak it.
    let created = name_of::<R>(&customer_id, row.id());
    caller.ensure_customer(&customer_id, &created)?;
    Ok(R::to_proto(row))
}

/// Get, including soft-deleted resources (AIP-164).
pub(crate) async fn get<R: Resource>(
    db: &Database,
    caller: &Caller,
    name: &str,
) -> Result<R::Proto, Status> {
    let n = parse_name("name", name, R::COLLECTIONS)?;
    let row: R::Row = fetch(db, caller, name, &n).await?;
    Ok(R::to_proto(row))
}

/// A list request's common fields.
pub(crate) struct List<'a> {
    pub(crate) parent: Option<&'a str>,
    pub(crate) page_size: i32,
    pub(crate) page_token: &'a str,
    pub(crate) filter: &'a str,
    pub(crate) show_deleted: bool,
}

/// List: keyset pages within what the caller may see.
pub(crate) async fn list<R: Resource>(
    db: &Database,
    caller: &Caller,
    l: List<'_>,
) -> Result<(Vec<R::Proto>, String), Status> {
    let query = format!(
        "{};{};{};{}",
        R::FIELD,
        l.parent.unwrap_or_default(),
        l.filter,
        l.show_deleted
    );
    let mut v = Violations::new();
    let (limit, after) = page(l.page_size, l.page_token, &query, &mut v);
    let customer_id = match l.parent {
        Some(parent) => match names::parse(parent, &["customers"]) {
            Ok(ids) => Some(ids[0].to_string()),
            Err(e) => {
                v.add("parent", e.to_string());
                None
            }
        },
        None => caller.customer_id().map(str::to_string),
    };
    v.into_result()?;
    if let Some(c) = &customer_id {
        caller.ensure_customer(c, l.parent.unwrap_or_default())?;
    }
    let page = store::list::<R::Row>(
        db,
        ListQuery {
            scope: customer_id.as_deref(),
            filter: l.filter,
            after,
            limit,
            show_deleted: l.show_deleted,
        },
    )
    .await??;
    page_items(page, &query, |row| Ok(R::to_proto(row)))
}

/// The resource `name` (sent in request field `field`) if the caller may write it: its
/// customer's tenancy, then the resource's own rule.
fn writable<'a, R: Resource>(
    caller: &Caller,
    field: &str,
    name: &'a str,
) -> Result<Named<'a>, Status> {
    let n = parse_name(field, name, R::COLLECTIONS)?;
    caller.ensure_customer(n.customer_id, name)?;
    R::may_write(caller, n.customer_id, name)?;
    Ok(n)
}

/// Update with a field mask and an optional etag (AIP-134, 154).
pub(crate) async fn update<R: Resource>(
    db: &Database,
    clock: &Clock,
    caller: &Caller,
    resource: Option<R::Proto>,
    mask: Option<&FieldMask>,
) -> Result<R::Proto, Status> {
    let p = resource.unwrap_or_default();
    let (name, etag) = R::name_and_etag(&p);
    let n = writable::<R>(caller, &format!("{}.name", R::FIELD), name)?;
    let mut v = Violations::new();
    let fields = update_fields::<R>(&p, mask, &mut v);
    check_all::<R>(&p, &fields, &mut v);
    v.into_result()?;
    let sets = fields.iter().flat_map(|f| R::columns(&p, *f)).collect();
    let w = store::update::<R::Row>(
        db,
        n.customer_id,
        n.id,
        etag_version(etag),
        sets,
        clock.now(),
    )
    .await?;
    Ok(R::to_proto(written(w, name)?))
}

/// Soft delete; the etag, when given, must be current.
pub(crate) async fn delete<R: Resource>(
    db: &Database,
    clock: &Clock,
    caller: &Caller,
    name: &str,
    etag: &str,
) -> Result<R::Proto, Status> {
    let n = writable::<R>(caller, "name", name)?;
    let w = store::soft_delete::<R::Row>(db, n.customer_id, n.id, etag_version(etag), clock.now())
        .await?;
    Ok(R::to_proto(written(w, name)?))
}

/// Undelete a soft-deleted resource.
pub(crate) async fn undelete<R: Resource>(
    db: &Database,
    clock: &Clock,
    caller: &Caller,
    name: &str,
) -> Result<R::Proto, Status> {
    let n = writable::<R>(caller, "name", name)?;
    let w = store::undelete::<R::Row>(db, n.customer_id, n.id, clock.now()).await?;
    Ok(R::to_proto(written(w, name)?))
}
