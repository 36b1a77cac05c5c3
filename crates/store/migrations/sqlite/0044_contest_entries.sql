-- Issue 18: the files of contest entries, and the winners forwarded to the next level.
-- Issue 18: winners forwarded to the next level (推荐上报) and the upper level's result
-- recorded back on the entry: the day it was forwarded, and the upper level's prize — the
-- level of the unit that gave it (city, province…), the name of its contest, the tier and
-- the day. The honours register reads these as honours of that level.
ALTER TABLE contest_entry ADD COLUMN forwarded_on DATE;
ALTER TABLE contest_entry ADD COLUMN upper_level TEXT CHECK (upper_level IN ('province', 'city', 'district', 'county', 'area', 'school'));
ALTER TABLE contest_entry ADD COLUMN upper_name TEXT;
ALTER TABLE contest_entry ADD COLUMN upper_tier TEXT CHECK (upper_tier IN ('first', 'second', 'third', 'merit'));
ALTER TABLE contest_entry ADD COLUMN upper_on DATE;
CREATE INDEX contest_entry_upper ON contest_entry (contest_id, upper_tier);

-- The files of an entry (the courseware, the paper, a photograph of the calligraphy):
-- the type proven by the content (store::funds::receipts::sniff), the size limited, the
-- body stored like a receipt. Judges download them under the entry's code only.
CREATE TABLE contest_entry_file (
    id INTEGER PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES contest_entry(id),
    contest_id BIGINT NOT NULL REFERENCES contest(id),
    school_union_id BIGINT NOT NULL REFERENCES org_unit(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    body BLOB NOT NULL,
    uploaded_by_label TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX contest_entry_file_entry ON contest_entry_file (entry_id);
