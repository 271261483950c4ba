-- Customers, sites, key persons and touchpoints. Times are microseconds since the
-- Unix epoch; `version` backs the etag; `request_key` makes creates idempotent.
CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    industry      BIGINT NOT NULL,
    home_country  TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT,
    version       BIGINT NOT NULL DEFAULT 1,
    request_key   TEXT UNIQUE
);
CREATE INDEX customers_industry ON customers (industry, id);
CREATE INDEX customers_country ON customers (home_country, id);

CREATE TABLE sites (
    id            TEXT NOT NULL,
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    display_name  TEXT NOT NULL,
    country       TEXT NOT NULL,
    latitude      DOUBLE PRECISION NOT NULL,
    longitude     DOUBLE PRECISION NOT NULL,
    address       TEXT NOT NULL DEFAULT '',
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT,
    version       BIGINT NOT NULL DEFAULT 1,
    request_key   TEXT UNIQUE,
    PRIMARY KEY (customer_id, id)
);

CREATE TABLE key_persons (
    id            TEXT NOT NULL,
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    display_name  TEXT NOT NULL,
    title         TEXT NOT NULL,
    decision_role BIGINT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL DEFAULT '',
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT,
    version       BIGINT NOT NULL DEFAULT 1,
    request_key   TEXT UNIQUE,
    PRIMARY KEY (customer_id, id)
);

-- Append-only: rows are never updated or deleted. A correction is a new row whose
-- corrects_id names the original; each touchpoint is corrected at most once. Ids are
-- unique within their customer, as resource names are hierarchical.
CREATE TABLE touchpoints (
    id                    TEXT NOT NULL,
    customer_id           TEXT NOT NULL REFERENCES customers (id),
    kind                  BIGINT NOT NULL,
    key_person            TEXT NOT NULL,
    occur_time            BIGINT NOT NULL,
    summary               TEXT NOT NULL DEFAULT '',
    mood                  BIGINT NOT NULL,
    intensity             BIGINT NOT NULL CHECK (intensity BETWEEN 1 AND 5),
    strategic_anxiety     TEXT NOT NULL,
    implicit_expectations TEXT NOT NULL,
    corrects_id           TEXT,
    recorded_by           TEXT NOT NULL,
    create_time           BIGINT NOT NULL,
    request_key           TEXT UNIQUE,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, corrects_id),
    FOREIGN KEY (customer_id, corrects_id) REFERENCES touchpoints (customer_id, id)
);
CREATE INDEX touchpoints_key_person ON touchpoints (customer_id, key_person, id);
