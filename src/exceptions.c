/*
 * exceptions.c: accepted risk.  Exceptions come from the control API
 * (vigilctl exceptions add) or from YAML files in exceptions_dir; both end
 * in the exceptions table, and every change to them is applied to the live
 * violations at once (eval_exceptions), as is every expiry, on a timer.
 *
 * A file:
 *
 *	exceptions:
 *	  - rule: aws-s3-bucket-public	# a glob on the rule id
 *	    asset: "www-*"		# a glob on the asset's id, ARN or name
 *	    account: "123456789012"	# optional
 *	    tag: env=demo		# optional: the asset has this tag
 *	    reason: a public website, reviewed
 *	    owner: alice@example.com
 *	    expires: 2027-03-01		# optional: a date or an RFC 3339 time
 */
#include "config.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "change.h"
#include "eval.h"
#include "exceptions.h"
#include "vigild.h"

struct exc_conf {
	char	*rule;
	char	*asset;
	char	*account;
	char	*tag;
	char	*reason;
	char	*owner;
	char	*expires;
};

#define OFF(f) offsetof(struct exc_conf, f)
static const struct cfg_key exc_keys[] = {
	{ "rule", CFG_STRING, OFF(rule), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "A glob on rule ids." },
	{ "asset", CFG_STRING, OFF(asset), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "A glob on the asset's id, ARN or name." },
	{ "account", CFG_STRING, OFF(account), 0, 0, NULL, NULL, 0,
	  "Only in this account." },
	{ "tag", CFG_STRING, OFF(tag), 0, 0, NULL, NULL, 0,
	  "Only assets with this tag (key=value, or key)." },
	{ "reason", CFG_STRING, OFF(reason), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "Why the risk is accepted." },
	{ "owner", CFG_STRING, OFF(owner), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "Who accepted it." },
	{ "expires", CFG_STRING, OFF(expires), 0, 0, NULL, NULL, 0,
	  "When it ends: a date or an RFC 3339 time." },
};
#undef OFF

/* A date (YYYY-MM-DD: its end, UTC) or an RFC 3339 time, in ms. */
int
exception_time_parse(const char *s, int64_t *ms)
{
	char	*t;
	int	 rc;

	if (strlen(s) == 10) {
		t = xprintf("%sT23:59:59Z", s);
		rc = change_time_parse(t, strlen(t), ms);
		free(t);
		return rc;
	}
	return change_time_parse(s, strlen(s), ms);
}

/* Split "key=value" (or "key") into the row's tag fields. */
void
exception_tag(struct exception_row *e, const char *tag)
{
	const char	*eq;

	if (tag == NULL)
		return;
	if ((eq = strchr(tag, '=')) != NULL) {
		e->tag_key = xstrndup(tag, (size_t)(eq - tag));
		e->tag_value = xstrdup(eq + 1);
	} else
		e->tag_key = xstrdup(tag);
}

static bool
exc_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
exc_same(const struct exception_row *a, const struct exception_row *b)
{
	return exc_str_eq(a->rule_pattern, b->rule_pattern) &&
	    exc_str_eq(a->asset_pattern, b->asset_pattern) &&
	    exc_str_eq(a->account, b->account) &&
	    exc_str_eq(a->tag_key, b->tag_key) &&
	    exc_str_eq(a->tag_value, b->tag_value) &&
	    exc_str_eq(a->reason, b->reason) &&
	    exc_str_eq(a->owner, b->owner) &&
	    exc_str_eq(a->source, b->source) && a->expires_at == b->expires_at;
}

/* Parse one file's exceptions into rows. */
static int
exc_file(const char *path, struct exception_row **rows, size_t *n,
    struct diags *d)
{
	struct yamldoc		 yd;
	struct exc_conf		 c;
	struct exception_row	*e;
	yaml_node_t		*root, *list = NULL, *item;
	yaml_node_pair_t	*p;
	yaml_node_item_t	*it;
	const char		*k;
	size_t			 before = d->n;

