-- Expand: commitment clauses as bytes (clauses_bytes, BYTEA) beside the hex TEXT that
-- earlier releases wrote (clauses). Bytes rather than columns: the clauses are a
-- protobuf message, which SQL cannot take apart to convert the rows already stored.
-- This release reads clauses_bytes and writes both; the previous release's pods, still
-- running during the rollout, read and write clauses only, and the trigger keeps
-- clauses_bytes equal to what such a pod writes (an insert without bytes, an update of
-- the text alone). Contract (the next release): drop the trigger, its function and
-- clauses; clauses_bytes NOT NULL.
ALTER TABLE commitments ADD COLUMN clauses_bytes BYTEA;
UPDATE commitments SET clauses_bytes = decode(clauses, 'hex');

CREATE FUNCTION commitments_clauses_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.clauses_bytes IS NULL THEN
            NEW.clauses_bytes := decode(NEW.clauses, 'hex');
        END IF;
    ELSIF NEW.clauses IS DISTINCT FROM OLD.clauses
        AND NEW.clauses_bytes IS NOT DISTINCT FROM OLD.clauses_bytes THEN
        NEW.clauses_bytes := decode(NEW.clauses, 'hex');
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER commitments_clauses_bytes BEFORE INSERT OR UPDATE OF clauses ON commitments
    FOR EACH ROW EXECUTE FUNCTION commitments_clauses_bytes();
