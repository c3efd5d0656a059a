-- 004-violations.sql: violations, their history, exceptions, and which
-- assets read which others (for re-evaluation when those change).

-- One row per occurrence of a violation: a rule that holds for an asset
-- from the moment it opens until it is resolved.  A later recurrence is a
-- new occurrence (a new row).  At most one live (open or excepted) row per
-- rule and asset.
CREATE TABLE violations (
	id		INTEGER PRIMARY KEY,
	rule_id		TEXT NOT NULL,
	asset		INTEGER NOT NULL REFERENCES assets (id),
	occurrence	INTEGER NOT NULL,
	state		TEXT NOT NULL CHECK (state IN ('open', 'excepted',
			    'resolved')),
	severity	TEXT NOT NULL,
	evidence	TEXT NOT NULL,		-- JSON
	first_seen	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL,
	opened_event	TEXT,
	opened_actor	TEXT,
	resolved_at	INTEGER,
	resolved_event	TEXT,
	resolved_actor	TEXT,
	resolved_why	TEXT,			-- condition false, asset deleted ...
	exception	INTEGER REFERENCES exceptions (id),
	UNIQUE (rule_id, asset, occurrence)
) STRICT;
CREATE UNIQUE INDEX violations_live ON violations (rule_id, asset)
    WHERE state <> 'resolved';
CREATE INDEX violations_state ON violations (state, severity);
CREATE INDEX violations_asset ON violations (asset);

-- Every transition of every violation: its timeline.
CREATE TABLE violation_history (
	violation	INTEGER NOT NULL REFERENCES violations (id),
	seq		INTEGER NOT NULL,
	time		INTEGER NOT NULL,
	transition	TEXT NOT NULL,		-- open, resolve, excepted ...
	event_id	TEXT,
	actor		TEXT,
	detail		TEXT,			-- JSON, or NULL
	PRIMARY KEY (violation, seq)
) STRICT, WITHOUT ROWID;

-- Accepted risk: violations matching a rule pattern and an asset pattern
-- (and optionally an account and a tag) are recorded as excepted and not
-- alerted on, until the exception expires or is removed.
CREATE TABLE exceptions (
	id		INTEGER PRIMARY KEY,
	rule_pattern	TEXT NOT NULL,
	asset_pattern	TEXT NOT NULL,
	account		TEXT,
	tag_key		TEXT,
	tag_value	TEXT,
	reason		TEXT NOT NULL,
	owner		TEXT NOT NULL,
	expires_at	INTEGER,		-- NULL: never
	created_at	INTEGER NOT NULL,
	created_by	TEXT NOT NULL,		-- uid, or the file it came from
	source		TEXT NOT NULL,		-- 'api' or 'file:<path>'
	removed_at	INTEGER,
	expired		INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Which related assets an asset's evaluation read (or looked for): when
-- one of them changes, the asset is evaluated again.  ref_id is '' for an
-- account's (or region's) singleton.
CREATE TABLE asset_deps (
	asset		INTEGER NOT NULL REFERENCES assets (id),
	ref_type	TEXT NOT NULL,
	ref_account	TEXT NOT NULL,
	ref_region	TEXT NOT NULL,
	ref_id		TEXT NOT NULL,
	PRIMARY KEY (asset, ref_type, ref_account, ref_region, ref_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX asset_deps_ref ON asset_deps (ref_type, ref_account,
    ref_region, ref_id);
