-- Supply-chain resilience. Times are microseconds since the Unix epoch; `version`
-- backs the etag; `request_key` makes creates idempotent. Vendor-global tables carry
-- a constant `scope` column ('global') for the generic table helpers.

-- One row. Every change of live data (depots, stock, country profiles, models) locks
-- it first (SELECT ... FOR UPDATE), so changes, their re-assessment of registrations
-- and the risk events they emit are serialised across replicas, and event sequence
-- numbers are assigned gap-free in commit order. `data_version` lets each replica
-- reuse its in-memory coverage snapshot until something changes.
CREATE TABLE sc_state (
    id             BIGINT PRIMARY KEY,
    data_version   BIGINT NOT NULL,
    last_event_seq BIGINT NOT NULL
);
INSERT INTO sc_state (id, data_version, last_event_seq) VALUES (1, 0, 0);

-- Factors are a JSON object {factor id: {value, scale, normalized, source, as_of}}, so
-- new factors need no schema change.
CREATE TABLE country_profiles (
    id            TEXT PRIMARY KEY,
    scope         TEXT NOT NULL DEFAULT 'global',
    display_name  TEXT NOT NULL DEFAULT '',
    factors       TEXT NOT NULL,
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT,
    version       BIGINT NOT NULL DEFAULT 1,
    request_key   TEXT UNIQUE
);

CREATE TABLE scoring_models (
    id            TEXT PRIMARY KEY,
    scope         TEXT NOT NULL DEFAULT 'global',
    display_name  TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    weights       TEXT NOT NULL,
    model_version BIGINT NOT NULL DEFAULT 1,
    active        BIGINT NOT NULL DEFAULT 0,
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT,
    version       BIGINT NOT NULL DEFAULT 1,
    request_key   TEXT UNIQUE
);
-- Exactly one active model, enforced by the database.
CREATE UNIQUE INDEX scoring_models_one_active ON scoring_models (scope) WHERE active = 1;

-- Append-only: a recorded score is never rewritten.
CREATE TABLE country_scores (
    id            TEXT NOT NULL,
    country       TEXT NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    model         TEXT NOT NULL,
    model_version BIGINT NOT NULL,
    detail        TEXT NOT NULL,
    compute_time  BIGINT NOT NULL,
    PRIMARY KEY (country, id)
);

CREATE TABLE depots (
    id            TEXT PRIMARY KEY,
    scope         TEXT NOT NULL DEFAULT 'global',
    display_name  TEXT NOT NULL,
    country       TEXT NOT NULL,
    latitude      DOUBLE PRECISION NOT NULL,
    longitude     DOUBLE PRECISION NOT NULL,
    status        BIGINT NOT NULL,
    prep_micros   BIGINT NOT NULL,
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT,
    version       BIGINT NOT NULL DEFAULT 1,
    request_key   TEXT UNIQUE
);

-- `id` is the part number. The CHECK is the last line of defence against overselling.
CREATE TABLE stock_levels (
    id            TEXT NOT NULL,
    depot_id      TEXT NOT NULL REFERENCES depots (id),
    on_hand       BIGINT NOT NULL,
    reserved      BIGINT NOT NULL DEFAULT 0,
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT,
    version       BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (depot_id, id),
    CHECK (reserved >= 0 AND on_hand >= reserved)
);

CREATE TABLE reservations (
    id            TEXT NOT NULL,
    depot_id      TEXT NOT NULL REFERENCES depots (id),
    lines         TEXT NOT NULL,
    reference     TEXT NOT NULL DEFAULT '',
    state         BIGINT NOT NULL,
    reserved_by   TEXT NOT NULL,
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT,
    version       BIGINT NOT NULL DEFAULT 1,
    request_key   TEXT UNIQUE,
    PRIMARY KEY (depot_id, id)
);

CREATE TABLE coverage_registrations (
    id            TEXT PRIMARY KEY,
    scope         TEXT NOT NULL DEFAULT 'global',
    site_label    TEXT NOT NULL DEFAULT '',
    country       TEXT NOT NULL,
    latitude      DOUBLE PRECISION NOT NULL,
    longitude     DOUBLE PRECISION NOT NULL,
    part_numbers  TEXT NOT NULL,
    window_micros BIGINT NOT NULL,
    reference     TEXT NOT NULL,
    state         BIGINT NOT NULL,
    redundancy    BIGINT NOT NULL,
    assessment    TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT,
    version       BIGINT NOT NULL DEFAULT 1,
    request_key   TEXT UNIQUE
);

-- The risk stream. `seq` is assigned under the sc_state lock: gap-free, commit order.
CREATE TABLE risk_events (
    seq                 BIGINT PRIMARY KEY,
    registration_id     TEXT NOT NULL,
    reference           TEXT NOT NULL,
    previous_state      BIGINT NOT NULL,
    state               BIGINT NOT NULL,
    previous_redundancy BIGINT NOT NULL,
    redundancy          BIGINT NOT NULL,
    cause               TEXT NOT NULL,
    assessment          TEXT NOT NULL,
    event_time          BIGINT NOT NULL
);
