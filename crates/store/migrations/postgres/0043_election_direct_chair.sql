-- Issue 22: when the election rule set has the member (delegate) assembly elect the chair
-- directly, the assembly's result names the chair (an elected candidate) and the votes of
-- the chair's own ballot; the approval of the result seats that member as chair.
ALTER TABLE election ADD COLUMN chair_member_id BIGINT REFERENCES member(id);
ALTER TABLE election ADD COLUMN chair_votes BIGINT;
