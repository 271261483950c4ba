//! The declared access policy, and the one place that enforces it.
//!
//! Every service declares a [`ServicePolicy`]: for each RPC exactly one [`Rule`] — the
//! roles that may call it and the [`Tenancy`] rule that scopes what they reach. The
//! [`Guard`] in front of each service authenticates the call, finds the rule by the
//! gRPC path and refuses, before any handler runs, a caller who holds none of the
//! rule's roles (PERMISSION_DENIED) or a method nobody declared (deny by default). The
//! tenancy rule is then applied by the handler and, for customer data, by the tenant
//! scope that every SQL statement names (defence in depth: the guard never replaces it).
//!
//! `docs/access.md` is [`markdown`] of every service's policy, and [`undeclared`]
//! compares the policies with the descriptor set; tests keep both true.

use crate::{
    Caller,
    auth::{Authenticator, Role, RoleKind},
    status,
};
use std::{
    collections::HashMap,
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};
use tonic::{body::Body, server::NamedService};

/// Which of the data a permitted caller reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenancy {
    /// The vendor's own data (depots, scoring, standards…): customers never reach it.
    Vendor,
    /// One customer's data: the vendor's people with the role reach every customer, a
    /// customer's people their own only; another customer's resource is NOT_FOUND and
    /// lists carry none of its rows.
    Customer,
    /// A lab's data: its members and vendor admins; to anyone else the lab is NOT_FOUND.
    LabMember,
    /// As [`Tenancy::Customer`], and only the incident's frontline owner or an admin may
    /// act on the incident.
    IncidentOwner,
    /// As [`Tenancy::Customer`], and only the department a fire request names may act on it
    /// (admins do not stand in for a department).
    Department,
    /// The caller's own records (an agent's reports, scorecard, disputes) unless they
    /// hold a reader role (admin, analyst, `department:quality`,
    /// `department:customer-service`); a customer's people their own customer's.
    Own,
    /// A computed answer about places the caller names (coverage of a location): no
    /// stored tenant data, and a customer's answer leaves out the vendor's depots.
    Computed,
}

impl Tenancy {
    /// A short phrase for the policy table.
    pub fn describe(self) -> &'static str {
        match self {
            Tenancy::Vendor => "vendor-internal",
            Tenancy::Customer => "own customer (customers); any (vendor)",
            Tenancy::LabMember => "lab members and vendor admins",
            Tenancy::IncidentOwner => "own customer; the incident's frontline owner or admin",
            Tenancy::Department => "own customer; the fire request's department",
            Tenancy::Own => "own records (agents), own customer (customers), all (readers)",
            Tenancy::Computed => "computed for the request; customers get no depot detail",
        }
    }
}

/// One role a rule admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Any role of this kind (for [`RoleKind::Department`]: any department).
    Kind(RoleKind),
    /// `department:<name>`: this department only.
    Department(&'static str),
}

impl Grant {
    /// Whether a caller's `role` is admitted.
    pub fn admits(self, role: &Role) -> bool {
        match (self, role) {
            (Grant::Kind(k), r) => r.kind() == k,
            (Grant::Department(name), Role::Department(d)) => d == name,
            (Grant::Department(_), _) => false,
        }
    }

    /// As the table prints it.
    pub fn describe(self) -> String {
        match self {
            Grant::Kind(RoleKind::Department) => "department:*".into(),
            Grant::Kind(k) => k.as_str().into(),
            Grant::Department(name) => format!("department:{name}"),
        }
    }
}

