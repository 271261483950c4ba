-- What each client request id was first sent with (`platform::request_ids`): the scope
-- of the id (organisation, method, parent, id) and the request's SHA-256. A later
-- request with the same scope and another fingerprint is refused (REQUEST_ID_REUSED).
CREATE TABLE request_fingerprints (
    scope       TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
);
