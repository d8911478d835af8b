-- The data suite's schema (topic 9). Times are milliseconds since the epoch (UTC);
-- ids are integer primary keys, so each is the table's rowid.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('user', 'moderator', 'admin')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER
) STRICT;
-- Unique among live accounts only: a soft-deleted account's address may be reused, and
-- restoring it then conflicts instead of silently making two live owners (topic 13).
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;
-- The trash and the purge job read only deleted rows: a small partial index.
CREATE INDEX users_deleted_at ON users (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX users_created_at ON users (created_at);

-- No foreign key to users: posts outlive a purged author (reports show "unknown").
CREATE TABLE posts (
    id         INTEGER PRIMARY KEY,
    author_id  INTEGER NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    tag        TEXT    NOT NULL,
    likes      INTEGER NOT NULL DEFAULT 0 CHECK (likes >= 0),
    created_at INTEGER NOT NULL
) STRICT;
-- One index per allowlisted sort, each ending in id: the tie-break that makes keyset
-- paging exact, and the order the index already returns rows in.
CREATE INDEX posts_created ON posts (created_at, id);
CREATE INDEX posts_likes ON posts (likes, id);
CREATE INDEX posts_title ON posts (title, id);
CREATE INDEX posts_author_created ON posts (author_id, created_at, id);
CREATE INDEX posts_tag_created ON posts (tag, created_at, id);
-- Full-text index over title and body, its content read from posts (no second copy).
CREATE VIRTUAL TABLE posts_fts USING fts5 (
    title, body, content = 'posts', content_rowid = 'id'
);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    post_id    INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    parent_id  INTEGER REFERENCES comments (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    depth      INTEGER NOT NULL CHECK (depth >= 0),
    created_at INTEGER NOT NULL
) STRICT;
-- Top-level comments of a post, and the replies of a comment, both in id order.
CREATE INDEX comments_post_parent ON comments (post_id, parent_id, id);
CREATE INDEX comments_parent ON comments (parent_id, id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
) STRICT;
CREATE INDEX notifications_user_newest ON notifications (user_id, created_at DESC, id DESC);
-- The unread badge counts only unread rows: a partial index stays small.
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
    currency    TEXT    NOT NULL CHECK (length(currency) = 3),
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'paid', 'refunded')),
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX orders_user_newest ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_status_created ON orders (status, created_at);
