-- What the trust dashboard and the attention ranking read, kept by the database in the
-- transaction of each write (triggers), so a board or a ranking page reads a bounded
-- number of rows however much history there is. A correction replaces the touchpoint
-- it corrects: the original's counts are taken back, the correction's added. Months
-- (`YYYY-MM`) and quarters (`YYYY-Qn`) are UTC, from microseconds floored to seconds.

-- Touchpoints per customer, month, mood and intensity (the mood trend and sentiment).
CREATE TABLE touchpoint_tallies (
    customer_id  TEXT NOT NULL,
    month        TEXT NOT NULL,
    mood         BIGINT NOT NULL,
    intensity    BIGINT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (customer_id, month, mood, intensity)
);

-- How often each strategic anxiety (topic 1) and implicit expectation (topic 2) was
-- heard per customer and quarter; the index reads the top ones in order.
CREATE TABLE touchpoint_mentions (
    customer_id  TEXT NOT NULL,
    quarter      TEXT NOT NULL,
    topic        BIGINT NOT NULL,
    text         TEXT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (customer_id, quarter, topic, text)
);
CREATE INDEX touchpoint_mentions_top ON touchpoint_mentions (customer_id, quarter, topic, n DESC, text);

-- One row per customer and quarter for the ranking: `version` is bumped by every write
-- that changes an input of the quarter's trust index (touchpoints, incidents,
-- commitments); the ranking rescores rows whose `scored_version` lags, then pages
-- through (quarter, attention DESC, customer_id).
CREATE TABLE customer_quarters (
    customer_id     TEXT NOT NULL,
    quarter         TEXT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 1,
    scored_version  BIGINT NOT NULL DEFAULT 0,
    attention       DOUBLE PRECISION NOT NULL DEFAULT 0,
    trust_index     DOUBLE PRECISION NOT NULL DEFAULT 0,
    reasons         TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (customer_id, quarter)
);
CREATE INDEX customer_quarters_rank ON customer_quarters (quarter, attention DESC, customer_id);
CREATE INDEX customer_quarters_stale ON customer_quarters (quarter, customer_id)
    WHERE version <> scored_version;

-- Quarters the ranking has been asked for: every customer has a row in each (new
-- customers get theirs when created).
CREATE TABLE ranked_quarters (
    quarter  TEXT PRIMARY KEY
);

