-- Issue 16: the due list of must-visits reads retirements by status and date, at a
-- province's size too (the member table's other indexes lead with the school).
CREATE INDEX member_status_since ON member (status, status_since);

-- Retirees' association contacts (退协联系人) of a unit: whom the union calls to
-- organise the 重阳节 birthdays and visits. The phone is personal data: sealed, bound to
-- its row, shown masked; a full view is audited.
CREATE TABLE retiree_contact (
    id INTEGER PRIMARY KEY,
    org_unit_id BIGINT NOT NULL REFERENCES org_unit(id),
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    phone_enc BLOB NOT NULL,
    phone_masked TEXT NOT NULL,
    created_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX retiree_contact_unit ON retiree_contact (org_unit_id, id);