/// `admin`.
pub const ADMIN: Grant = Grant::Kind(RoleKind::Admin);
/// `frontline`.
pub const FRONTLINE: Grant = Grant::Kind(RoleKind::Frontline);
/// Any `department:<name>`.
pub const ANY_DEPARTMENT: Grant = Grant::Kind(RoleKind::Department);
/// `release-manager`.
pub const RELEASE_MANAGER: Grant = Grant::Kind(RoleKind::ReleaseManager);
/// `analyst`.
pub const ANALYST: Grant = Grant::Kind(RoleKind::Analyst);
/// `customer-engineer`.
pub const CUSTOMER_ENGINEER: Grant = Grant::Kind(RoleKind::CustomerEngineer);
/// `customer-executive`.
pub const CUSTOMER_EXECUTIVE: Grant = Grant::Kind(RoleKind::CustomerExecutive);
/// Every vendor role.
pub const VENDOR: &[Grant] = &[ADMIN, FRONTLINE, ANY_DEPARTMENT, RELEASE_MANAGER, ANALYST];
/// Every role, vendor's and customer's.
pub const EVERYONE: &[Grant] = &[
    ADMIN,
    FRONTLINE,
    ANY_DEPARTMENT,
    RELEASE_MANAGER,
    ANALYST,
    CUSTOMER_ENGINEER,
    CUSTOMER_EXECUTIVE,
];

/// The access rule of one RPC.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The method name, e.g. `CreateCustomer`.
    pub method: &'static str,
    /// The roles that may call it (admin is listed where it may; nothing is implied).
    pub roles: &'static [Grant],
    /// What the callers reach.
    pub tenancy: Tenancy,
}

impl Rule {
    /// Whether a caller holding `roles` may call this method.
    pub fn admits(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.roles.iter().any(|g| g.admits(r)))
    }
}

/// Shorthand for a rule in a policy table.
pub const fn rule(method: &'static str, roles: &'static [Grant], tenancy: Tenancy) -> Rule {
    Rule {
        method,
        roles,
        tenancy,
    }
}

/// The rules of one gRPC service.
#[derive(Debug)]
pub struct ServicePolicy {
    /// The full service name, e.g. `symbolon.customers.v1.CustomersService`.
    pub service: &'static str,
    /// One rule per RPC.
    pub rules: &'static [Rule],
}

impl ServicePolicy {
    /// The rule of `method`, if declared.
    pub fn rule(&self, method: &str) -> Option<&'static Rule> {
        self.rules.iter().find(|r| r.method == method)
    }

    /// Whether a caller holding `roles` may call `method` under this policy.
    pub fn permits(&self, method: &str, roles: &[Role]) -> bool {
        self.rule(method).is_some_and(|r| r.admits(roles))
    }
}

/// The roles of a rule, as the table and the refusals print them.
pub fn role_list(roles: &[Grant]) -> String {
    if roles.is_empty() {
        return "nobody".into();
    }
    if roles == EVERYONE {
        return "every role".into();
    }
    if roles == VENDOR {
        return "every vendor role".into();
    }
    roles
        .iter()
        .map(|r| r.describe())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `docs/access.md`: every service's rules as a table.
pub fn markdown(policies: &[&ServicePolicy]) -> String {
    let mut out = String::from(
        "# Access policy\n\n\
         Generated from the services' declared policies (`src/access.rs` of each service)\n\
         by `SYMBOLON_BLESS=1 cargo test -p symbolon --test access`; that test fails when\n\
         this file or a proto comment is stale. Each RPC's proto comment states its rule.\n\n\
         Every call is authenticated first (see `docs/security.md`); then the guard in\n\
         front of each service (`platform::access::Guard`) refuses, before any handler\n\
         runs, a caller holding none of the method's roles (PERMISSION_DENIED), and a\n\
         method no policy declares. A role string outside the vocabulary grants nothing;\n\
         `admin` is listed where it may call (nothing is implied). The tenancy column is\n\
         applied by the handler and the SQL: another customer's resource is NOT_FOUND, and\n\
         lists and streams carry none of its rows.\n\n\
         Vendor roles: `admin`, `frontline`, `department:<name>` (a configured department;\n\
         `department:*` is any of them), `release-manager`, `analyst`. Customer roles:\n\
         `customer-engineer`, `customer-executive`.\n\n\
         Request ids (`request_id`, AIP-155) are scoped to the caller's organisation, the\n\
         method and the parent, and bound to the first request sent with them (its\n\
         SHA-256 without the id, `platform::request_ids`): the same id with the same\n\
         request returns the first result; with another request it is INVALID_ARGUMENT,\n\
         reason `REQUEST_ID_REUSED`, a violation of `request_id`, and nothing is created\n\
         or returned.\n",
    );
    for p in policies {
        out.push_str(&format!(
            "\n## `{}`\n\n| method | roles | tenancy |\n|---|---|---|\n",
            p.service
        ));
        for r in p.rules {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                r.method,
                role_list(r.roles),
                r.tenancy.describe()
            ));
        }
    }
    out
}

