-- Expand: protobuf bodies as bytes (body_bytes, BYTEA) beside the hex TEXT the first
-- release wrote (body). This release reads body_bytes and writes both; the previous
-- release's pods, still running during the rollout, read and write body only (through
-- the views of 0001, whose column lists were fixed when they were made). The trigger
-- keeps body_bytes equal to what such a pod writes: on an insert without bytes, and
-- on an update that changed the text but not the bytes. Contract (the next release):
-- drop the trigger, the function, body, and the views of 0001; body_bytes NOT NULL.
CREATE FUNCTION quality_body_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.body_bytes IS NULL THEN
            NEW.body_bytes := decode(NEW.body, 'hex');
        END IF;
    ELSIF NEW.body IS DISTINCT FROM OLD.body
        AND NEW.body_bytes IS NOT DISTINCT FROM OLD.body_bytes THEN
        NEW.body_bytes := decode(NEW.body, 'hex');
    END IF;
    RETURN NEW;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['quality_standard_versions', 'quality_reports',
        'quality_disputes', 'quality_templates', 'quality_experiments']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN body_bytes BYTEA', t);
        EXECUTE format('UPDATE %I SET body_bytes = decode(body, ''hex'')', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OF body ON %I '
            'FOR EACH ROW EXECUTE FUNCTION quality_body_bytes()', t || '_body_bytes', t);
    END LOOP;
END $$;
