//! Labs, members and signer keys.

use super::{Api, access::*, convert};
use crate::store::{self, LabRow, ListQuery, MemberRow, SignerKeyRow, Table};
use std::sync::Arc;
use symbolon_contracts::labs::v1::{self as pb, MemberRole};
use symbolon_platform::{
    Caller, StoreError, Violations,
    aip::{
        checked_page, chosen_or_new_id, etag_version, mask_paths, page_items, request_key, text,
        written,
    },
    db::Value,
    names, status,
};
use tonic::Status;

/// A page of rows of `T` within `scope`; `query` binds the page token to the request.
pub(crate) async fn list_scoped<T: Table>(
    api: &Api,
    scope: &str,
    query: &str,
    page_size: i32,
    page_token: &str,
) -> Result<(Vec<T>, symbolon_platform::aip::NextPage), Status> {
    let listing = symbolon_platform::aip::Listing {
        scope: Some(scope),
        filter: "",
        query,
        show_deleted: true,
    };
    symbolon_platform::aip::list_page::<T>(&api.db, listing, page_size, page_token).await
}

/// [`list_scoped`] with each row turned into protobuf by `to_pb`: the items and the
/// next page token.
pub(crate) async fn list_pb<T: Table, M: prost::Message>(
    api: &Api,
    scope: &str,
    query: &str,
    (page_size, page_token): (i32, &str),
    to_pb: fn(T) -> M,
) -> Result<(Vec<M>, String), Status> {
    let (rows, next_page) = list_scoped::<T>(api, scope, query, page_size, page_token).await?;
    let mut items = rows.into_iter().map(to_pb).collect();
    let next_page_token = next_page.token(&mut items);
    Ok((items, next_page_token))
}

pub(crate) async fn create_lab(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::CreateLabRequest,
) -> Result<pb::Lab, Status> {
    let mut v = Violations::new();
    let key = request_key(c, "CreateLab", "", &r, &mut v);
    let lab = r.lab.unwrap_or_default();
    text(&mut v, "lab.display_name", &lab.display_name, true, 200);
    text(&mut v, "lab.description", &lab.description, false, 4000);
    let customer = match names::parse(&lab.customer, &["customers"]) {
        Ok(ids) => ids[0].to_string(),
        Err(e) => {
            v.add("lab.customer", e.to_string());
            String::new()
        }
    };
    let id = chosen_or_new_id(&mut v, "lab_id", &r.lab_id);
    v.into_result()?;
    require_admin(c)?;
    // Checked before anything is written: if the customers service cannot answer, the
    // call fails with UNAVAILABLE and nothing exists.
    if !api.customers.customer_exists(c, &customer).await? {
        return Err(status::invalid_argument(
            "lab.customer",
            format!("customers/{customer} does not exist"),
        ));
    }
    let now = api.clock.now();
    let row: LabRow = store::insert(
        &api.db,
        &[
            "id",
            "customer_id",
            "display_name",
            "description",
            "last_hash",
            "create_time",
            "update_time",
        ],
        vec![
            id.clone().into(),
            customer.into(),
            lab.display_name.trim().into(),
            lab.description.into(),
            crate::chain::GENESIS.into(),
            now.into(),
            now.into(),
        ],
        key,
    )
    .await
    .map_err(status::exists_on_conflict(&format!("labs/{id}")))?;
    Ok(convert::lab(row))
}

pub(crate) async fn get_lab(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::GetLabRequest,
) -> Result<pb::Lab, Status> {
    Ok(convert::lab(
        open_named(&api.db, c, "name", &r.name).await?.lab,
    ))
}

pub(crate) async fn list_labs(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListLabsRequest,
) -> Result<pb::ListLabsResponse, Status> {
    let query = "labs";
    let (limit, after) = checked_page(r.page_size, &r.page_token, query)?;
    let page = if is_admin(c) {
        store::list::<LabRow>(
            &api.db,
            ListQuery {
                scope: None,
                filter: "",
                after,
                limit,
                show_deleted: false,
            },
        )
        .await??
    } else {
        store::labs_of_member(&api.db, &c.org.claim(), &c.subject, after, limit).await?
    };
    let (labs, next_page_token) = page_items(page, query, |row| Ok(convert::lab(row)))?;
    Ok(pb::ListLabsResponse {
        labs,
        next_page_token,
    })
}

