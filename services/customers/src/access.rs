//! Who may call each RPC of the CRM: its four services' declared policies, enforced by `platform::access::Guard` before any handler runs (see
//! `docs/access.md`, generated from these tables).
//!
//! Decisions recorded here: customers are created, deleted and undeleted by admins
//! only; analysts read and never write; a fire request is acted on by its department
//! only; a customer's people read their own customer's records, touchpoints,
//! incidents, commitments and trust board (the shared record), and its executives
//! maintain their own sites and key persons; the portfolio ranking is the vendor's
//! internal view and no customer role reaches it. Quality's policy is in
//! `symbolon_quality::access`.

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

/// Every policy of the CRM (the deployable also serves `symbolon_quality::access::QUALITY`).
pub static POLICIES: [&ServicePolicy; 4] = [&CUSTOMERS, &INCIDENTS, &COMMITMENTS, &DASHBOARD];
