-- Tallies per key person too, so each key person's monthly moods on a board come from
-- the aggregates (a corrected touchpoint counts once, as its correction, as everywhere
-- else) and read a bounded number of rows; the customer's own figures add the key
-- persons up. `key_person` is the touchpoint's, as written.
DROP TRIGGER touchpoints_tally;
DROP TRIGGER touchpoints_untally_corrected;
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

CREATE TRIGGER touchpoints_tally AFTER INSERT ON touchpoints
BEGIN
    INSERT INTO touchpoint_tallies (customer_id, month, key_person, mood, intensity, n)
    SELECT NEW.customer_id, strftime('%Y-%m', ((NEW.occur_time) - (((NEW.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch'), NEW.key_person, NEW.mood, NEW.intensity, 1
    WHERE true
    ON CONFLICT (customer_id, month, key_person, mood, intensity) DO UPDATE SET n = n + excluded.n;
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
    INSERT INTO touchpoint_tallies (customer_id, month, key_person, mood, intensity, n)
    SELECT o.customer_id, strftime('%Y-%m', ((o.occur_time) - (((o.occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch'), o.key_person, o.mood, o.intensity, -1
    FROM touchpoints o WHERE o.customer_id = NEW.customer_id AND o.id = NEW.corrects_id
    ON CONFLICT (customer_id, month, key_person, mood, intensity) DO UPDATE SET n = n + excluded.n;
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

INSERT INTO touchpoint_tallies (customer_id, month, key_person, mood, intensity, n)
SELECT customer_id, strftime('%Y-%m', ((occur_time) - (((occur_time) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch'), key_person, mood, intensity, COUNT(*)
FROM touchpoints t
WHERE NOT EXISTS (SELECT 1 FROM touchpoints c WHERE c.customer_id = t.customer_id AND c.corrects_id = t.id)
GROUP BY 1, 2, 3, 4, 5;
