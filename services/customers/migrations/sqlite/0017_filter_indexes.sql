-- Migration 9 of earlier releases, without the quality indexes (quality keeps its own
-- migrations now: services/quality). Databases that applied 9 have every index below
-- already (IF NOT EXISTS); new ones get them here. The migrator ignores applied
-- versions it no longer has (startup.rs).
-- Every filter a List method accepts is backed by an index led by the list's scope
-- (the customer, or none for the vendor-wide lists) and ending in the page order, so a
-- filtered page reads what it returns rather than the scope's whole history. Equality
-- filters keep pages in id order; a time filter pages in (time, id) order.
CREATE INDEX IF NOT EXISTS touchpoints_kind ON touchpoints (customer_id, kind, id);
CREATE INDEX IF NOT EXISTS touchpoints_mood ON touchpoints (customer_id, mood, id);
CREATE INDEX IF NOT EXISTS touchpoints_occur ON touchpoints (customer_id, occur_time, id);
CREATE INDEX IF NOT EXISTS incidents_severity ON incidents (customer_id, severity, id);
CREATE INDEX IF NOT EXISTS incidents_state ON incidents (customer_id, state, id);
CREATE INDEX IF NOT EXISTS incidents_detect ON incidents (customer_id, detect_time, id);
CREATE INDEX IF NOT EXISTS sites_country ON sites (customer_id, country, id);
CREATE INDEX IF NOT EXISTS key_persons_role ON key_persons (customer_id, decision_role, id);
-- Replaces commitments_status (customer_id, status): same prefix, plus the page order.
CREATE INDEX IF NOT EXISTS commitments_status_page ON commitments (customer_id, status, id);
DROP INDEX IF EXISTS commitments_status;

-- The incident timers find what is due, not what is open: one partial index per timer,
-- holding only the requests whose timer has yet to fire, in due order (the sweep's
-- conditions repeat these predicates word for word, so both planners use them).
CREATE INDEX IF NOT EXISTS fire_requests_ack_warn_due ON fire_requests (ack_warn_at)
    WHERE ack_warned = 0 AND state IN (1);
CREATE INDEX IF NOT EXISTS fire_requests_ack_due ON fire_requests (ack_due)
    WHERE ack_escalated = 0 AND state IN (1);
CREATE INDEX IF NOT EXISTS fire_requests_fulfil_warn_due ON fire_requests (fulfil_warn_at)
    WHERE fulfil_warned = 0 AND state IN (1, 2);
CREATE INDEX IF NOT EXISTS fire_requests_fulfil_due ON fire_requests (fulfil_due)
    WHERE fulfil_escalated = 0 AND state IN (1, 2);
