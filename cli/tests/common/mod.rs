//! What the command's test binaries share (a folder, so Cargo builds no test of its own).

use symbolon_platform::access::ServicePolicy;

/// Every service's declared policy, as the deployables serve them.
pub(crate) fn policies() -> Vec<&'static ServicePolicy> {
    let mut all: Vec<&'static ServicePolicy> = symbolon_customers::access::POLICIES.to_vec();
    all.extend(symbolon_quality::access::POLICIES);
    all.push(&symbolon_labs::access::LABS);
    all.push(&symbolon_supplychain::access::SUPPLY_CHAIN_SERVICE);
    all
}
