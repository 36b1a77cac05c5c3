-- The per-school counts of active members (dues payers, quorums, the due lists) filter by
-- school and status. Without this index SQLite chose `member_status_since` (0039) for them
-- and read every active member of the province for each school: the funds demo at 100,000
-- members took minutes. With both columns the school's own rows are found directly.
CREATE INDEX member_school_status ON member (school_union_id, status);
