-- Issue 10: rules as the statutes say.
-- A union election (工会选举) names the office it fills; NULL is a vote of the staff congress.
ALTER TABLE poll ADD COLUMN union_office TEXT CHECK (union_office IN ('chair', 'vice_chair', 'committee'));
-- Only union members (会员) vote in union elections; staff are members unless recorded otherwise.
ALTER TABLE member ADD COLUMN union_member BOOLEAN NOT NULL DEFAULT TRUE;
-- A school that held no meeting with a quorum in a school year may carry a justified
-- exemption: the reason, who recorded it and when. One per school and school year.
CREATE TABLE congress_exemption (
    id INTEGER PRIMARY KEY,
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    school_year BIGINT NOT NULL,
    reason TEXT NOT NULL,
    recorded_at DATETIME NOT NULL,
    recorded_by BIGINT REFERENCES account(id),
    recorded_by_label TEXT NOT NULL,
    UNIQUE (school_union_id, school_year)
);
