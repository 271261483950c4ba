-- Before quality had a crate of its own, its tables lived beside the CRM's, in the
-- customers service's default schema (public), made by that service's migrations 3
-- and 9. They move here with their rows, indexes and constraints (SET SCHEMA rewrites
-- nothing); on a new database there is nothing to move and 0003 creates them.
-- During a rolling upgrade the previous release's pods still name them unqualified in
-- public: a view of each moved table stays there (simple views are updatable, ON
-- CONFLICT included) until a later release drops them (expand, then contract).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['quality_standards', 'quality_standard_versions',
        'quality_reports', 'quality_disputes', 'quality_templates',
        'quality_experiments', 'quality_outcomes']
    LOOP
        IF to_regclass(format('public.%I', t)) IS NOT NULL THEN
            EXECUTE format('ALTER TABLE public.%I SET SCHEMA quality', t);
            EXECUTE format('CREATE VIEW public.%I AS SELECT * FROM quality.%I', t, t);
        END IF;
    END LOOP;
END $$;
