//! Requests that seed the records many tests start from.

use symbolon_contracts::customers::v1 as pb;

/// A request creating customer `id` named `display_name`, without a request id.
pub fn create_customer_request(
    id: &str,
    display_name: &str,
    industry: pb::Industry,
    home_country: &str,
) -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        customer: Some(pb::Customer {
            display_name: display_name.into(),
            industry: industry as i32,
            home_country: home_country.into(),
            ..Default::default()
        }),
        customer_id: id.into(),
        request_id: String::new(),
    }
}
