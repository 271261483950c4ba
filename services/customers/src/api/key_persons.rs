//! Key persons: what is checked and stored; the methods themselves are in `crud`.

use super::{common::*, convert, crud::Resource};
use crate::store::KeyPersonRow;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Caller, Violations, db::Value};
use tonic::Status;

pub(crate) struct KeyPersons;

impl Resource for KeyPersons {
    type Proto = pb::KeyPerson;
    type Row = KeyPersonRow;
    const COLLECTIONS: &'static [&'static str] = &["customers", "keyPersons"];
    const FIELD: &'static str = "key_person";
    const MUTABLE: &'static [&'static str] =
        &["display_name", "title", "decision_role", "email", "subject"];

    fn check(k: &pb::KeyPerson, path: &str, field: String, v: &mut Violations) {
        match path {
            "display_name" => text(v, &field, &k.display_name, true, 200),
            "title" => text(v, &field, &k.title, true, 200),
            "subject" => text(v, &field, &k.subject, false, 200),
            "email" => {
                text(v, &field, &k.email, false, 320);
                if !k.email.is_empty() && !k.email.contains('@') {
                    v.add(field, "must be an e-mail address");
                }
            }
            _ => {
                if pb::DecisionRole::try_from(k.decision_role)
                    .map_or(true, |r| r == pb::DecisionRole::Unspecified)
                {
                    v.add(field, "is required and must be a known decision role");
                }
            }
        }
    }

    fn populated(k: &pb::KeyPerson, path: &str) -> bool {
        match path {
            "display_name" => !k.display_name.is_empty(),
            "title" => !k.title.is_empty(),
            "decision_role" => k.decision_role != 0,
            "email" => !k.email.is_empty(),
            _ => !k.subject.is_empty(),
        }
    }

    fn columns(k: &pb::KeyPerson, path: &str) -> Vec<(&'static str, Value)> {
        vec![match path {
            "display_name" => ("display_name", k.display_name.trim().into()),
            "title" => ("title", k.title.trim().into()),
            "decision_role" => ("decision_role", i64::from(k.decision_role).into()),
            "email" => ("email", k.email.trim().into()),
            _ => ("subject", k.subject.trim().into()),
        }]
    }

    fn name_and_etag(k: &pb::KeyPerson) -> (&str, &str) {
        (&k.name, &k.etag)
    }

    fn to_proto(row: KeyPersonRow) -> pb::KeyPerson {
        convert::key_person(row)
    }

    fn may_write(caller: &Caller, customer_id: &str, name: &str) -> Result<(), Status> {
        ensure_may_edit_children(caller, customer_id, name)
    }
}
