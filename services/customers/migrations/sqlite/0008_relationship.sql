-- The end of a fire request's parts reservation. A fulfilment or a cancellation first
-- claims the settlement here ('dispatch' or 'release', a conditional UPDATE, so one
-- outcome wins across replicas), then asks the supply-chain service (idempotent), then
-- records the new state. A retry after a crash between the two services' writes finds
-- its claim and finishes it; the other outcome is refused.
ALTER TABLE fire_requests ADD COLUMN settlement TEXT NOT NULL DEFAULT '';

-- Commitments in the present tense: what was promised at creation (the best depot's
-- place in words, and whether it made the window) and what holds now, re-assessed by
-- the supply-chain service with every risk event for the site (depot, place, arrival
-- in microseconds, within the window, when). `assess_time` 0: nothing since creation.
ALTER TABLE commitment_coverage ADD COLUMN promised_place TEXT NOT NULL DEFAULT '';
ALTER TABLE commitment_coverage ADD COLUMN promised_within BIGINT NOT NULL DEFAULT 0;
ALTER TABLE commitment_coverage ADD COLUMN current_depot TEXT NOT NULL DEFAULT '';
ALTER TABLE commitment_coverage ADD COLUMN current_place TEXT NOT NULL DEFAULT '';
ALTER TABLE commitment_coverage ADD COLUMN current_arrival BIGINT;
ALTER TABLE commitment_coverage ADD COLUMN current_within BIGINT NOT NULL DEFAULT 0;
ALTER TABLE commitment_coverage ADD COLUMN assess_time BIGINT NOT NULL DEFAULT 0;
-- The same for a risk event that arrived before its commitment was stored.
ALTER TABLE commitment_risk_pending ADD COLUMN best_depot TEXT NOT NULL DEFAULT '';
ALTER TABLE commitment_risk_pending ADD COLUMN best_place TEXT NOT NULL DEFAULT '';
ALTER TABLE commitment_risk_pending ADD COLUMN best_arrival BIGINT;
ALTER TABLE commitment_risk_pending ADD COLUMN best_within BIGINT NOT NULL DEFAULT 0;
ALTER TABLE commitment_risk_pending ADD COLUMN event_time BIGINT NOT NULL DEFAULT 0;
