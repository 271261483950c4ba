//! Who may call each RPC of `symbolon.quality.v1.QualityService`: its declared policy,
//! enforced by `platform::access::Guard` before any handler runs (see
//! `docs/access.md`, generated from this table).
//!
//! Decisions recorded here: a customer's people read their own customer's quality
//! reports (the shared record); the rest of quality (standards, reviews, disputes,
//! scripts, scorecards) is the vendor's internal view and no customer role reaches it.

use symbolon_platform::access::{
    ADMIN, ANALYST, CUSTOMER_ENGINEER, CUSTOMER_EXECUTIVE, FRONTLINE, Grant, ServicePolicy,
    Tenancy::*, rule,
};

/// `department:quality`, the vendor's quality assurance.
const QA: Grant = Grant::Department("quality");
/// `department:customer-service`.
const SERVICE: Grant = Grant::Department("customer-service");
/// Edit standards; review reports and resolve disputes.
const EDITORS: &[Grant] = &[ADMIN, QA];
/// Inspect conversations (frontline agents their own only).
const INSPECTORS: &[Grant] = &[ADMIN, QA, SERVICE, FRONTLINE];
/// Read every report, calibration and result.
const READERS: &[Grant] = &[ADMIN, QA, SERVICE, ANALYST];
/// Readers, and agents for their own records.
const READERS_AND_AGENTS: &[Grant] = &[ADMIN, QA, SERVICE, ANALYST, FRONTLINE];
/// Readers, agents for their own reports, a customer's people for their customer's.
const REPORT_READERS: &[Grant] = &[
    ADMIN,
    QA,
    SERVICE,
    ANALYST,
    FRONTLINE,
    CUSTOMER_ENGINEER,
    CUSTOMER_EXECUTIVE,
];
/// Maintain templates and experiments.
const SCRIPT_EDITORS: &[Grant] = &[ADMIN, SERVICE];
/// Use templates and experiments.
const SCRIPT_USERS: &[Grant] = &[ADMIN, QA, SERVICE, ANALYST, FRONTLINE];

/// `symbolon.quality.v1.QualityService`.
pub static QUALITY: ServicePolicy = {
    ServicePolicy {
        service: "symbolon.quality.v1.QualityService",
        rules: &[
            rule("CreateStandard", EDITORS, Vendor),
            rule("GetStandard", SCRIPT_USERS, Vendor),
            rule("ListStandards", SCRIPT_USERS, Vendor),
            rule("UpdateStandard", EDITORS, Vendor),
            rule("GetStandardVersion", SCRIPT_USERS, Vendor),
            rule("ListStandardVersions", SCRIPT_USERS, Vendor),
            rule("InspectConversation", INSPECTORS, Own),
            rule("InspectLive", INSPECTORS, Own),
            rule("EvaluateStandard", READERS, Vendor),
            rule("GetReport", REPORT_READERS, Own),
            rule("ListReports", REPORT_READERS, Own),
            rule("ReviewReport", EDITORS, Vendor),
            rule("CreateDispute", &[ADMIN, FRONTLINE], Own),
            rule("ListDisputes", READERS_AND_AGENTS, Own),
            rule("ResolveDispute", EDITORS, Vendor),
            rule("GetCalibration", READERS, Vendor),
            rule("CreateTemplate", SCRIPT_EDITORS, Vendor),
            rule("GetTemplate", SCRIPT_USERS, Vendor),
            rule("ListTemplates", SCRIPT_USERS, Vendor),
            rule("RenderTemplate", SCRIPT_USERS, Vendor),
            rule("CreateExperiment", SCRIPT_EDITORS, Vendor),
            rule("GetExperiment", SCRIPT_USERS, Vendor),
            rule("AssignVariant", SCRIPT_USERS, Vendor),
            rule("RecordOutcome", SCRIPT_USERS, Vendor),
            rule("GetExperimentResults", READERS, Vendor),
            rule("GetScorecard", READERS_AND_AGENTS, Own),
        ],
    }
};

/// Every policy of this crate.
pub static POLICIES: [&ServicePolicy; 1] = [&QUALITY];
