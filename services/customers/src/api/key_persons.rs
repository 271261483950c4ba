//! Key persons: what is checked and stored; the methods themselves are in `crud`.

use super::{
    common::*,
    convert,
    crud::{Field, Resource},
};
use crate::store::KeyPersonRow;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Caller, Violations, db::Value};
use tonic::Status;

pub(crate) struct KeyPersons;

/// The fields of a key person an update may set.
#[derive(Clone, Copy)]
pub(crate) enum KeyPersonField {
    DisplayName,
    Title,
    DecisionRole,
    Email,
    Subject,
}

impl Field for KeyPersonField {
    const ALL: &'static [Self] = &[
        Self::DisplayName,
        Self::Title,
        Self::DecisionRole,
        Self::Email,
        Self::Subject,
    ];
    fn path(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::Title => "title",
            Self::DecisionRole => "decision_role",
            Self::Email => "email",
            Self::Subject => "subject",
        }
    }
}

impl Resource for KeyPersons {
    type Proto = pb::KeyPerson;
    type Row = KeyPersonRow;
    const COLLECTIONS: &'static [&'static str] = &["customers", "keyPersons"];
    const FIELD: &'static str = "key_person";
    type Field = KeyPersonField;

    fn check(k: &pb::KeyPerson, f: KeyPersonField, field: String, v: &mut Violations) {
        match f {
            KeyPersonField::DisplayName => text(v, &field, &k.display_name, true, 200),
            KeyPersonField::Title => text(v, &field, &k.title, true, 200),
            KeyPersonField::Subject => text(v, &field, &k.subject, false, 200),
            KeyPersonField::Email => {
                text(v, &field, &k.email, false, 320);
                if !k.email.is_empty() && !k.email.contains('@') {
                    v.add(field, "must be an e-mail address");
                }
            }
            KeyPersonField::DecisionRole => {
                if pb::DecisionRole::try_from(k.decision_role)
                    .map_or(true, |r| r == pb::DecisionRole::Unspecified)
                {
                    v.add(field, "is required and must be a known decision role");
                }
            }
        }
    }

    fn populated(k: &pb::KeyPerson, f: KeyPersonField) -> bool {
        match f {
            KeyPersonField::DisplayName => !k.display_name.is_empty(),
            KeyPersonField::Title => !k.title.is_empty(),
            KeyPersonField::DecisionRole => k.decision_role != 0,
            KeyPersonField::Email => !k.email.is_empty(),
            KeyPersonField::Subject => !k.subject.is_empty(),
        }
    }

    fn columns(k: &pb::KeyPerson, f: KeyPersonField) -> Vec<(&'static str, Value)> {
        vec![match f {
            KeyPersonField::DisplayName => ("display_name", k.display_name.trim().into()),
            KeyPersonField::Title => ("title", k.title.trim().into()),
            KeyPersonField::DecisionRole => ("decision_role", i64::from(k.decision_role).into()),
            KeyPersonField::Email => ("email", k.email.trim().into()),
            KeyPersonField::Subject => ("subject", k.subject.trim().into()),
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
