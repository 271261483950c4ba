-- Service commitments checked against supply-chain coverage, their registrations with
-- the supply-chain service, their status history, and the risk-stream cursor.
-- Times are microseconds; booleans are 0/1 integers; clauses are the encoded
-- `CommitmentClause` list in hex (the Any driver carries no BLOBs).
CREATE TABLE commitments (
    id             TEXT NOT NULL,
    customer_id    TEXT NOT NULL REFERENCES customers (id),
    display_name   TEXT NOT NULL,
    clauses        TEXT NOT NULL,
    status         INTEGER NOT NULL,
    status_reason  TEXT NOT NULL,
    risk_accepted  INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    create_time    INTEGER NOT NULL,
    update_time    INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    -- The last status-change sequence of this commitment.
    last_change    INTEGER NOT NULL DEFAULT 0,
    request_key    TEXT UNIQUE,
    PRIMARY KEY (customer_id, id)
);
CREATE INDEX commitments_status ON commitments (customer_id, status);

-- One row per (clause, site): the supply-chain registration that watches it.
CREATE TABLE commitment_coverage (
    registration   TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL,
    commitment_id  TEXT NOT NULL,
    clause         INTEGER NOT NULL,
    site           TEXT NOT NULL,
    covered        INTEGER NOT NULL,
    best_arrival   INTEGER,
    best_depot     TEXT NOT NULL,
    redundancy     INTEGER NOT NULL,
    -- The risk event that last set `covered` (0: the registration itself).
    risk_sequence  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX commitment_coverage_commitment ON commitment_coverage (customer_id, commitment_id);

-- Append-only history. `id` is the zero-padded sequence, `commitment_key` is
-- `{customer}/{commitment}`.
CREATE TABLE commitment_status_changes (
    commitment_key   TEXT NOT NULL,
    id               TEXT NOT NULL,
    customer_id      TEXT NOT NULL,
    commitment_id    TEXT NOT NULL,
    previous_status  INTEGER NOT NULL,
    status           INTEGER NOT NULL,
    reason           TEXT NOT NULL,
    risk_sequence    INTEGER NOT NULL,
    change_time      INTEGER NOT NULL,
    PRIMARY KEY (commitment_key, id)
);

-- The last supply-chain risk event applied (one row).
CREATE TABLE commitment_risk_cursor (
    id        INTEGER PRIMARY KEY,
    sequence  INTEGER NOT NULL
);
INSERT INTO commitment_risk_cursor (id, sequence) VALUES (1, 0);

-- Risk events for registrations not yet stored here (a create still in flight); the
-- create applies them when it commits.
CREATE TABLE commitment_risk_pending (
    registration  TEXT PRIMARY KEY,
    sequence      INTEGER NOT NULL,
    covered       INTEGER NOT NULL,
    redundancy    INTEGER NOT NULL,
    cause         TEXT NOT NULL
);
