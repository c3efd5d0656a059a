/*
 * account.c: the cloud accounts vigil watches (the accounts: list of
 * vigild.yaml).  Each AWS account has its own credentials: the role to
 * assume in it (with an external id), on top of the standard chain, or the
 * chain itself.  At start, and after every reload, vigild asks STS who it is
 * in each account (GetCallerIdentity), so that a role that cannot be
 * assumed, or an id that does not match, shows in status at once.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "account.h"
#include "aws.h"
#include "collect.h"
#include "vigild.h"
#include "xml.h"

#define OFF(f) offsetof(struct account_conf, f)
static const struct cfg_key account_keys[] = {
	{ "provider", CFG_ENUM, OFF(provider), 0, 0, NULL, "aws",
	  CFG_REQUIRED, "The cloud: aws (azure arrives with its own feeds)." },
	{ "id", CFG_STRING, OFF(id), 0, 0, NULL, NULL, CFG_REQUIRED,
	  "The account id: twelve digits." },
	{ "name", CFG_STRING, OFF(name), 0, 0, NULL, NULL, 0,
	  "A name for people (default: the id)." },
	{ "role_arn", CFG_STRING, OFF(role_arn), 0, 0, NULL, NULL, 0,
	  "The role to assume in the account (default: the base "
	  "credentials)." },
	{ "external_id_file", CFG_SECRET_FILE, OFF(external_id), 0, 0, NULL,
	  NULL, 0, "The external id the role's trust policy asks for." },
	{ "external_id_env", CFG_SECRET_ENV, OFF(external_id), 0, 0, NULL,
	  NULL, 0, "The same, from an environment variable." },
	{ "session_name", CFG_STRING, OFF(session_name), 0, 0, "vigil", NULL,
	  0, "The role session name, seen in the account's CloudTrail." },
	{ "regions", CFG_STRLIST, OFF(regions), 0, 0, "[all]", NULL, 0,
	  "The regions to inventory, or all (those enabled in the "
	  "account)." },
	{ "types", CFG_STRLIST, OFF(types), 0, 0, "[all]", NULL, 0,
	  "The asset types to inventory (AWS::S3::Bucket, ...), or all." },
	{ "exclude_types", CFG_STRLIST, OFF(exclude_types), 0, 0, "[]", NULL,
	  0, "Asset types not to inventory, even when types is all." },
	{ "organization", CFG_BOOL, OFF(organization), 0, 0, "false", NULL,
	  0, "The management account of an AWS Organization: every active "
	  "member account is watched too." },
	{ "member_role", CFG_STRING, OFF(member_role), 0, 0, "VigilAudit",
	  NULL, 0, "With organization: the role's name in each member "
	  "account." },
	{ "endpoint", CFG_STRING, OFF(endpoint), 0, 0, NULL, NULL, 0,
	  "One endpoint URL for every service (tests, gateways)." },
	{ "sts_endpoint", CFG_STRING, OFF(sts_endpoint), 0, 0, NULL, NULL, 0,
	  "The STS endpoint URL (default: endpoint, "
	  "AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, or the regional one)." },
	{ "sts_region", CFG_STRING, OFF(sts_region), 0, 0, NULL, NULL, 0,
	  "The region whose STS endpoint is used (default: AWS_REGION, "
	  "else us-east-1)." },
};
#undef OFF

/* Running: credentials and who they make us. */
struct account {
	struct account_conf	*conf;		/* borrowed from the config,
						   or own (a member's) */
	struct account_conf	*own;
	char			*org;		/* a member: the management
						   account's id */
	int64_t			 seen;		/* a member: last listed */
	bool			 left;		/* a member no longer active */
	char			*id;
	struct aws_creds	*creds;		/* own, when a role is assumed */
	struct aws_creds	*use;		/* what calls sign with */
	struct aws_client	*sts;
	struct aws_call		*identity_call;
	char			*caller_arn;
	char			*error;
	int64_t			 checked_ms;
};

const struct cfg_key *const account_key_table = account_keys;
const size_t account_nkeys = nitems(account_keys);

void
account_conf_free(struct account_conf *ac)
{
	if (ac == NULL)
		return;
	cfg_section_free(ac, account_keys, nitems(account_keys));
	free(ac->file);
	free(ac);
}

static bool
account_id_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return i == 12;
}

