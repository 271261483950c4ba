-- The end of a fire request's parts reservation. A fulfilment or a cancellation first
-- claims the settlement here ('dispatch' or 'release', a conditional UPDATE, so one
-- outcome wins across replicas), then asks the supply-chain service (idempotent), then
-- records the new state. A retry after a crash between the two services' writes finds
-- its claim and finishes it; the other outcome is refused.
ALTER TABLE fire_requests ADD COLUMN settlement TEXT NOT NULL DEFAULT '';
