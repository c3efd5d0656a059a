-- 005-refreshes.sql: assets to describe again, and the sweeps done.

-- An asset an event said changed, to be described again: written in the
-- event's transaction, so that a crash loses no refresh; removed in the
-- transaction that stores the new document.  One row per asset: events
-- about the same asset within a short window become one describe.
CREATE TABLE refreshes (
	account		TEXT NOT NULL,
	region		TEXT NOT NULL,
	type		TEXT NOT NULL,
	resource_id	TEXT NOT NULL,
	action		TEXT NOT NULL,		-- refresh, delete
	event_id	TEXT,
	event_name	TEXT,
	actor		TEXT,
	queued_at	INTEGER NOT NULL,
	due_at		INTEGER NOT NULL,
	attempts	INTEGER NOT NULL DEFAULT 0,
	last_error	TEXT,
	PRIMARY KEY (account, region, type, resource_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX refreshes_due ON refreshes (due_at);

-- The last complete sweep of each account, region and type: a sweep of
-- one that was never swept is the initial one (no alerts, a summary).
CREATE TABLE sweeps (
	account		TEXT NOT NULL,
	region		TEXT NOT NULL,
	type		TEXT NOT NULL,
	completed_at	INTEGER NOT NULL,
	assets		INTEGER NOT NULL,
	PRIMARY KEY (account, region, type)
) STRICT, WITHOUT ROWID;
