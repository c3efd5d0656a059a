-- 002-events.sql: change events, the feeds' bookkeeping, dead letters.

-- Every change event vigild recorded, normalised, with the raw record.
-- event_id is the provider's id: storing the same event twice adds nothing.
CREATE TABLE events (
	id		INTEGER PRIMARY KEY,
	event_id	TEXT NOT NULL UNIQUE,
	provider	TEXT NOT NULL,
	kind		TEXT NOT NULL,
	time		INTEGER,		-- the event's own time
	received_at	INTEGER NOT NULL,	-- when vigild received it
	feed		TEXT,
	account		TEXT,
	region		TEXT,
	service		TEXT,
	source		TEXT,
	name		TEXT,
	read_only	INTEGER NOT NULL,
	error_code	TEXT,
	actor_arn	TEXT,
	actor_type	TEXT,
	actor_principal	TEXT,
	source_ip	TEXT,
	user_agent	TEXT,
	resource_type	TEXT,
	resource_id	TEXT,
	raw		TEXT NOT NULL
) STRICT;
CREATE INDEX events_time ON events (time);
CREATE INDEX events_account_time ON events (account, time);
CREATE INDEX events_name_time ON events (name, time);
CREATE INDEX events_actor_time ON events (actor_arn, time);

-- Feed messages whose effects have been committed: a redelivered one
-- (its delete was lost to a crash) is acknowledged without being processed
-- again.  Kept for as long as a queue can hold a message.
CREATE TABLE feed_messages (
	feed		TEXT NOT NULL,
	message_id	TEXT NOT NULL,
	committed_at	INTEGER NOT NULL,
	events		INTEGER NOT NULL,
	PRIMARY KEY (feed, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX feed_messages_committed ON feed_messages (committed_at);

-- Messages that could not be processed, kept for inspection, with why.
CREATE TABLE dead_letters (
	id		INTEGER PRIMARY KEY,
	feed		TEXT NOT NULL,
	message_id	TEXT NOT NULL,
	received_at	INTEGER NOT NULL,
	receive_count	INTEGER NOT NULL,
	reason		TEXT NOT NULL,
	body		BLOB NOT NULL,
	UNIQUE (feed, message_id)
) STRICT;

-- Where each feed is (files replayed, Activity Log cursors ...).
CREATE TABLE feed_cursors (
	feed		TEXT NOT NULL,
	key		TEXT NOT NULL,
	value		TEXT NOT NULL,
	updated_at	INTEGER NOT NULL,
	PRIMARY KEY (feed, key)
) STRICT, WITHOUT ROWID;