CREATE TRIGGER touchpoints_tally AFTER INSERT ON touchpoints
BEGIN
    INSERT INTO touchpoint_tallies (customer_id, month, mood, intensity, n)
    SELECT NEW.customer_id, strftime('%Y-%m', ((NEW.occur_time) - (((NEW.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch'), NEW.mood, NEW.intensity, 1
    WHERE true
    ON CONFLICT (customer_id, month, mood, intensity) DO UPDATE SET n = n + excluded.n;
    INSERT INTO touchpoint_mentions (customer_id, quarter, topic, text, n)
    SELECT NEW.customer_id, (strftime('%Y', ((NEW.occur_time) - (((NEW.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((NEW.occur_time) - (((NEW.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3)), 1, trim(NEW.strategic_anxiety), 1
    WHERE true
    ON CONFLICT (customer_id, quarter, topic, text) DO UPDATE SET n = n + excluded.n;
    INSERT INTO touchpoint_mentions (customer_id, quarter, topic, text, n)
    SELECT NEW.customer_id, (strftime('%Y', ((NEW.occur_time) - (((NEW.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((NEW.occur_time) - (((NEW.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3)), 2, trim(value), 1 * COUNT(*)
    FROM json_each(NEW.implicit_expectations) GROUP BY trim(value)
    ON CONFLICT (customer_id, quarter, topic, text) DO UPDATE SET n = n + excluded.n;
    INSERT INTO customer_quarters (customer_id, quarter)
    SELECT NEW.customer_id, (strftime('%Y', ((NEW.occur_time) - (((NEW.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((NEW.occur_time) - (((NEW.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3))
    WHERE true
    ON CONFLICT (customer_id, quarter) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER touchpoints_untally_corrected AFTER INSERT ON touchpoints
WHEN NEW.corrects_id IS NOT NULL
BEGIN
    INSERT INTO touchpoint_tallies (customer_id, month, mood, intensity, n)
    SELECT o.customer_id, strftime('%Y-%m', ((o.occur_time) - (((o.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch'), o.mood, o.intensity, -1
    FROM touchpoints o WHERE o.customer_id = NEW.customer_id AND o.id = NEW.corrects_id
    ON CONFLICT (customer_id, month, mood, intensity) DO UPDATE SET n = n + excluded.n;
    INSERT INTO touchpoint_mentions (customer_id, quarter, topic, text, n)
    SELECT o.customer_id, (strftime('%Y', ((o.occur_time) - (((o.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((o.occur_time) - (((o.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3)), 1, trim(o.strategic_anxiety), -1
    FROM touchpoints o WHERE o.customer_id = NEW.customer_id AND o.id = NEW.corrects_id
    ON CONFLICT (customer_id, quarter, topic, text) DO UPDATE SET n = n + excluded.n;
    INSERT INTO touchpoint_mentions (customer_id, quarter, topic, text, n)
    SELECT o.customer_id, (strftime('%Y', ((o.occur_time) - (((o.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((o.occur_time) - (((o.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3)), 2, trim(value), -1 * COUNT(*)
    FROM touchpoints o, json_each(o.implicit_expectations) WHERE o.customer_id = NEW.customer_id AND o.id = NEW.corrects_id GROUP BY trim(value)
    ON CONFLICT (customer_id, quarter, topic, text) DO UPDATE SET n = n + excluded.n;
    INSERT INTO customer_quarters (customer_id, quarter)
    SELECT o.customer_id, (strftime('%Y', ((o.occur_time) - (((o.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((o.occur_time) - (((o.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3))
    FROM touchpoints o WHERE o.customer_id = NEW.customer_id AND o.id = NEW.corrects_id
    ON CONFLICT (customer_id, quarter) DO UPDATE SET version = version + 1;
END;

-- An incident's severity, state and response times feed its quarter's index.
CREATE TRIGGER incidents_rescore_insert AFTER INSERT ON incidents
BEGIN
    INSERT INTO customer_quarters (customer_id, quarter)
    SELECT NEW.customer_id, (strftime('%Y', ((NEW.detect_time) - (((NEW.detect_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((NEW.detect_time) - (((NEW.detect_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3))
    WHERE true
    ON CONFLICT (customer_id, quarter) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER incidents_rescore_update AFTER UPDATE ON incidents
WHEN OLD.severity IS NOT NEW.severity OR OLD.state IS NOT NEW.state
    OR OLD.detect_time IS NOT NEW.detect_time
    OR OLD.acknowledge_time IS NOT NEW.acknowledge_time
    OR OLD.close_time IS NOT NEW.close_time
BEGIN
    INSERT INTO customer_quarters (customer_id, quarter)
    SELECT NEW.customer_id, (strftime('%Y', ((NEW.detect_time) - (((NEW.detect_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((NEW.detect_time) - (((NEW.detect_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3))
    WHERE true
    ON CONFLICT (customer_id, quarter) DO UPDATE SET version = version + 1;
    UPDATE customer_quarters SET version = version + 1
    WHERE customer_id = OLD.customer_id AND quarter = (strftime('%Y', ((OLD.detect_time) - (((OLD.detect_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((OLD.detect_time) - (((OLD.detect_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3))
      AND quarter <> (strftime('%Y', ((NEW.detect_time) - (((NEW.detect_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((NEW.detect_time) - (((NEW.detect_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3));
END;

-- Commitment counts are the customer's current ones: every quarter of it is rescored.
CREATE TRIGGER commitments_rescore_insert AFTER INSERT ON commitments
BEGIN
    UPDATE customer_quarters SET version = version + 1 WHERE customer_id = NEW.customer_id;
END;
CREATE TRIGGER commitments_rescore_update AFTER UPDATE OF status ON commitments
WHEN OLD.status IS NOT NEW.status
BEGIN
    UPDATE customer_quarters SET version = version + 1 WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customers_join_rankings AFTER INSERT ON customers
BEGIN
    INSERT INTO customer_quarters (customer_id, quarter)
    SELECT NEW.id, quarter FROM ranked_quarters WHERE true
    ON CONFLICT (customer_id, quarter) DO NOTHING;
END;

-- What was recorded before this migration.
INSERT INTO touchpoint_tallies (customer_id, month, mood, intensity, n)
SELECT customer_id, strftime('%Y-%m', ((occur_time) - (((occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch'), mood, intensity, COUNT(*)
FROM touchpoints t
WHERE NOT EXISTS (SELECT 1 FROM touchpoints c WHERE c.customer_id = t.customer_id AND c.corrects_id = t.id)
GROUP BY 1, 2, 3, 4;
INSERT INTO touchpoint_mentions (customer_id, quarter, topic, text, n)
SELECT customer_id, quarter, topic, text, COUNT(*) FROM (
    SELECT customer_id, (strftime('%Y', ((occur_time) - (((occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((occur_time) - (((occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3)) AS quarter, 1 AS topic, trim(strategic_anxiety) AS text
    FROM touchpoints t
    WHERE NOT EXISTS (SELECT 1 FROM touchpoints c WHERE c.customer_id = t.customer_id AND c.corrects_id = t.id)
    UNION ALL
    SELECT customer_id, (strftime('%Y', ((t.occur_time) - (((t.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((t.occur_time) - (((t.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3)), 2, trim(e.value)
    FROM touchpoints t, json_each(t.implicit_expectations) AS e
    WHERE NOT EXISTS (SELECT 1 FROM touchpoints c WHERE c.customer_id = t.customer_id AND c.corrects_id = t.id)
) AS m GROUP BY 1, 2, 3, 4;
INSERT INTO customer_quarters (customer_id, quarter)
SELECT customer_id, (strftime('%Y', ((occur_time) - (((occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((occur_time) - (((occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3)) FROM touchpoints
UNION
SELECT customer_id, (strftime('%Y', ((detect_time) - (((detect_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') || '-Q' || ((CAST(strftime('%m', ((detect_time) - (((detect_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch') AS INTEGER) + 2) / 3)) FROM incidents;
