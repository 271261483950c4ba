-- The timer sweep walks open requests of a department oldest first, a batch at a time,
-- resuming after the last (create_time, id) it checked.
CREATE INDEX fire_requests_by_department ON fire_requests (department, create_time, id);