	if (yamldoc_load(&yd, path, d) != 0) {
		yamldoc_free(&yd);
		return -1;
	}
	root = yamldoc_root(&yd);
	if (root != NULL && root->type == YAML_MAPPING_NODE) {
		for (p = YAMLDOC_PAIRS(root); p < YAMLDOC_PAIRS_END(root); p++) {
			k = yamldoc_scalar(yamldoc_node(&yd, p->key));
			if (k != NULL && strcmp(k, "exceptions") == 0)
				list = yamldoc_node(&yd, p->value);
			else
				diag_add(d, path, yamldoc_line(yamldoc_node(&yd,
				    p->key)), yamldoc_col(yamldoc_node(&yd,
				    p->key)), "unknown key '%s' (a file holds "
				    "exceptions:)", k != NULL ? k : "?");
		}
	}
	if (list == NULL || list->type != YAML_SEQUENCE_NODE) {
		if (root != NULL && d->n == before)
			diag_add(d, path, 1, 1, "expected exceptions: and a "
			    "list");
		yamldoc_free(&yd);
		return d->n == before ? 0 : -1;
	}
	for (it = YAMLDOC_ITEMS(list); it < YAMLDOC_ITEMS_END(list); it++) {
		item = yamldoc_node(&yd, *it);
		memset(&c, 0, sizeof c);
		if (cfg_section_parse(&c, exc_keys, nitems(exc_keys), &yd,
		    item, NULL, d) != 0) {
			cfg_section_free(&c, exc_keys, nitems(exc_keys));
			continue;
		}
		*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
		e = &(*rows)[(*n)++];
		memset(e, 0, sizeof *e);
		if (c.expires != NULL &&
		    exception_time_parse(c.expires, &e->expires_at) != 0)
			diag_add(d, path, yamldoc_line(item), yamldoc_col(item),
			    "expires: '%s' is neither a date (2027-03-01) nor "
			    "an RFC 3339 time", c.expires);
		e->rule_pattern = xstrdup(c.rule);
		e->asset_pattern = xstrdup(c.asset);
		e->account = c.account != NULL ? xstrdup(c.account) : NULL;
		exception_tag(e, c.tag);
		e->reason = xstrdup(c.reason);
		e->owner = xstrdup(c.owner);
		e->created_by = xprintf("file %s", path);
		e->source = xprintf("file:%s", path);
		cfg_section_free(&c, exc_keys, nitems(exc_keys));
	}
	yamldoc_free(&yd);
	return d->n == before ? 0 : -1;
}

/*
 * Every exception the files in dir declare; a missing directory declares
 * none.  Returns -1 with every problem in d.
 */
int
exceptions_load(const char *dir, struct exception_row **rows, size_t *n,
    struct diags *d)
{
	struct stat	 sb;
	char		**paths;
	size_t		 np, i, len;
	int		 rc = 0;

	*rows = NULL;
	*n = 0;
	if (dir == NULL || stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return 0;
	paths = dir_files(dir, 0, &np);
	for (i = 0; i < np; i++) {
		len = strlen(paths[i]);
		if ((len > 5 && strcmp(paths[i] + len - 5, ".yaml") == 0) ||
		    (len > 4 && strcmp(paths[i] + len - 4, ".yml") == 0)) {
			if (exc_file(paths[i], rows, n, d) != 0)
				rc = -1;
		}
		free(paths[i]);
	}
	free(paths);
	return rc;
}

/*
 * Make the file exceptions in the database what the files say: new ones
 * added, those no longer in a file removed.  Within the caller's
 * transaction.
 */
int
exceptions_sync(struct store *st, struct exception_row *files, size_t n,
    int64_t now, char **cause)
{
	struct exception_row	*db = NULL;
	size_t			 ndb = 0, i, j;
	int64_t			 id;
	bool			 found, removed;
	int			 rc = -1;

	if (store_exceptions(st, false, 0, &db, &ndb, cause) != 0)
		return -1;
	for (i = 0; i < ndb; i++) {
		if (db[i].source == NULL || strncmp(db[i].source, "file:", 5))
			continue;
		for (j = 0, found = false; j < n && !found; j++)
			found = exc_same(&db[i], &files[j]);
		if (!found && store_exception_remove(st, db[i].id,
		    db[i].source, now, &removed, cause) != 0)
			goto out;
	}
	for (j = 0; j < n; j++) {
		for (i = 0, found = false; i < ndb && !found; i++)
			found = db[i].removed_at == 0 &&
			    exc_same(&db[i], &files[j]);
		if (found)
			continue;
		files[j].created_at = now;
		if (store_exception_add(st, &files[j], &id, cause) != 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < ndb; i++)
		exception_row_clear(&db[i]);
	free(db);
	return rc;
}

/* For vigild -K and the man page's test. */
void
exceptions_keys_print(FILE *f)
{
	cfg_keys_print(f, "exceptions[].", exc_keys, nitems(exc_keys));
}
