-- 001-foundation.sql: what every vigil database has.
--
-- Times are milliseconds since the Unix epoch (UTC) throughout the schema.

-- Which migrations were applied, when, and by which vigil.
CREATE TABLE schema_history (
	version		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL,
	applied_at	INTEGER NOT NULL,
	applied_by	TEXT NOT NULL
) STRICT;

-- Facts about this database: when it was created, by which vigil.
CREATE TABLE meta (
	key		TEXT PRIMARY KEY,
	value		TEXT NOT NULL
) STRICT;

-- Every start of vigild.  A run without stopped_at ended without a clean
-- shutdown (killed, crashed, power lost).
CREATE TABLE runs (
	id		INTEGER PRIMARY KEY,
	version		TEXT NOT NULL,
	pid		INTEGER NOT NULL,
	started_at	INTEGER NOT NULL,
	stopped_at	INTEGER
) STRICT;
