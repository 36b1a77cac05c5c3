-- Issue 16: seasonal campaigns (送温暖, 金秋助学): a period and a budget held by a union or
-- a school; its beneficiaries are relief grants on open hardship files, carried through the
-- same two approvals and paid from the same fund. One grant per file and campaign.

CREATE TABLE campaign (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    kind TEXT NOT NULL CHECK (kind IN ('warmth', 'study_aid', 'other')),
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    budget_fen BIGINT NOT NULL CHECK (budget_fen >= 0),
    created_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX campaign_unit ON campaign (org_unit_id, starts_on);

ALTER TABLE relief_grant ADD COLUMN campaign_id BIGINT REFERENCES campaign(id);
CREATE UNIQUE INDEX relief_grant_campaign_file ON relief_grant (campaign_id, file_id) WHERE campaign_id IS NOT NULL;
