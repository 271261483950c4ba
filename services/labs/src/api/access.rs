//! Who may see and do what in a lab. A lab is visible to its members and to vendor
//! admins; to anyone else it does not exist (NOT_FOUND, never PERMISSION_DENIED).

use super::Api;
use crate::store::{self, LabRow, MemberRow, Side, Table};
use std::sync::Arc;
use symbolon_contracts::labs::v1::MemberRole;
use symbolon_platform::{Caller, Database, status};
use tonic::Status;

/// A lab the caller may see, and their membership in it.
pub(crate) struct Access {
    pub(crate) lab: LabRow,
    pub(crate) member: Option<MemberRow>,
    pub(crate) admin: bool,
    pub(crate) caller: Arc<Caller>,
}

/// Vendor staff holding the `admin` role.
pub(crate) fn is_admin(c: &Caller) -> bool {
    c.is_vendor() && c.roles.iter().any(|r| r == "admin")
}

/// PERMISSION_DENIED unless the caller is a vendor admin.
pub(crate) fn require_admin(c: &Caller) -> Result<(), Status> {
    if is_admin(c) {
        Ok(())
    } else {
        Err(status::permission_denied("only vendor admins may do this"))
    }
}

/// Parses `name` against `collections` (e.g. `["labs", "members"]`) into its ids.
pub(crate) use symbolon_platform::aip::ids_of as parse;

/// Opens the lab named `name`, sent in request field `field`.
pub(crate) async fn open_named(
    db: &Database,
    caller: &Arc<Caller>,
    field: &str,
    name: &str,
) -> Result<Access, Status> {
    open(db, caller, parse(field, name, &["labs"])?[0]).await
}

/// The row of `T` named `name` (sent in request field `field`) in a lab the caller may
/// see: a child of the lab (`["labs", "proposals"]`: scoped by the lab), or of a
/// proposal or test plan of it (three collections: scoped `{lab}/{parent}`).
/// NOT_FOUND when missing.
pub(crate) async fn child<T: Table>(
    db: &Database,
    caller: &Arc<Caller>,
    field: &str,
    name: &str,
    collections: &[&str],
) -> Result<(Access, T), Status> {
    let ids = parse(field, name, collections)?;
    let a = open(db, caller, ids[0]).await?;
    let scope = match ids.as_slice() {
        [_, parent, _] => store::parent_key(a.id(), parent),
        _ => a.id().to_string(),
    };
    let row = store::get::<T>(db, &scope, ids[ids.len() - 1])
        .await?
        .ok_or_else(|| status::not_found(name))?;
    Ok((a, row))
}

/// Opens lab `lab_id` for `caller`, or NOT_FOUND naming `labs/{lab_id}`.
pub(crate) async fn open(
    db: &Database,
    caller: &Arc<Caller>,
    lab_id: &str,
) -> Result<Access, Status> {
    let name = format!("labs/{lab_id}");
    let lab = store::get_live::<LabRow>(db, lab_id, lab_id)
        .await?
        .ok_or_else(|| status::not_found(&name))?;
    if !caller.can_see_customer(&lab.customer_id) {
        return Err(status::not_found(&name));
    }
    let admin = is_admin(caller);
    let member = store::member_by_subject(db, lab_id, &caller.org.claim(), &caller.subject).await?;
    if !admin && member.is_none() {
        return Err(status::not_found(&name));
    }
    Ok(Access {
        lab,
        member,
        admin,
        caller: caller.clone(),
    })
}

impl Access {
    /// `labs/{lab}`.
    pub(crate) fn name(&self) -> String {
        format!("labs/{}", self.lab.meta.id)
    }

    /// The lab id.
    pub(crate) fn id(&self) -> &str {
        &self.lab.meta.id
    }

    /// True when the caller's membership holds one of `roles`.
    pub(crate) fn holds(&self, roles: &[MemberRole]) -> bool {
        self.member.as_ref().is_some_and(|m| {
            m.roles
                .iter()
                .any(|r| roles.iter().any(|x| *x as i32 == *r))
        })
    }

    /// PERMISSION_DENIED unless the caller is a vendor admin or holds one of `roles`.
    pub(crate) fn require(&self, roles: &[MemberRole], what: &str) -> Result<(), Status> {
        if self.admin || self.holds(roles) {
            return Ok(());
        }
        Err(status::permission_denied(format!(
            "{what} needs a lab role among: {}",
            roles
                .iter()
                .map(|r| r.as_str_name())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    /// The side the caller approves for.
    pub(crate) fn side(&self) -> Side {
        if self.caller.is_vendor() {
            Side::Vendor
        } else {
            Side::Customer
        }
    }

    /// Records a read of the log by a customer person (the customer's audit trail).
    pub(crate) async fn audit_read(
        &self,
        api: &Api,
        method: &str,
        detail: String,
    ) -> Result<(), Status> {
        if self.caller.is_vendor() {
            return Ok(());
        }
        store::record_access(
            &api.db,
            &store::AccessRow {
                id: store::new_id(),
                lab_id: self.lab.meta.id.clone(),
                subject: self.caller.subject.clone(),
                org: self.caller.org.claim(),
                method: method.into(),
                detail,
                access_time: api.clock.now(),
            },
        )
        .await?;
        Ok(())
    }
}

/// Roles that may write designs, comments and test results.
pub(crate) const CONTRIBUTORS: &[MemberRole] = &[
    MemberRole::CustomerEngineer,
    MemberRole::CustomerExecutive,
    MemberRole::VendorEngineer,
    MemberRole::VendorReleaseManager,
];
