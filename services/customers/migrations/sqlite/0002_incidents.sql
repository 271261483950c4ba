-- Incidents, calls for fire and their timelines.
CREATE TABLE incidents (
    id                TEXT NOT NULL,
    customer_id       TEXT NOT NULL REFERENCES customers (id),
    site              TEXT NOT NULL DEFAULT '',
    severity          INTEGER NOT NULL,
    summary           TEXT NOT NULL,
    detect_time       INTEGER NOT NULL,
    state             INTEGER NOT NULL,
    owner             TEXT NOT NULL,
    root_cause        TEXT,
    customer_impact   TEXT,
    timeline          TEXT,
    what_changes      TEXT,
    create_time       INTEGER NOT NULL,
    acknowledge_time  INTEGER,
    close_time        INTEGER,
    -- The last timeline sequence number; bumped under the row lock, so sequences stay
    -- gap-free with several replicas.
    last_seq          INTEGER NOT NULL DEFAULT 0,
    request_key       TEXT UNIQUE,
    PRIMARY KEY (customer_id, id)
);

-- Timer columns are absolute times (microseconds) so one indexed query finds due work;
-- the *_fired flags make each warning and escalation fire exactly once.
CREATE TABLE fire_requests (
    id                 TEXT NOT NULL,
    incident_key       TEXT NOT NULL,
    customer_id        TEXT NOT NULL,
    incident_id        TEXT NOT NULL,
    department         TEXT NOT NULL,
    ask                TEXT NOT NULL,
    state              INTEGER NOT NULL,
    create_time        INTEGER NOT NULL,
    ack_warn_at        INTEGER NOT NULL,
    ack_due            INTEGER NOT NULL,
    fulfil_warn_at     INTEGER NOT NULL,
    fulfil_due         INTEGER NOT NULL,
    ack_time           INTEGER,
    fulfil_time        INTEGER,
    acknowledged_by    TEXT NOT NULL DEFAULT '',
    fulfilled_by       TEXT NOT NULL DEFAULT '',
    ack_warned         INTEGER NOT NULL DEFAULT 0,
    ack_escalated      INTEGER NOT NULL DEFAULT 0,
    fulfil_warned      INTEGER NOT NULL DEFAULT 0,
    fulfil_escalated   INTEGER NOT NULL DEFAULT 0,
    request_key        TEXT UNIQUE,
    PRIMARY KEY (incident_key, id),
    FOREIGN KEY (customer_id, incident_id) REFERENCES incidents (customer_id, id)
);
CREATE INDEX fire_requests_open ON fire_requests (state, ack_warn_at);

CREATE TABLE incident_events (
    customer_id   TEXT NOT NULL,
    incident_id   TEXT NOT NULL,
    sequence      INTEGER NOT NULL,
    time          INTEGER NOT NULL,
    kind          INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    fire_request  TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    notify        TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (customer_id, incident_id, sequence)
);
