-- ListFireRequests' `department` filter, like every other filter: an index led by the
-- list's scope (the incident) and ending in the page order.
CREATE INDEX fire_requests_department ON fire_requests (incident_key, department, id);
