//! Who may call each RPC of `symbolon.supplychain.v1.SupplyChainService`, enforced by
//! `platform::access::Guard` before any handler runs (see `docs/access.md`).
//!
//! Decisions recorded here: everything stored here is the vendor's own data, so no
//! customer role reads it; customers only assess coverage (their answer is redacted);
//! analysts read and never write; depots, stock, country profiles and scoring models
//! are kept by admins and the supply-chain department; reservations and coverage
//! registrations are written by the frontline calls that need them (CallForFire,
//! CreateCommitment) and by the supply-chain department.

use symbolon_platform::access::{
    ADMIN, ANALYST, CUSTOMER_ENGINEER, CUSTOMER_EXECUTIVE, FRONTLINE, Grant, ServicePolicy,
    Tenancy::*, VENDOR, rule,
};

/// `department:supply-chain`.
const SUPPLY_CHAIN: Grant = Grant::Department("supply-chain");
/// Read the supply chain.
const READERS: &[Grant] = &[ADMIN, ANALYST, FRONTLINE, SUPPLY_CHAIN];
/// Keep depots, stock, country profiles and scoring models.
const KEEPERS: &[Grant] = &[ADMIN, SUPPLY_CHAIN];
/// Reserve parts and register coverage for the customers' incidents and commitments.
const OPERATORS: &[Grant] = &[ADMIN, FRONTLINE, SUPPLY_CHAIN];
/// Assess coverage: the vendor's readers and customers.
const ASSESSORS: &[Grant] = &[
    ADMIN,
    ANALYST,
    FRONTLINE,
    SUPPLY_CHAIN,
    CUSTOMER_ENGINEER,
    CUSTOMER_EXECUTIVE,
];

/// `symbolon.supplychain.v1.SupplyChainService`.
pub static SUPPLY_CHAIN_SERVICE: ServicePolicy = ServicePolicy {
    service: "symbolon.supplychain.v1.SupplyChainService",
    rules: &[
        rule("CreateCountryProfile", KEEPERS, Vendor),
        rule("GetCountryProfile", READERS, Vendor),
        rule("ListCountryProfiles", READERS, Vendor),
        rule("UpdateCountryProfile", KEEPERS, Vendor),
        rule("DeleteCountryProfile", KEEPERS, Vendor),
        rule("ImportCountryFactors", KEEPERS, Vendor),
        rule("CreateScoringModel", KEEPERS, Vendor),
        rule("GetScoringModel", READERS, Vendor),
        rule("ListScoringModels", READERS, Vendor),
        rule("UpdateScoringModel", KEEPERS, Vendor),
        rule("DeleteScoringModel", KEEPERS, Vendor),
        rule("ActivateScoringModel", KEEPERS, Vendor),
        rule("ScoreCountry", READERS, Vendor),
        rule("ListCountryScores", READERS, Vendor),
        rule("RankCountries", READERS, Vendor),
        rule("CreateDepot", KEEPERS, Vendor),
        rule("GetDepot", READERS, Vendor),
        rule("ListDepots", READERS, Vendor),
        rule("UpdateDepot", KEEPERS, Vendor),
        rule("DeleteDepot", KEEPERS, Vendor),
        rule("SetStockLevel", KEEPERS, Vendor),
        rule("GetStockLevel", READERS, Vendor),
        rule("ListStockLevels", READERS, Vendor),
        rule("CreateReservation", OPERATORS, Vendor),
        rule("GetReservation", VENDOR, Vendor),
        rule("ListReservations", VENDOR, Vendor),
        rule("ReleaseReservation", OPERATORS, Vendor),
        rule("DispatchReservation", OPERATORS, Vendor),
        rule("AssessCoverage", ASSESSORS, Computed),
        rule("BatchAssessCoverage", ASSESSORS, Computed),
        rule("GetCoverageModel", READERS, Vendor),
        rule("CreateCoverageRegistration", OPERATORS, Vendor),
        rule("GetCoverageRegistration", VENDOR, Vendor),
        rule("ListCoverageRegistrations", VENDOR, Vendor),
        rule("DeleteCoverageRegistration", OPERATORS, Vendor),
        rule("SimulateDisruption", READERS, Vendor),
        rule("WatchRiskEvents", READERS, Vendor),
    ],
};