pub(crate) async fn update_lab(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::UpdateLabRequest,
) -> Result<pb::Lab, Status> {
    let lab = r.lab.unwrap_or_default();
    let ids = parse("lab.name", &lab.name, &["labs"])?;
    let mut v = Violations::new();
    let mut populated = Vec::new();
    if !lab.display_name.is_empty() {
        populated.push("display_name");
    }
    if !lab.description.is_empty() {
        populated.push("description");
    }
    let paths = mask_paths(
        r.update_mask.as_ref(),
        &["display_name", "description"],
        &populated,
        &mut v,
    );
    let mut sets: Vec<(&'static str, Value)> = Vec::new();
    for p in &paths {
        if *p == "display_name" {
            text(&mut v, "lab.display_name", &lab.display_name, true, 200);
            sets.push(("display_name", lab.display_name.trim().into()));
        } else {
            text(&mut v, "lab.description", &lab.description, false, 4000);
            sets.push(("description", lab.description.clone().into()));
        }
    }
    v.into_result()?;
    let a = open(&api.db, c, ids[0]).await?;
    require_admin(c)?;
    let w = store::update::<LabRow>(
        &api.db,
        a.id(),
        a.id(),
        etag_version(&lab.etag),
        sets,
        api.clock.now(),
    )
    .await?;
    Ok(convert::lab(written(w, &lab.name)?))
}

fn role_side(r: MemberRole) -> Option<bool> {
    match r {
        MemberRole::CustomerEngineer | MemberRole::CustomerExecutive => Some(false),
        MemberRole::VendorEngineer | MemberRole::VendorReleaseManager => Some(true),
        _ => None,
    }
}

pub(crate) async fn create_member(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::CreateMemberRequest,
) -> Result<pb::Member, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    let mut v = Violations::new();
    let key = request_key(c, "CreateMember", &r.parent, &r, &mut v);
    let m = r.member.unwrap_or_default();
    let vendor = m.key_person.is_empty();
    if vendor && m.subject.trim().is_empty() {
        v.add(
            "member.key_person",
            "either a key person (customer side) or a subject (vendor staff) is required",
        );
    }
    if !vendor && !m.subject.is_empty() {
        v.add(
            "member.subject",
            "is taken from the key person; leave it empty",
        );
    }
    text(&mut v, "member.subject", &m.subject, false, 200);
    text(&mut v, "member.display_name", &m.display_name, false, 200);
    if m.roles.is_empty() {
        v.add("member.roles", "at least one role is required");
    }
    let mut roles: Vec<i32> = Vec::new();
    for (i, role) in m.roles.iter().enumerate() {
        match MemberRole::try_from(*role) {
            Ok(MemberRole::Unspecified) | Err(_) => {
                v.add(format!("member.roles[{i}]"), "is not a known role")
            }
            Ok(role) => match role_side(role) {
                Some(side) if side != vendor => v.add(
                    format!("member.roles[{i}]"),
                    format!(
                        "{} is a {} role",
                        role.as_str_name(),
                        if side { "vendor" } else { "customer" }
                    ),
                ),
                _ => {
                    if !roles.contains(&(role as i32)) {
                        roles.push(role as i32);
                    }
                }
            },
        }
    }
    let id = chosen_or_new_id(&mut v, "member_id", &r.member_id);
    let kp_customer = if vendor {
        String::new()
    } else {
        match names::parse(&m.key_person, &["customers", "keyPersons"]) {
            Ok(ids) => ids[0].to_string(),
            Err(e) => {
                v.add("member.key_person", e.to_string());
                String::new()
            }
        }
    };
    v.into_result()?;
    let a = open(&api.db, c, ids[0]).await?;
    let (subject, org, display_name) = if vendor {
        require_admin(c)?;
        (
            m.subject.trim().to_string(),
            "vendor".to_string(),
            m.display_name.trim().to_string(),
        )
    } else {
        a.require(&[MemberRole::CustomerExecutive], "adding a key person")?;
        if kp_customer != a.lab.customer_id {
            return Err(status::invalid_argument(
                "member.key_person",
                format!(
                    "must be a key person of customers/{}, the lab's customer",
                    a.lab.customer_id
                ),
            ));
        }
        let Some(kp) = api.customers.key_person(c, &m.key_person).await? else {
            return Err(status::invalid_argument(
                "member.key_person",
                format!("{} does not exist", m.key_person),
            ));
        };
        if kp.subject.trim().is_empty() {
            return Err(status::failed_precondition(
                "KEY_PERSON_WITHOUT_SUBJECT",
                &m.key_person,
                format!(
                    "{} has no sign-in subject; set it in the customers service first",
                    m.key_person
                ),
            ));
        }
        (
            kp.subject.trim().to_string(),
            format!("customers/{kp_customer}"),
            kp.display_name,
        )
    };
    let now = api.clock.now();
    let name = format!("{}/members/{id}", a.name());
    let row: MemberRow = store::insert(
        &api.db,
        &[
            "id",
            "lab_id",
            "key_person",
            "subject",
            "org",
            "roles",
            "display_name",
            "create_time",
            "update_time",
        ],
        vec![
            id.into(),
            a.id().into(),
            m.key_person.clone().into(),
            subject.into(),
            org.into(),
            store::to_json(&roles).into(),
            display_name.into(),
            now.into(),
            now.into(),
        ],
        key,
    )
    .await
    .map_err(status::exists_on_conflict(&name))?;
    if row.meta.scope != a.id() {
        return Err(status::not_found(&r.parent));
    }
    Ok(convert::member(row))
}

