-- 003-assets.sql: the inventory, and the history of every asset.

-- Every asset vigil has seen, with its current document (what the cloud's
-- CLI prints for it, plus enrichment), canonical JSON.  A deleted asset
-- keeps its row, with deleted_at set (a tombstone).
CREATE TABLE assets (
	id		INTEGER PRIMARY KEY,
	provider	TEXT NOT NULL,
	account		TEXT NOT NULL,
	region		TEXT NOT NULL,		-- '' for global resources
	type		TEXT NOT NULL,		-- AWS::EC2::SecurityGroup
	resource_id	TEXT NOT NULL,
	arn		TEXT,
	name		TEXT,
	document	TEXT NOT NULL,
	hash		BLOB NOT NULL,		-- SHA-256 of the document
	version		INTEGER NOT NULL,
	first_seen	INTEGER NOT NULL,
	changed_at	INTEGER NOT NULL,
	seen_at		INTEGER NOT NULL,	-- last refresh that found it
	sweep		INTEGER NOT NULL DEFAULT 0, -- last sweep that found it
	deleted_at	INTEGER,
	UNIQUE (account, region, type, resource_id)
) STRICT;
CREATE INDEX assets_type ON assets (type, account, region);
CREATE INDEX assets_resource ON assets (resource_id);
CREATE INDEX assets_arn ON assets (arn) WHERE arn IS NOT NULL;

-- Every version of every asset, the current one too: the document
-- (zlib-compressed canonical JSON; NULL for a deletion), what made it
-- (a sweep, an event, a Config item, a deletion), and who.
CREATE TABLE asset_versions (
	asset		INTEGER NOT NULL REFERENCES assets (id),
	version		INTEGER NOT NULL,
	time		INTEGER NOT NULL,
	document	BLOB,
	hash		BLOB,
	cause		TEXT NOT NULL,
	event_id	TEXT,
	actor		TEXT,
	PRIMARY KEY (asset, version)
) STRICT, WITHOUT ROWID;
