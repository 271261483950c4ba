-- Every filter ListDepots and ListCoverageRegistrations accept is backed by an index led
-- by the list's scope and ending in the page order (id), so a filtered page reads what
-- it returns, not every depot or registration.
CREATE INDEX depots_country ON depots (scope, country, id);
CREATE INDEX depots_status ON depots (scope, status, id);
CREATE INDEX coverage_registrations_state ON coverage_registrations (scope, state, id);
CREATE INDEX coverage_registrations_reference ON coverage_registrations (scope, reference, id);