pub(crate) async fn get_member(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::GetMemberRequest,
) -> Result<pb::Member, Status> {
    let (_, m) = child::<MemberRow>(&api.db, c, "name", &r.name, &["labs", "members"]).await?;
    Ok(convert::member(m))
}

pub(crate) async fn list_members(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListMembersRequest,
) -> Result<pb::ListMembersResponse, Status> {
    let a = open_named(&api.db, c, "parent", &r.parent).await?;
    let (members, next_page_token) = list_pb::<MemberRow, _>(
        api,
        a.id(),
        &format!("members;{}", r.parent),
        (r.page_size, &r.page_token),
        convert::member,
    )
    .await?;
    Ok(pb::ListMembersResponse {
        members,
        next_page_token,
    })
}

pub(crate) async fn delete_member(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::DeleteMemberRequest,
) -> Result<(), Status> {
    let ids = parse("name", &r.name, &["labs", "members"])?;
    let a = open(&api.db, c, ids[0]).await?;
    require_admin(c)?;
    if !store::delete_member(&api.db, a.id(), ids[1]).await? {
        return Err(status::not_found(&r.name));
    }
    Ok(())
}

pub(crate) async fn register_signer_key(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::RegisterSignerKeyRequest,
) -> Result<pb::SignerKey, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    let k = r.signer_key.unwrap_or_default();
    let key = crate::dsse::parse_public_key(&k.public_key_pem)
        .map_err(|e| status::invalid_argument("signer_key.public_key_pem", e.to_string()))?;
    let a = open(&api.db, c, ids[0]).await?;
    // Only the member themselves registers their key: nobody, not even an admin, can
    // put words in another signer's mouth.
    let Some(member) = &a.member else {
        return Err(status::permission_denied(
            "only lab members register signer keys, each for themselves",
        ));
    };
    let row = SignerKeyRow {
        id: crate::dsse::key_id(&key),
        lab_id: a.id().to_string(),
        member_id: member.meta.id.clone(),
        subject: member.subject.clone(),
        public_key_pem: k.public_key_pem.trim().to_string() + "\n",
        create_time: api.clock.now(),
    };
    let name = format!("{}/signerKeys/{}", a.name(), row.id);
    match store::insert_signer_key(&api.db, &row).await {
        Ok(()) => Ok(convert::signer_key(row)),
        Err(StoreError::Conflict(_)) => {
            // Registering the same key again is a no-op for its owner.
            match store::get::<SignerKeyRow>(&api.db, a.id(), &row.id).await? {
                Some(existing) if existing.member_id == row.member_id => {
                    Ok(convert::signer_key(existing))
                }
                _ => Err(status::already_exists(&name)),
            }
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn list_signer_keys(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListSignerKeysRequest,
) -> Result<pb::ListSignerKeysResponse, Status> {
    let a = open_named(&api.db, c, "parent", &r.parent).await?;
    let (signer_keys, next_page_token) = list_pb::<SignerKeyRow, _>(
        api,
        a.id(),
        &format!("keys;{}", r.parent),
        (r.page_size, &r.page_token),
        convert::signer_key,
    )
    .await?;
    Ok(pb::ListSignerKeysResponse {
        signer_keys,
        next_page_token,
    })
}
