-- What the trust dashboard and the attention ranking read, kept by the database in the
-- transaction of each write (triggers), so a board or a ranking page reads a bounded
-- number of rows however much history there is. A correction replaces the touchpoint
-- it corrects: the original's counts are taken back, the correction's added.

-- `YYYY-MM` and `YYYY-Qn` (UTC) of a time in microseconds, as the service computes them.
CREATE FUNCTION symbolon_month(t BIGINT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(to_timestamp(floor(t / 1000000.0)::double precision) AT TIME ZONE 'UTC', 'YYYY-MM')
$$;
CREATE FUNCTION symbolon_quarter(t BIGINT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(to_timestamp(floor(t / 1000000.0)::double precision) AT TIME ZONE 'UTC', 'YYYY"-Q"Q')
$$;

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
-- heard per customer and quarter; the index reads the top ones in order. Texts compare
-- byte-wise, as the service sorts them.
CREATE TABLE touchpoint_mentions (
    customer_id  TEXT NOT NULL,
    quarter      TEXT NOT NULL,
    topic        BIGINT NOT NULL,
    text         TEXT COLLATE "C" NOT NULL,
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

-- Per statement, not per row: a group-committed batch of touchpoints costs three
-- grouped upserts.
CREATE FUNCTION touchpoints_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH d AS (
        SELECT customer_id, occur_time, mood, intensity, 1 AS s FROM new_rows
        UNION ALL
        SELECT o.customer_id, o.occur_time, o.mood, o.intensity, -1
        FROM new_rows c JOIN touchpoints o ON o.customer_id = c.customer_id AND o.id = c.corrects_id
    )
    INSERT INTO touchpoint_tallies AS x (customer_id, month, mood, intensity, n)
    SELECT customer_id, symbolon_month(occur_time), mood, intensity, SUM(s)
    FROM d GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (customer_id, month, mood, intensity) DO UPDATE SET n = x.n + excluded.n;

    WITH d AS (
        SELECT customer_id, occur_time, strategic_anxiety, implicit_expectations, 1 AS s FROM new_rows
        UNION ALL
        SELECT o.customer_id, o.occur_time, o.strategic_anxiety, o.implicit_expectations, -1
        FROM new_rows c JOIN touchpoints o ON o.customer_id = c.customer_id AND o.id = c.corrects_id
    ), m AS (
        SELECT customer_id, symbolon_quarter(occur_time) AS quarter, 1 AS topic,
               btrim(strategic_anxiety) AS text, s FROM d
        UNION ALL
        SELECT customer_id, symbolon_quarter(occur_time), 2, btrim(e), s
        FROM d, jsonb_array_elements_text(implicit_expectations::jsonb) AS e
    )
    INSERT INTO touchpoint_mentions AS x (customer_id, quarter, topic, text, n)
    SELECT customer_id, quarter, topic, text, SUM(s)
    FROM m GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (customer_id, quarter, topic, text) DO UPDATE SET n = x.n + excluded.n;

    INSERT INTO customer_quarters AS x (customer_id, quarter)
    SELECT DISTINCT customer_id, symbolon_quarter(occur_time) FROM (
        SELECT customer_id, occur_time FROM new_rows
        UNION ALL
        SELECT o.customer_id, o.occur_time
        FROM new_rows c JOIN touchpoints o ON o.customer_id = c.customer_id AND o.id = c.corrects_id
    ) AS q ORDER BY 1, 2
    ON CONFLICT (customer_id, quarter) DO UPDATE SET version = x.version + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER touchpoints_tally AFTER INSERT ON touchpoints
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION touchpoints_tally();

-- An incident's severity, state and response times feed its quarter's index.
CREATE FUNCTION incidents_rescore() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_quarters AS x (customer_id, quarter)
    VALUES (NEW.customer_id, symbolon_quarter(NEW.detect_time))
    ON CONFLICT (customer_id, quarter) DO UPDATE SET version = x.version + 1;
    IF TG_OP = 'UPDATE' AND symbolon_quarter(OLD.detect_time) <> symbolon_quarter(NEW.detect_time) THEN
        UPDATE customer_quarters SET version = version + 1
        WHERE customer_id = OLD.customer_id AND quarter = symbolon_quarter(OLD.detect_time);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incidents_rescore_insert AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_rescore();
CREATE TRIGGER incidents_rescore_update AFTER UPDATE ON incidents FOR EACH ROW
    WHEN (OLD.severity IS DISTINCT FROM NEW.severity OR OLD.state IS DISTINCT FROM NEW.state
          OR OLD.detect_time IS DISTINCT FROM NEW.detect_time
          OR OLD.acknowledge_time IS DISTINCT FROM NEW.acknowledge_time
          OR OLD.close_time IS DISTINCT FROM NEW.close_time)
    EXECUTE FUNCTION incidents_rescore();

-- Commitment counts are the customer's current ones: every quarter of it is rescored.
CREATE FUNCTION commitments_rescore() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE customer_quarters SET version = version + 1 WHERE customer_id = NEW.customer_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER commitments_rescore_insert AFTER INSERT ON commitments
    FOR EACH ROW EXECUTE FUNCTION commitments_rescore();
CREATE TRIGGER commitments_rescore_update AFTER UPDATE ON commitments FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION commitments_rescore();

CREATE FUNCTION customers_join_rankings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_quarters (customer_id, quarter)
    SELECT NEW.id, quarter FROM ranked_quarters
    ON CONFLICT (customer_id, quarter) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER customers_join_rankings AFTER INSERT ON customers
    FOR EACH ROW EXECUTE FUNCTION customers_join_rankings();

-- What was recorded before this migration.
INSERT INTO touchpoint_tallies (customer_id, month, mood, intensity, n)
SELECT customer_id, symbolon_month(occur_time), mood, intensity, COUNT(*)
FROM touchpoints t
WHERE NOT EXISTS (SELECT 1 FROM touchpoints c WHERE c.customer_id = t.customer_id AND c.corrects_id = t.id)
GROUP BY 1, 2, 3, 4;
INSERT INTO touchpoint_mentions (customer_id, quarter, topic, text, n)
SELECT customer_id, quarter, topic, text, COUNT(*) FROM (
    SELECT customer_id, symbolon_quarter(occur_time) AS quarter, 1 AS topic, btrim(strategic_anxiety) AS text
    FROM touchpoints t
    WHERE NOT EXISTS (SELECT 1 FROM touchpoints c WHERE c.customer_id = t.customer_id AND c.corrects_id = t.id)
    UNION ALL
    SELECT customer_id, symbolon_quarter(occur_time), 2, btrim(e)
    FROM touchpoints t, jsonb_array_elements_text(t.implicit_expectations::jsonb) AS e
    WHERE NOT EXISTS (SELECT 1 FROM touchpoints c WHERE c.customer_id = t.customer_id AND c.corrects_id = t.id)
) AS m GROUP BY 1, 2, 3, 4;
INSERT INTO customer_quarters (customer_id, quarter)
SELECT customer_id, symbolon_quarter(occur_time) FROM touchpoints
UNION
SELECT customer_id, symbolon_quarter(detect_time) FROM incidents;
