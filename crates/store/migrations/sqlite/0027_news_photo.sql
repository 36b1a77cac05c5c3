-- Issue 23: photos of news items. Only the re-encoded image is stored (resized to a
-- bounded size, which drops every metadata block of the upload, location data included);
-- the uploaded file itself is never kept.
CREATE TABLE news_photo (
    id INTEGER PRIMARY KEY,
    news_item_id BIGINT NOT NULL REFERENCES news_item(id),
    position BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    bytes BLOB NOT NULL,
    created_at DATETIME NOT NULL,
    UNIQUE (news_item_id, position)
);
