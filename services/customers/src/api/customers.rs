//! Customers: what is checked and stored; the methods themselves are in `crud`.

use super::{
    common::*,
    convert,
    crud::{Field, Resource},
};
use crate::store::CustomerRow;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Caller, Violations, country::CountryCode, db::Value};
use tonic::Status;

pub(crate) struct Customers;

/// The fields of a customer an update may set.
#[derive(Clone, Copy)]
pub(crate) enum CustomerField {
    DisplayName,
    Industry,
    HomeCountry,
    Description,
}

impl Field for CustomerField {
    const ALL: &'static [Self] = &[
        Self::DisplayName,
        Self::Industry,
        Self::HomeCountry,
        Self::Description,
    ];
    fn path(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::Industry => "industry",
            Self::HomeCountry => "home_country",
            Self::Description => "description",
        }
    }
}

impl Resource for Customers {
    type Proto = pb::Customer;
    type Row = CustomerRow;
    const COLLECTIONS: &'static [&'static str] = &["customers"];
    const FIELD: &'static str = "customer";
    type Field = CustomerField;

    fn check(c: &pb::Customer, f: CustomerField, field: String, v: &mut Violations) {
        match f {
            CustomerField::DisplayName => text(v, &field, &c.display_name, true, 200),
            CustomerField::Description => text(v, &field, &c.description, false, 4000),
            CustomerField::Industry => {
                if pb::Industry::try_from(c.industry)
                    .map_or(true, |i| i == pb::Industry::Unspecified)
                {
                    v.add(field, "is required and must be a known industry");
                }
            }
            CustomerField::HomeCountry => {
                v.check(&field, CountryCode::parse(&c.home_country));
            }
        }
    }

    fn populated(c: &pb::Customer, f: CustomerField) -> bool {
        match f {
            CustomerField::DisplayName => !c.display_name.is_empty(),
            CustomerField::Industry => c.industry != 0,
            CustomerField::HomeCountry => !c.home_country.is_empty(),
            CustomerField::Description => !c.description.is_empty(),
        }
    }

    fn columns(c: &pb::Customer, f: CustomerField) -> Vec<(&'static str, Value)> {
        vec![match f {
            CustomerField::DisplayName => ("display_name", c.display_name.trim().into()),
            CustomerField::Industry => ("industry", i64::from(c.industry).into()),
            CustomerField::HomeCountry => (
                "home_country",
                c.home_country.trim().to_ascii_uppercase().into(),
            ),
            CustomerField::Description => ("description", c.description.clone().into()),
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
