//! Customers: what is checked and stored; the methods themselves are in `crud`.

use super::{common::*, convert, crud::Resource};
use crate::store::CustomerRow;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Caller, Violations, country::CountryCode, db::Value};
use tonic::Status;

pub(crate) struct Customers;

impl Resource for Customers {
    type Proto = pb::Customer;
    type Row = CustomerRow;
    const COLLECTIONS: &'static [&'static str] = &["customers"];
    const FIELD: &'static str = "customer";
    const MUTABLE: &'static [&'static str] =
        &["display_name", "industry", "home_country", "description"];

    fn check(c: &pb::Customer, path: &str, field: String, v: &mut Violations) {
        match path {
            "display_name" => text(v, &field, &c.display_name, true, 200),
            "description" => text(v, &field, &c.description, false, 4000),
            "industry" => {
                if pb::Industry::try_from(c.industry)
                    .map_or(true, |i| i == pb::Industry::Unspecified)
                {
                    v.add(field, "is required and must be a known industry");
                }
            }
            _ => {
                v.check(&field, CountryCode::parse(&c.home_country));
            }
        }
    }

    fn populated(c: &pb::Customer, path: &str) -> bool {
        match path {
            "display_name" => !c.display_name.is_empty(),
            "industry" => c.industry != 0,
            "home_country" => !c.home_country.is_empty(),
            _ => !c.description.is_empty(),
        }
    }

    fn columns(c: &pb::Customer, path: &str) -> Vec<(&'static str, Value)> {
        vec![match path {
            "display_name" => ("display_name", c.display_name.trim().into()),
            "industry" => ("industry", i64::from(c.industry).into()),
            "home_country" => (
                "home_country",
                c.home_country.trim().to_ascii_uppercase().into(),
            ),
            _ => ("description", c.description.clone().into()),
        }]
    }

    fn name_and_etag(c: &pb::Customer) -> (&str, &str) {
        (&c.name, &c.etag)
    }

    fn to_proto(row: CustomerRow) -> pb::Customer {
        convert::customer(row)
    }

    fn may_write(caller: &Caller, _customer_id: &str, _name: &str) -> Result<(), Status> {
        caller.require_vendor(CRM_WRITERS)
    }
}