/// The proto comment line that states a rule.
pub fn comment(rule: &Rule) -> String {
    format!(
        "Access: {}; {}.",
        role_list(rule.roles),
        rule.tenancy.describe()
    )
}

/// What the descriptor set and the policies disagree on: methods of `services` with no
/// rule, rules naming no method, methods with two rules. Empty when they agree.
pub fn undeclared(
    policies: &[&ServicePolicy],
    descriptor_set: &[u8],
    services: &[&str],
) -> Result<Vec<String>, prost::DecodeError> {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(descriptor_set)?;
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for file in &set.file {
        for svc in &file.service {
            let full = format!("{}.{}", file.package(), svc.name());
            if !services.contains(&full.as_str()) {
                continue;
            }
            seen.push(full.clone());
            let Some(policy) = policies.iter().find(|p| p.service == full) else {
                problems.push(format!("{full}: no policy"));
                continue;
            };
            for m in &svc.method {
                let n = policy.rules.iter().filter(|r| r.method == m.name()).count();
                if n != 1 {
                    problems.push(format!("{full}/{}: {n} rules", m.name()));
                }
            }
            for r in policy.rules {
                if !svc.method.iter().any(|m| m.name() == r.method) {
                    problems.push(format!("{full}/{}: rule for no method", r.method));
                }
            }
        }
    }
    for s in services {
        if !seen.iter().any(|x| x == s) {
            problems.push(format!("{s}: not in the descriptor set"));
        }
    }
    Ok(problems)
}

/// Authenticates every call and enforces a [`ServicePolicy`]'s roles before the
/// wrapped service (a generated `…Server`) sees it; the handler finds the [`Caller`]
/// and its [`Rule`] in the request's extensions.
#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    auth: Authenticator,
    rules: Arc<HashMap<String, &'static Rule>>,
}

impl<S> Guard<S> {
    /// Guards `inner` with `auth` and `policy`.
    pub fn new(inner: S, auth: Authenticator, policy: &'static ServicePolicy) -> Self {
        let rules = policy
            .rules
            .iter()
            .map(|r| (format!("/{}/{}", policy.service, r.method), r))
            .collect();
        Self {
            inner,
            auth,
            rules: Arc::new(rules),
        }
    }

    fn admit(
        &self,
        req: &http::Request<Body>,
    ) -> Result<(Arc<Caller>, &'static Rule), tonic::Status> {
        let caller = self.auth.authenticate(req.headers())?;
        let rule =
            self.rules.get(req.uri().path()).copied().ok_or_else(|| {
                status::permission_denied("no access policy declares this method")
            })?;
        if !rule.admits(&caller.roles) {
            return Err(status::permission_denied(format!(
                "{} needs one of the roles: {}",
                rule.method,
                role_list(rule.roles)
            )));
        }
        Ok((caller, rule))
    }
}

impl<S: NamedService> NamedService for Guard<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower::Service<http::Request<Body>> for Guard<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        match self.admit(&req) {
            Ok((caller, rule)) => {
                req.extensions_mut().insert(caller);
                req.extensions_mut().insert(rule);
                Box::pin(self.inner.call(req))
            }
            Err(refusal) => {
                let response = refusal.into_http::<Body>();
                Box::pin(async move { Ok(response) })
            }
        }
    }
}
