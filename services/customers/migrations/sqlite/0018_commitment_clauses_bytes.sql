-- Expand: commitment clauses as bytes (clauses_bytes, BLOB) beside the hex TEXT that
-- earlier releases wrote (clauses). Bytes rather than columns: the clauses are a
-- protobuf message, which SQL cannot take apart to convert the rows already stored.
-- This release reads clauses_bytes and writes both. The triggers fill clauses_bytes
-- when a writer sets only clauses (an earlier release's binary on this file; an update
-- of the text alone), as on PostgreSQL. Contract (the next release): drop the triggers
-- and clauses.
ALTER TABLE commitments ADD COLUMN clauses_bytes BLOB;
UPDATE commitments SET clauses_bytes = unhex(clauses);
CREATE TRIGGER commitments_clauses_bytes_insert AFTER INSERT ON commitments
    WHEN NEW.clauses_bytes IS NULL
BEGIN
    UPDATE commitments SET clauses_bytes = unhex(NEW.clauses) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER commitments_clauses_bytes_update AFTER UPDATE OF clauses ON commitments
    WHEN NEW.clauses IS NOT OLD.clauses AND NEW.clauses_bytes IS OLD.clauses_bytes
BEGIN
    UPDATE commitments SET clauses_bytes = unhex(NEW.clauses) WHERE rowid = NEW.rowid;
END;
