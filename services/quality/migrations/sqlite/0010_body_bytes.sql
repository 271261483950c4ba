-- Expand: protobuf bodies as bytes (body_bytes, BLOB) beside the hex TEXT the first
-- release wrote (body). This release reads body_bytes and writes both. The triggers
-- fill body_bytes when a writer sets only body (rows an earlier release's file brings,
-- copied in by schema::open; an update of the text alone), as on PostgreSQL.
-- Contract (the next release): drop the triggers and body.

ALTER TABLE quality_standard_versions ADD COLUMN body_bytes BLOB;
UPDATE quality_standard_versions SET body_bytes = unhex(body);
CREATE TRIGGER quality_standard_versions_body_bytes_insert AFTER INSERT ON quality_standard_versions
    WHEN NEW.body_bytes IS NULL
BEGIN
    UPDATE quality_standard_versions SET body_bytes = unhex(NEW.body) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER quality_standard_versions_body_bytes_update AFTER UPDATE OF body ON quality_standard_versions
    WHEN NEW.body IS NOT OLD.body AND NEW.body_bytes IS OLD.body_bytes
BEGIN
    UPDATE quality_standard_versions SET body_bytes = unhex(NEW.body) WHERE rowid = NEW.rowid;
END;

ALTER TABLE quality_reports ADD COLUMN body_bytes BLOB;
UPDATE quality_reports SET body_bytes = unhex(body);
CREATE TRIGGER quality_reports_body_bytes_insert AFTER INSERT ON quality_reports
    WHEN NEW.body_bytes IS NULL
BEGIN
    UPDATE quality_reports SET body_bytes = unhex(NEW.body) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER quality_reports_body_bytes_update AFTER UPDATE OF body ON quality_reports
    WHEN NEW.body IS NOT OLD.body AND NEW.body_bytes IS OLD.body_bytes
BEGIN
    UPDATE quality_reports SET body_bytes = unhex(NEW.body) WHERE rowid = NEW.rowid;
END;

ALTER TABLE quality_disputes ADD COLUMN body_bytes BLOB;
UPDATE quality_disputes SET body_bytes = unhex(body);
CREATE TRIGGER quality_disputes_body_bytes_insert AFTER INSERT ON quality_disputes
    WHEN NEW.body_bytes IS NULL
BEGIN
    UPDATE quality_disputes SET body_bytes = unhex(NEW.body) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER quality_disputes_body_bytes_update AFTER UPDATE OF body ON quality_disputes
    WHEN NEW.body IS NOT OLD.body AND NEW.body_bytes IS OLD.body_bytes
BEGIN
    UPDATE quality_disputes SET body_bytes = unhex(NEW.body) WHERE rowid = NEW.rowid;
END;

ALTER TABLE quality_templates ADD COLUMN body_bytes BLOB;
UPDATE quality_templates SET body_bytes = unhex(body);
CREATE TRIGGER quality_templates_body_bytes_insert AFTER INSERT ON quality_templates
    WHEN NEW.body_bytes IS NULL
BEGIN
    UPDATE quality_templates SET body_bytes = unhex(NEW.body) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER quality_templates_body_bytes_update AFTER UPDATE OF body ON quality_templates
    WHEN NEW.body IS NOT OLD.body AND NEW.body_bytes IS OLD.body_bytes
BEGIN
    UPDATE quality_templates SET body_bytes = unhex(NEW.body) WHERE rowid = NEW.rowid;
END;

ALTER TABLE quality_experiments ADD COLUMN body_bytes BLOB;
UPDATE quality_experiments SET body_bytes = unhex(body);
CREATE TRIGGER quality_experiments_body_bytes_insert AFTER INSERT ON quality_experiments
    WHEN NEW.body_bytes IS NULL
BEGIN
    UPDATE quality_experiments SET body_bytes = unhex(NEW.body) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER quality_experiments_body_bytes_update AFTER UPDATE OF body ON quality_experiments
    WHEN NEW.body IS NOT OLD.body AND NEW.body_bytes IS OLD.body_bytes
BEGIN
    UPDATE quality_experiments SET body_bytes = unhex(NEW.body) WHERE rowid = NEW.rowid;
END;
