//! Who may call each RPC of the customers deployable: its five services' declared
//! policies, enforced by `platform::access::Guard` before any handler runs (see
//! `docs/access.md`, generated from these tables).
//!
//! Decisions recorded here: customers are created, deleted and undeleted by admins
//! only; analysts read and never write; a fire request is acted on by its department
//! only; a customer's people read their own customer's records, touchpoints,
//! incidents, commitments, trust board and quality reports (the shared record), and its
//! executives maintain their own sites and key persons; the portfolio ranking and the
//! rest of quality (standards, reviews, disputes, scripts, scorecards) are the vendor's
//! internal view and no customer role reaches them.

use symbolon_platform::access::{
    ADMIN, ANALYST, ANY_DEPARTMENT, CUSTOMER_ENGINEER, CUSTOMER_EXECUTIVE, EVERYONE, FRONTLINE,
    Grant, ServicePolicy, Tenancy::*, rule,
};

/// Vendor staff who keep the CRM.
const CRM: &[Grant] = &[ADMIN, FRONTLINE];
/// Who maintains a customer's sites and key persons.
const CHILDREN: &[Grant] = &[ADMIN, FRONTLINE, CUSTOMER_EXECUTIVE];
/// Who records touchpoints.
const RECORDERS: &[Grant] = &[ADMIN, FRONTLINE, ANY_DEPARTMENT];
/// Who reads the portfolio ranking.
const BOARD: &[Grant] = &[ADMIN, ANALYST, FRONTLINE];
/// Who reads one customer's trust board: the board's readers and the customer.
const OWN_BOARD: &[Grant] = &[
    ADMIN,
    ANALYST,
    FRONTLINE,
    CUSTOMER_ENGINEER,
    CUSTOMER_EXECUTIVE,
];

/// `symbolon.customers.v1.CustomersService`.
pub static CUSTOMERS: ServicePolicy = ServicePolicy {
    service: "symbolon.customers.v1.CustomersService",
    rules: &[
        rule("CreateCustomer", &[ADMIN], Customer),
        rule("GetCustomer", EVERYONE, Customer),
        rule("ListCustomers", EVERYONE, Customer),
        rule("UpdateCustomer", CRM, Customer),
        rule("DeleteCustomer", &[ADMIN], Customer),
        rule("UndeleteCustomer", &[ADMIN], Customer),
        rule("CreateSite", CHILDREN, Customer),
        rule("GetSite", EVERYONE, Customer),
        rule("ListSites", EVERYONE, Customer),
        rule("UpdateSite", CHILDREN, Customer),
        rule("DeleteSite", CHILDREN, Customer),
        rule("UndeleteSite", CHILDREN, Customer),
        rule("CreateKeyPerson", CHILDREN, Customer),
        rule("GetKeyPerson", EVERYONE, Customer),
        rule("ListKeyPersons", EVERYONE, Customer),
        rule("UpdateKeyPerson", CHILDREN, Customer),
        rule("DeleteKeyPerson", CHILDREN, Customer),
        rule("UndeleteKeyPerson", CHILDREN, Customer),
        rule("RecordTouchpoint", RECORDERS, Customer),
        rule("GetTouchpoint", EVERYONE, Customer),
        rule("ListTouchpoints", EVERYONE, Customer),
    ],
};

/// `symbolon.customers.v1.IncidentsService`.
pub static INCIDENTS: ServicePolicy = ServicePolicy {
    service: "symbolon.customers.v1.IncidentsService",
    rules: &[
        rule("OpenIncident", CRM, Customer),
        rule("GetIncident", EVERYONE, Customer),
        rule("ListIncidents", EVERYONE, Customer),
        rule("CallForFire", CRM, IncidentOwner),
        rule("ListFireRequests", EVERYONE, Customer),
        rule("AcknowledgeFireRequest", &[ANY_DEPARTMENT], Department),
        rule("FulfilFireRequest", &[ANY_DEPARTMENT], Department),
        // The incident's frontline staff withdraw a request, or its department does.
        rule("CancelFireRequest", RECORDERS, Customer),
        rule("CloseIncident", CRM, Customer),
        rule("CancelIncident", CRM, Customer),
        rule("WatchIncident", EVERYONE, Customer),
    ],
};

/// `symbolon.customers.v1.CommitmentsService`.
pub static COMMITMENTS: ServicePolicy = ServicePolicy {
    service: "symbolon.customers.v1.CommitmentsService",
    rules: &[
        rule("CreateCommitment", CRM, Customer),
        rule("GetCommitment", EVERYONE, Customer),
        rule("ListCommitments", EVERYONE, Customer),
        rule("ListCommitmentStatusChanges", EVERYONE, Customer),
        // The customer's people may ask about their own sites (the answer shows places
        // and times, never depot names, to them).
        rule("AssessSiteCoverage", EVERYONE, Customer),
    ],
};

/// `symbolon.customers.v1.DashboardService`.
pub static DASHBOARD: ServicePolicy = ServicePolicy {
    service: "symbolon.customers.v1.DashboardService",
    rules: &[
        rule("GetTrustDashboard", OWN_BOARD, Customer),
        rule("RankCustomersForAttention", BOARD, Vendor),
    ],
};

mod quality {
    use symbolon_platform::access::{
        ADMIN, ANALYST, CUSTOMER_ENGINEER, CUSTOMER_EXECUTIVE, FRONTLINE, Grant,
    };

    /// `department:quality`, the vendor's quality assurance.
    pub(super) const QA: Grant = Grant::Department("quality");
    /// `department:customer-service`.
    pub(super) const SERVICE: Grant = Grant::Department("customer-service");
    /// Edit standards; review reports and resolve disputes.
    pub(super) const EDITORS: &[Grant] = &[ADMIN, QA];
    /// Inspect conversations (frontline agents their own only).
    pub(super) const INSPECTORS: &[Grant] = &[ADMIN, QA, SERVICE, FRONTLINE];
    /// Read every report, calibration and result.
    pub(super) const READERS: &[Grant] = &[ADMIN, QA, SERVICE, ANALYST];
    /// Readers, and agents for their own records.
    pub(super) const READERS_AND_AGENTS: &[Grant] = &[ADMIN, QA, SERVICE, ANALYST, FRONTLINE];
    /// Readers, agents for their own reports, a customer's people for their customer's.
    pub(super) const REPORT_READERS: &[Grant] = &[
        ADMIN,
        QA,
        SERVICE,
        ANALYST,
        FRONTLINE,
        CUSTOMER_ENGINEER,
        CUSTOMER_EXECUTIVE,
    ];
    /// Maintain templates and experiments.
    pub(super) const SCRIPT_EDITORS: &[Grant] = &[ADMIN, SERVICE];
    /// Use templates and experiments.
    pub(super) const SCRIPT_USERS: &[Grant] = &[ADMIN, QA, SERVICE, ANALYST, FRONTLINE];
}

/// `symbolon.quality.v1.QualityService`.
pub static QUALITY: ServicePolicy = {
    use quality::*;
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

/// Every policy of this deployable.
pub static POLICIES: [&ServicePolicy; 5] =
    [&CUSTOMERS, &INCIDENTS, &COMMITMENTS, &DASHBOARD, &QUALITY];