/* Every name in a types list is an asset type vigil collects. */
static void
account_types_check(struct diags *d, const struct account_conf *ac,
    const char *key, const struct strlist *l, bool all_ok)
{
	const char	*best;
	size_t		 i, t, dist, bestd;

	for (i = 0; i < l->n; i++) {
		if (collect_type_find(l->v[i]) != NULL ||
		    (all_ok && strcmp(l->v[i], "all") == 0 && l->n == 1))
			continue;
		best = NULL;
		bestd = SIZE_MAX;
		for (t = 0; t < collect_aws_ntypes; t++) {
			dist = str_distance(l->v[i], collect_aws_types[t].type);
			if (dist < bestd) {
				bestd = dist;
				best = collect_aws_types[t].type;
			}
		}
		if (bestd <= 3)
			diag_add(d, ac->file, ac->line, ac->col, "%s: unknown "
			    "asset type '%s' (did you mean '%s'?)", key,
			    l->v[i], best);
		else
			diag_add(d, ac->file, ac->line, ac->col, "%s: unknown "
			    "asset type '%s' (vigild -T lists them)", key,
			    l->v[i]);
	}
}

/* The watched account with this id, or NULL. */
struct account *
account_find(struct vigil *v, const char *id)
{
	size_t	 i;

	for (i = 0; i < v->naccounts; i++) {
		if (!v->accounts[i]->left &&
		    strcmp(account_id(v->accounts[i]), id) == 0)
			return v->accounts[i];
	}
	return NULL;
}

static void
strlist_copy(struct strlist *to, const struct strlist *from)
{
	size_t	 i;

	for (i = 0; i < from->n; i++)
		strlist_add(to, from->v[i]);
}

static char *
strdup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/*
 * A member account's configuration: the management account's, with the
 * member role in the member.
 */
static struct account_conf *
account_member_conf(const struct account_conf *mc, const char *id,
    const char *name)
{
	struct account_conf	*ac;
	const char		*partition = "aws";

	ac = xcalloc(1, sizeof *ac);
	ac->provider = mc->provider;
	ac->id = xstrdup(id);
	ac->name = strdup_or_null(name);
	if (mc->role_arn != NULL && strncmp(mc->role_arn, "arn:aws-cn:", 11) ==
	    0)
		partition = "aws-cn";
	else if (mc->role_arn != NULL &&
	    strncmp(mc->role_arn, "arn:aws-us-gov:", 15) == 0)
		partition = "aws-us-gov";
	ac->role_arn = xprintf("arn:%s:iam::%s:role/%s", partition, id,
	    mc->member_role);
	if (mc->external_id != NULL) {
		ac->external_id = xcalloc(1, sizeof *ac->external_id);
		ac->external_id->value = xmalloc(mc->external_id->len + 1);
		memcpy(ac->external_id->value, mc->external_id->value,
		    mc->external_id->len + 1);
		ac->external_id->len = mc->external_id->len;
		ac->external_id->origin = strdup_or_null(
		    mc->external_id->origin);
	}
	ac->session_name = strdup_or_null(mc->session_name);
	strlist_copy(&ac->regions, &mc->regions);
	strlist_copy(&ac->types, &mc->types);
	strlist_copy(&ac->exclude_types, &mc->exclude_types);
	ac->endpoint = strdup_or_null(mc->endpoint);
	ac->sts_endpoint = strdup_or_null(mc->sts_endpoint);
	ac->sts_region = strdup_or_null(mc->sts_region);
	ac->file = strdup_or_null(mc->file);
	ac->line = mc->line;
	ac->col = mc->col;
	return ac;
}

/*
 * A member account the organization listed (active): the one watched, or
 * a new one (*added), through the member role.  An account configured on
 * its own is left as it is.  NULL: the id is the management account's.
 */
struct account *
account_member(struct vigil *v, struct account *mgmt, const char *id,
    const char *name, bool *added)
{
	struct account	*a;
	size_t		 i;

	*added = false;
	if (strcmp(id, mgmt->id) == 0)
		return NULL;
	for (i = 0; i < v->naccounts; i++) {
		a = v->accounts[i];
		if (strcmp(a->id, id) != 0)
			continue;
		a->seen = now_ms();
		if (a->left) {
			log_info("account %s: active in the organization "
			    "again", id);
			a->left = false;
			*added = true;
		}
		return a;
	}
	a = account_new(v, account_member_conf(mgmt->conf, id, name));
	a->own = a->conf;
	a->org = xstrdup(mgmt->id);
	a->seen = now_ms();
	v->accounts = xreallocarray(v->accounts, v->naccounts + 1,
	    sizeof *v->accounts);
	v->accounts[v->naccounts++] = a;
	log_info("account %s%s%s%s: member of the organization of %s, "
	    "through %s", id, name != NULL ? " (" : "", name != NULL ? name :
	    "", name != NULL ? ")" : "", mgmt->id, a->conf->role_arn);
	account_check(a);
	*added = true;
	return a;
}

