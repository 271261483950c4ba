//! Sites: what is checked and stored; the methods themselves are in `crud`.

use super::{
    common::*,
    convert,
    crud::{Field, Resource},
};
use crate::store::SiteRow;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Caller, Violations, country::CountryCode, db::Value};
use tonic::Status;

pub(crate) struct Sites;

/// The fields of a site an update may set.
#[derive(Clone, Copy)]
pub(crate) enum SiteField {
    DisplayName,
    Country,
    Location,
    Address,
}

impl Field for SiteField {
    const ALL: &'static [Self] = &[
        Self::DisplayName,
        Self::Country,
        Self::Location,
        Self::Address,
    ];
    fn path(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::Country => "country",
            Self::Location => "location",
            Self::Address => "address",
        }
    }
}

impl Resource for Sites {
    type Proto = pb::Site;
    type Row = SiteRow;
    const COLLECTIONS: &'static [&'static str] = &["customers", "sites"];
    const FIELD: &'static str = "site";
    type Field = SiteField;

    fn check(s: &pb::Site, f: SiteField, field: String, v: &mut Violations) {
        match f {
            SiteField::DisplayName => text(v, &field, &s.display_name, true, 200),
            SiteField::Address => text(v, &field, &s.address, false, 1000),
            SiteField::Country => {
                v.check(&field, CountryCode::parse(&s.country));
            }
            SiteField::Location => v.location(&field, s.location.as_ref()),
        }
    }

    fn populated(s: &pb::Site, f: SiteField) -> bool {
        match f {
            SiteField::DisplayName => !s.display_name.is_empty(),
            SiteField::Country => !s.country.is_empty(),
            SiteField::Location => s.location.is_some(),
            SiteField::Address => !s.address.is_empty(),
        }
    }

    fn columns(s: &pb::Site, f: SiteField) -> Vec<(&'static str, Value)> {
        match f {
            SiteField::DisplayName => vec![("display_name", s.display_name.trim().into())],
            SiteField::Country => vec![("country", s.country.trim().to_ascii_uppercase().into())],
            SiteField::Location => {
                let l = s.location.unwrap_or_default();
                vec![
                    ("latitude", l.latitude.into()),
                    ("longitude", l.longitude.into()),
                ]
            }
            SiteField::Address => vec![("address", s.address.clone().into())],
        }
    }

    fn name_and_etag(s: &pb::Site) -> (&str, &str) {
        (&s.name, &s.etag)
    }

    fn to_proto(row: SiteRow) -> pb::Site {
        convert::site(row)
    }

    fn may_write(caller: &Caller, customer_id: &str, name: &str) -> Result<(), Status> {
        ensure_may_edit_children(caller, customer_id, name)
    }
}
