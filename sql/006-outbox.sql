-- 006-outbox.sql: notifications waiting for delivery, and delivered.
--
-- A notification is written here in the same transaction as the change it
-- reports (a violation opened, resolved, excepted...), rendered for its
-- channel's backend, and delivered afterwards: at least once, with its
-- stable idempotency key, surviving restarts and crashes.

-- One row per notification per channel.
--   kind:  transition (one violation's change), digest (storm control: many
--          opens of one window), summary (what the initial sweep found),
--          test (vigilctl notify test).
--   state: pending (due at next_attempt_at), sending (in flight; a row left
--          sending by a crash is sent again at start), delivered, failed
--          (permanently: a 4xx, an SMTP 5xx, or given up), collecting (a
--          digest or summary still gathering; due when its window closes),
--          digested (an open folded into the digest row named by digest).
CREATE TABLE outbox (
	id		INTEGER PRIMARY KEY,
	channel		TEXT NOT NULL,
	type		TEXT NOT NULL,		-- the backend, when written
	key		TEXT NOT NULL,		-- idempotency key: v42.o3.open
	kind		TEXT NOT NULL CHECK (kind IN ('transition', 'digest',
			    'summary', 'test')),
	transition	TEXT,			-- open, resolve, excepted ...
	violation	INTEGER,
	occurrence	INTEGER,
	severity	TEXT,
	rule		TEXT,
	asset		TEXT,
	notification	TEXT NOT NULL,		-- vigil.notification/1 JSON
	payload		TEXT,			-- rendered for the backend
	state		TEXT NOT NULL CHECK (state IN ('pending', 'sending',
			    'delivered', 'failed', 'collecting', 'digested')),
	attempts	INTEGER NOT NULL DEFAULT 0,
	step		INTEGER NOT NULL DEFAULT 0, -- multi-request progress
	next_attempt_at	INTEGER NOT NULL,
	last_error	TEXT,
	created_at	INTEGER NOT NULL,
	delivered_at	INTEGER,
	remote_ref	TEXT,			-- PagerDuty dedup_key, Jira key
	digest		INTEGER REFERENCES outbox (id),
	UNIQUE (channel, key)
) STRICT;
CREATE INDEX outbox_due ON outbox (channel, state, next_attempt_at);
CREATE INDEX outbox_next ON outbox (state, next_attempt_at);
CREATE INDEX outbox_occurrence ON outbox (channel, violation, occurrence, id)
    WHERE violation IS NOT NULL;
CREATE INDEX outbox_opens ON outbox (channel, transition, created_at)
    WHERE transition = 'open';
CREATE INDEX outbox_digest ON outbox (digest) WHERE digest IS NOT NULL;

-- What a stateful receiver calls a violation occurrence: the Jira issue
-- created for it, the PagerDuty dedup_key; a resolve finds it here.
CREATE TABLE notify_refs (
	channel		TEXT NOT NULL,
	violation	INTEGER NOT NULL,
	occurrence	INTEGER NOT NULL,
	ref		TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	PRIMARY KEY (channel, violation, occurrence)
) STRICT, WITHOUT ROWID;