/*
 * After a listing of the organization: members it did not list as active
 * (closed, suspended, removed) are no longer watched.  They stay in memory
 * until the next reload, as collectors may still hold them.
 */
void
account_members_seen(struct vigil *v, struct account *mgmt, int64_t since)
{
	struct account	*a;
	size_t		 i;

	for (i = 0; i < v->naccounts; i++) {
		a = v->accounts[i];
		if (a->org == NULL || strcmp(a->org, mgmt->id) != 0 ||
		    a->left || a->seen >= since)
			continue;
		a->left = true;
		log_info("account %s: no longer an active member of the "
		    "organization of %s; not watched", a->id, mgmt->id);
	}
}

/* A member account that left the organization: not watched. */
bool
account_left(const struct account *a)
{
	return a->left;
}

/* A member account: its management account's id; NULL otherwise. */
const char *
account_org(const struct account *a)
{
	return a->org;
}

/* Does the account's inventory include assets of this type? */
bool
account_collects(const struct account_conf *ac, const char *type)
{
	if (strlist_has(&ac->exclude_types, type))
		return false;
	return (ac->types.n == 1 && strcmp(ac->types.v[0], "all") == 0) ||
	    strlist_has(&ac->types, type);
}

static struct account_conf *
account_conf_parse(struct yamldoc *yd, yaml_node_t *n, const char *base,
    struct diags *d)
{
	struct account_conf	*ac;
	size_t			 before = d->n;

	if (n->type != YAML_MAPPING_NODE) {
		diag_add(d, yd->file, yamldoc_line(n), yamldoc_col(n),
		    "accounts: each account is a mapping of keys to values, "
		    "not %s", yamldoc_type_name(n));
		return NULL;
	}
	ac = xcalloc(1, sizeof *ac);
	ac->file = xstrdup(yd->file);
	ac->line = yamldoc_line(n);
	ac->col = yamldoc_col(n);
	cfg_section_parse(ac, account_keys, nitems(account_keys), yd, n, base,
	    d);
	if (d->n == before && !account_id_ok(ac->id))
		diag_add(d, yd->file, ac->line, ac->col, "id: '%s' is not an "
		    "AWS account id (twelve digits)", ac->id);
	if (d->n == before && ac->role_arn != NULL &&
	    strncmp(ac->role_arn, "arn:", 4) != 0)
		diag_add(d, yd->file, ac->line, ac->col, "role_arn: '%s' is "
		    "not an ARN", ac->role_arn);
	if (d->n == before) {
		account_types_check(d, ac, "types", &ac->types, true);
		account_types_check(d, ac, "exclude_types", &ac->exclude_types,
		    false);
	}
	if (d->n == before && ac->organization && (ac->member_role == NULL ||
	    *ac->member_role == '\0' || strchr(ac->member_role, '/') != NULL ||
	    strchr(ac->member_role, ':') != NULL))
		diag_add(d, yd->file, ac->line, ac->col, "member_role: '%s' is "
		    "not a role name", ac->member_role != NULL ?
		    ac->member_role : "");
	if (d->n == before && ac->external_id != NULL && ac->role_arn == NULL &&
	    !ac->organization)
		diag_add(d, yd->file, ac->line, ac->col, "account %s: an "
		    "external id without role_arn means nothing", ac->id);
	if (d->n != before) {
		account_conf_free(ac);
		return NULL;
	}
	return ac;
}

static void
account_conf_list_free(void *slot)
{
	struct account_conf_list	*l = slot;
	size_t				 i;

	for (i = 0; i < l->n; i++)
		account_conf_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
account_conf_list_parse(void *slot, struct yamldoc *yd, yaml_node_t *seq,
    const char *base, struct diags *d)
{
	struct account_conf_list	*l = slot;
	struct account_conf		*ac;
	yaml_node_item_t		*it;
	size_t				 i, before = d->n;

	for (it = YAMLDOC_ITEMS(seq); it < YAMLDOC_ITEMS_END(seq); it++) {
		ac = account_conf_parse(yd, yamldoc_node(yd, *it), base, d);
		if (ac == NULL)
			continue;
		for (i = 0; i < l->n; i++) {
			if (strcmp(l->v[i]->id, ac->id) == 0)
				break;
		}
		if (i < l->n) {
			diag_add(d, yd->file, ac->line, ac->col, "id: account "
			    "%s is already defined at line %d", ac->id,
			    l->v[i]->line);
			account_conf_free(ac);
			continue;
		}
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n++] = ac;
	}
	return d->n == before ? 0 : -1;
}

const struct cfg_list_ops account_conf_list_ops = {
	account_conf_list_parse,
	account_conf_list_free,
};

