//! Sites: what is checked and stored; the methods themselves are in `crud`.

use super::{common::*, convert, crud::Resource};
use crate::store::SiteRow;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Caller, Violations, country::CountryCode, db::Value};
use tonic::Status;

pub(crate) struct Sites;

impl Resource for Sites {
    type Proto = pb::Site;
    type Row = SiteRow;
    const COLLECTIONS: &'static [&'static str] = &["customers", "sites"];
    const FIELD: &'static str = "site";
    const MUTABLE: &'static [&'static str] = &["display_name", "country", "location", "address"];

    fn check(s: &pb::Site, path: &str, field: String, v: &mut Violations) {
        match path {
            "display_name" => text(v, &field, &s.display_name, true, 200),
            "address" => text(v, &field, &s.address, false, 1000),
            "country" => {
                v.check(&field, CountryCode::parse(&s.country));
            }
            _ => match &s.location {
                None => v.add(field, "is required"),
                Some(l) => {
                    if !(-90.0..=90.0).contains(&l.latitude) {
                        v.add(format!("{field}.latitude"), "must be between -90 and 90");
                    }
                    if !(-180.0..=180.0).contains(&l.longitude) {
                        v.add(format!("{field}.longitude"), "must be between -180 and 180");
                    }
                }
            },
        }
    }

    fn populated(s: &pb::Site, path: &str) -> bool {
        match path {
            "display_name" => !s.display_name.is_empty(),
            "country" => !s.country.is_empty(),
            "location" => s.location.is_some(),
            _ => !s.address.is_empty(),
        }
    }

    fn columns(s: &pb::Site, path: &str) -> Vec<(&'static str, Value)> {
        match path {
            "display_name" => vec![("display_name", s.display_name.trim().into())],
            "country" => vec![("country", s.country.trim().to_ascii_uppercase().into())],
            "location" => {
                let l = s.location.unwrap_or_default();
                vec![
                    ("latitude", l.latitude.into()),
                    ("longitude", l.longitude.into()),
                ]
            }
            _ => vec![("address", s.address.clone().into())],
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
