-- Tallies per key person too, so each key person's monthly moods on a board come from
-- the aggregates (a corrected touchpoint counts once, as its correction, as everywhere
-- else) and read a bounded number of rows; the customer's own figures add the key
-- persons up. `key_person` is the touchpoint's, as written. The trigger stays; its
-- function is replaced.
DROP TABLE touchpoint_tallies;
CREATE TABLE touchpoint_tallies (
    customer_id  TEXT NOT NULL,
    month        TEXT NOT NULL,
    key_person   TEXT NOT NULL,
    mood         BIGINT NOT NULL,
    intensity    BIGINT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (customer_id, month, key_person, mood, intensity)
);

CREATE OR REPLACE FUNCTION touchpoints_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH d AS (
        SELECT customer_id, occur_time, key_person, mood, intensity, 1 AS s FROM new_rows
        UNION ALL
        SELECT o.customer_id, o.occur_time, o.key_person, o.mood, o.intensity, -1
        FROM new_rows c JOIN touchpoints o ON o.customer_id = c.customer_id AND o.id = c.corrects_id
    )
    INSERT INTO touchpoint_tallies AS x (customer_id, month, key_person, mood, intensity, n)
    SELECT customer_id, symbolon_month(occur_time), key_person, mood, intensity, SUM(s)
    FROM d GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (customer_id, month, key_person, mood, intensity) DO UPDATE SET n = x.n + excluded.n;

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

INSERT INTO touchpoint_tallies (customer_id, month, key_person, mood, intensity, n)
SELECT customer_id, symbolon_month(occur_time), key_person, mood, intensity, COUNT(*)
FROM touchpoints t
WHERE NOT EXISTS (SELECT 1 FROM touchpoints c WHERE c.customer_id = t.customer_id AND c.corrects_id = t.id)
GROUP BY 1, 2, 3, 4, 5;