static void
account_identity_done(struct aws_response *r, void *arg)
{
	struct account	*a = arg;
	const char	*arn, *acct;

	a->identity_call = NULL;
	a->checked_ms = now_ms();
	free(a->error);
	a->error = NULL;
	if (r->error != NULL) {
		a->error = xstrdup(r->error);
		metrics_add(M_ERRORS, "api", 1);
		log_warnx("account %s: cannot tell who vigil is there: %s",
		    a->id, r->error);
		return;
	}
	arn = xml_path_str(r->body, "GetCallerIdentityResponse/"
	    "GetCallerIdentityResult/Arn");
	acct = xml_path_str(r->body, "GetCallerIdentityResponse/"
	    "GetCallerIdentityResult/Account");
	free(a->caller_arn);
	a->caller_arn = arn != NULL ? xstrdup(arn) : NULL;
	if (acct != NULL && strcmp(acct, a->id) != 0) {
		a->error = xprintf("the credentials are for account %s, not "
		    "%s", acct, a->id);
		log_warnx("account %s: %s", a->id, a->error);
		return;
	}
	log_info("account %s: acting as %s", a->id,
	    a->caller_arn != NULL ? a->caller_arn : "(unknown)");
}

/* Ask STS who we are in the account; the answer goes to status. */
void
account_check(struct account *a)
{
	if (a->identity_call != NULL)
		return;
	a->identity_call = aws_query_call(a->sts, "GetCallerIdentity", NULL, 0,
	    account_identity_done, a);
}

struct account *
account_new(struct vigil *v, struct account_conf *ac)
{
	struct account	*a;
	const char	*region, *sts_endpoint;

	a = xcalloc(1, sizeof *a);
	a->conf = ac;
	a->id = xstrdup(ac->id);
	region = ac->sts_region;
	if (region == NULL && (region = getenv("AWS_REGION")) == NULL &&
	    (region = getenv("AWS_DEFAULT_REGION")) == NULL)
		region = "us-east-1";
	sts_endpoint = ac->sts_endpoint != NULL ? ac->sts_endpoint :
	    ac->endpoint;
	if (ac->role_arn != NULL) {
		a->creds = aws_creds_assume_role_new(v->aws, ac->role_arn,
		    ac->external_id != NULL ? ac->external_id->value : NULL,
		    ac->session_name, region, sts_endpoint);
		a->use = a->creds;
	} else
		a->use = v->aws;
	a->sts = aws_client_new(v->http, &aws_service_sts, region,
	    sts_endpoint, a->use);
	return a;
}

void
account_free(struct account *a)
{
	if (a == NULL)
		return;
	if (a->identity_call != NULL)
		aws_call_cancel(a->identity_call);
	aws_client_free(a->sts);
	aws_creds_free(a->creds);	/* before the chain it stands on */
	account_conf_free(a->own);
	free(a->org);
	free(a->id);
	free(a->caller_arn);
	free(a->error);
	free(a);
}

const char *
account_id(const struct account *a)
{
	return a->id;
}

struct aws_creds *
account_creds(struct account *a)
{
	return a->use;
}

/* Same id, role, external id, session and endpoints: keep it running. */
bool
account_conf_equal(const struct account_conf *a, const struct account_conf *b)
{
	return cfg_section_equal(a, b, account_keys, nitems(account_keys));
}

const struct account_conf *
account_conf(const struct account *a)
{
	return a->conf;
}

void
account_set_conf(struct account *a, struct account_conf *ac)
{
	a->conf = ac;
}

json_t *
account_status(struct account *a)
{
	json_t	*o;
	char	*t;

	o = json_pack("{s:s, s:s, s:s}", "provider", "aws", "id", a->id,
	    "name", a->conf->name != NULL ? a->conf->name : a->id);
	if (a->conf->role_arn != NULL)
		json_object_set_new(o, "role_arn",
		    json_string(a->conf->role_arn));
	if (a->org != NULL)
		json_object_set_new(o, "organization", json_string(a->org));
	if (a->left)
		json_object_set_new(o, "left", json_true());
	json_object_set_new(o, "caller_arn", a->caller_arn != NULL ?
	    json_string(a->caller_arn) : json_null());
	if (a->checked_ms != 0) {
		t = time_iso8601(a->checked_ms);
		json_object_set_new(o, "checked_at", json_string(t));
		free(t);
	}
	json_object_set_new(o, "state", json_string(a->checked_ms == 0 ?
	    "checking" : a->error != NULL ? "error" : "ok"));
	if (a->error != NULL)
		json_object_set_new(o, "error", json_string(a->error));
	json_object_set_new(o, "credentials", aws_creds_status(a->use));
	return o;
}
