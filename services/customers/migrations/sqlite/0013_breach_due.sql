-- The breach sweep reads what is due, not what is open: `breach_due` is the earliest
-- time at which an open request could break a commitment (its creation time plus the
-- shortest window of a commitment not yet breached that promises one of its parts at
-- its incident's site, plus one microsecond), NULL when none could. New requests start
-- due at once, so the first sweep computes it; creating a commitment lowers it for the
-- customer's open requests at the promised sites. The partial index holds only open
-- requests with a due time, in due order (the sweep repeats its predicate word for word).
ALTER TABLE fire_requests ADD COLUMN breach_due BIGINT;
UPDATE fire_requests SET breach_due = create_time
    WHERE state IN (1, 2) AND parts <> '[]';
CREATE INDEX fire_requests_breach_due ON fire_requests (breach_due)
    WHERE breach_due IS NOT NULL AND state IN (1, 2);
-- The walk through every open request that this replaces.
DROP INDEX fire_requests_by_department;
