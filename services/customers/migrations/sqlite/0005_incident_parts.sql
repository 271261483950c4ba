-- Parts a fire request reserves through the supply-chain service: the requested lines
-- as JSON (`[{"part_number": "...", "quantity": n}]`) and the reservation's name
-- (empty when no parts were asked for).
ALTER TABLE fire_requests ADD COLUMN parts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE fire_requests ADD COLUMN reservation TEXT NOT NULL DEFAULT '';
