-- Issue 22: the member assembly votes through voting's polls. A poll may belong to an
-- election (each round of it: a further round points at the round before through
-- parent_id); the election reads its result from the published rounds and decides it
-- under its own rule set (union members with the right to vote).
ALTER TABLE poll ADD COLUMN election_id BIGINT REFERENCES election(id);
CREATE INDEX poll_election ON poll (election_id, round);
