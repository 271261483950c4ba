-- PostgreSQL's statement-level tally trigger became one statement (its 0019). SQLite's
-- triggers are per row, in the writer's own process, with no round trip to save: they
-- stay as they are. This file keeps the two back ends' migrations numbered alike.
SELECT 1;
