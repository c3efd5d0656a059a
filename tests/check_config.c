/*
 * check_config.c: vigild.yaml through its key table: values, defaults,
 * every kind of error with its position, secrets, reload rules, and the
 * man page documenting every key.
 */
#include "config.h"

#include <stdlib.h>

#include "account.h"
#include "check_vigil.h"
#include "feed.h"
#include "notify.h"
#include "vigild.h"

static struct config *
parse(const char *text, struct diags *d)
{
	return config_parse("/etc/vigil/vigild.yaml", text, strlen(text), d);
}

/* Is there a diagnostic with this exact position and message prefix? */
static bool
has_diag(const struct diags *d, int line, int col, const char *prefix)
{
	size_t	 i;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].line == line && d->v[i].col == col &&
		    strncmp(d->v[i].msg, prefix, strlen(prefix)) == 0)
			return true;
	}
	return false;
}

static void
dump(const struct diags *d)
{
	diag_print(stderr, d, false);
}

START_TEST(test_defaults)
{
	struct diags	 d = { NULL, 0 };
	struct config	*c;

	c = parse("", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->database, VIGIL_DATABASE);
	ck_assert_str_eq(c->socket, VIGIL_SOCKET);
	ck_assert_int_eq(c->socket_mode, 0660);
	ck_assert_ptr_null(c->socket_group);
	ck_assert_int_eq(c->control_max_connections, 64);
	ck_assert_int_eq(c->control_max_body, 1048576);
	ck_assert_int_eq(c->control_timeout, 30000);
	ck_assert_int_eq(c->database_sync, CONFIG_SYNC_FULL);
	ck_assert_int_eq(config_log_level(c), LOG_LEVEL_INFO);
	ck_assert_int_eq(c->rules.n, 2);
	ck_assert_str_eq(c->rules.v[0], VIGIL_RULESDIR);
	ck_assert_str_eq(c->rules.v[1], VIGIL_SITE_RULESDIR);
	ck_assert_str_eq(c->dir, "/etc/vigil");
	config_free(c);

	/* A comment-only file and explicit nulls are the defaults too. */
	c = parse("# nothing\nsocket_group: ~\nlog_level:\n", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->socket_group);
	ck_assert_int_eq(config_log_level(c), LOG_LEVEL_INFO);
	config_free(c);
	ck_assert_int_eq(d.n, 0);
}
END_TEST

START_TEST(test_values)
{
	struct diags	 d = { NULL, 0 };
	struct config	*c;

	c = parse("database: state/vigil.db\n"
	    "database_sync: normal\n"
	    "socket: /run/v.sock\n"
	    "socket_mode: 0600\n"
	    "socket_group: vigil\n"
	    "admin_group: wheel\n"
	    "control_max_connections: 8\n"
	    "control_max_body: 64KiB\n"
	    "control_timeout: 2m\n"
	    "metrics_listen: \"[::1]:9464\"\n"
	    "log_level: debug\n"
	    "rules: [/a, b/c]\n", &d);
	if (c == NULL)
		dump(&d);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->database, "/etc/vigil/state/vigil.db");
	ck_assert_int_eq(c->database_sync, CONFIG_SYNC_NORMAL);
	ck_assert_str_eq(c->socket, "/run/v.sock");
	ck_assert_int_eq(c->socket_mode, 0600);
	ck_assert_str_eq(c->socket_group, "vigil");
	ck_assert_str_eq(c->admin_group, "wheel");
	ck_assert_int_eq(c->control_max_connections, 8);
	ck_assert_int_eq(c->control_max_body, 65536);
	ck_assert_int_eq(c->control_timeout, 120000);
	ck_assert_str_eq(c->metrics_listen, "[::1]:9464");
	ck_assert_int_eq(config_log_level(c), LOG_LEVEL_DEBUG);
	ck_assert_int_eq(c->rules.n, 2);
	ck_assert_str_eq(c->rules.v[0], "/a");
	ck_assert_str_eq(c->rules.v[1], "/etc/vigil/b/c");
	config_free(c);

	/* A single path is a list of one. */
	c = parse("rules: /only\n", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->rules.n, 1);
	ck_assert_str_eq(c->rules.v[0], "/only");
	config_free(c);
}
END_TEST

START_TEST(test_errors_with_positions)
{
	struct diags	 d = { NULL, 0 };

	ck_assert_ptr_null(parse(
	    "database: [a, b]\n"			/* 1 */
	    "control_max_connections: lots\n"		/* 2 */
	    "control_max_connections: 5\n"		/* 3: duplicate */
	    "control_max_body: 10\n"			/* 4: below 1024 */
	    "control_timeout: 2h\n"			/* 5: above 3600s */
	    "log_level: chatty\n"			/* 6 */
	    "socket_mode: rw\n"				/* 7 */
	    "databse: x\n"				/* 8 */
	    "completely_unknown: 1\n"			/* 9 */
	    "rules: {a: b}\n"				/* 10 */
	    "socket: ''\n",				/* 11 */
	    &d));
	ck_assert_int_eq(d.n, 11);
	ck_assert(has_diag(&d, 1, 11, "database: expected a path, got a list"));
	ck_assert(has_diag(&d, 2, 26,
	    "control_max_connections: not an integer: 'lots'"));
	ck_assert(has_diag(&d, 3, 1,
	    "duplicate key 'control_max_connections'"));
	ck_assert(has_diag(&d, 4, 19,
	    "control_max_body: 10 is out of range (1024 to 67108864 bytes)"));
	ck_assert(has_diag(&d, 5, 18,
	    "control_timeout: 2h is out of range (1s to 1h)"));
	ck_assert(has_diag(&d, 6, 12,
	    "log_level: 'chatty' is not one of error|warning|info|debug"));
	ck_assert(has_diag(&d, 7, 14, "socket_mode: 'rw' is not an octal"));
	ck_assert(has_diag(&d, 8, 1,
	    "unknown key 'databse' (did you mean 'database'?)"));
	ck_assert(has_diag(&d, 9, 1, "unknown key 'completely_unknown'"));
	ck_assert(has_diag(&d, 10, 8, "rules: expected a list, got a mapping"));
	ck_assert(has_diag(&d, 11, 9, "socket: empty"));
	ck_assert_str_eq(d.v[0].file, "/etc/vigil/vigild.yaml");
	diag_clear(&d);
}
END_TEST

START_TEST(test_yaml_errors)
{
	struct diags	 d = { NULL, 0 };

	ck_assert_ptr_null(parse("database: a\n  bad: [\n", &d));
	ck_assert_int_eq(d.n, 1);
	ck_assert_int_eq(d.v[0].line, 2);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "YAML syntax"));
	diag_clear(&d);

	ck_assert_ptr_null(parse("- a\n- b\n", &d));
	ck_assert(has_diag(&d, 1, 1, "expected a mapping of keys to values, "
	    "got a list"));
	diag_clear(&d);

	ck_assert_ptr_null(parse("x: &a [1]\nrules: *a\n", &d));
	ck_assert(has_diag(&d, 2, 8, "YAML aliases are not allowed"));
	diag_clear(&d);

	ck_assert_ptr_null(parse("database: a\n---\ndatabase: b\n", &d));
	ck_assert(has_diag(&d, 2, 1, "only one YAML document"));
	diag_clear(&d);

	ck_assert_ptr_null(parse("[a]: 1\n", &d));
	ck_assert(has_diag(&d, 1, 1, "a key must be a string, not a list"));
	diag_clear(&d);
}
END_TEST

START_TEST(test_load_file)
{
	struct diags	 d = { NULL, 0 };
	struct config	*c;
	char		*dir, *path;

	dir = test_tmpdir();
	path = xprintf("%s/vigild.yaml", dir);
	test_write(path, "database: vigil.db\n");
	c = config_load(path, &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->path, path);
	ck_assert_str_eq(c->dir, dir);
	free(path);
	path = xprintf("%s/vigil.db", dir);
	ck_assert_str_eq(c->database, path);
	config_free(c);
	free(path);

	path = xprintf("%s/missing.yaml", dir);
	ck_assert_ptr_null(config_load(path, &d));
	ck_assert_int_eq(d.n, 1);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "No such file"));
	diag_clear(&d);
	free(path);
	test_rmrf(dir);
	free(dir);
}
END_TEST

/* A section with secrets, as the notifiers and feeds declare them. */
struct secrets_conf {
	struct secret	*token;
	struct secret	*key;
	char		*name;
};
static const struct cfg_key secret_keys[] = {
	{ "token_file", CFG_SECRET_FILE, offsetof(struct secrets_conf, token),
	  0, 0, NULL, NULL, CFG_REQUIRED, "token" },
	{ "token_env", CFG_SECRET_ENV, offsetof(struct secrets_conf, token),
	  0, 0, NULL, NULL, 0, "token" },
	{ "key_file", CFG_SECRET_FILE, offsetof(struct secrets_conf, key),
	  0, 0, NULL, NULL, 0, "key" },
	{ "name", CFG_STRING, offsetof(struct secrets_conf, name),
	  0, 0, "anon", NULL, 0, "name" },
};

static int
parse_secrets(const char *text, struct secrets_conf *sc, struct diags *d)
{
	struct yamldoc	 yd;
	int		 n;

	memset(sc, 0, sizeof *sc);
	ck_assert_int_eq(yamldoc_parse(&yd, "s.yaml", text, strlen(text), d),
	    0);
	n = cfg_section_parse(sc, secret_keys, nitems(secret_keys), &yd,
	    yamldoc_root(&yd), "/base", d);
	yamldoc_free(&yd);
	return n;
}

START_TEST(test_secrets)
{
	struct diags		 d = { NULL, 0 };
	struct secrets_conf	 sc;
	char			*dir, *path, *text;

	dir = test_tmpdir();
	path = xprintf("%s/token", dir);
	test_write(path, "s3cr3t\n");

	text = xprintf("token_file: %s\n", path);
	ck_assert_int_eq(parse_secrets(text, &sc, &d), 0);
	ck_assert_str_eq(sc.token->value, "s3cr3t");
	ck_assert_int_eq(sc.token->len, 6);
	ck_assert_str_eq(sc.name, "anon");
	cfg_section_free(&sc, secret_keys, nitems(secret_keys));
	free(text);

	/* A credential name, looked up in $CREDENTIALS_DIRECTORY. */
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	ck_assert_int_eq(parse_secrets("token_file: token\n", &sc, &d), 0);
	ck_assert_str_eq(sc.token->value, "s3cr3t");
	cfg_section_free(&sc, secret_keys, nitems(secret_keys));
	unsetenv("CREDENTIALS_DIRECTORY");
	ck_assert_int_eq(parse_secrets("token_file: token\n", &sc, &d), 1);
	ck_assert(has_diag(&d, 1, 13, "token_file: 'token' is neither an "
	    "absolute path nor a credential name"));
	cfg_section_free(&sc, secret_keys, nitems(secret_keys));
	diag_clear(&d);

	/* From the environment. */
	setenv("VIGIL_TEST_TOKEN", "from-env", 1);
	ck_assert_int_eq(parse_secrets("token_env: VIGIL_TEST_TOKEN\n", &sc,
	    &d), 1);	/* token_file is required */
	ck_assert_str_eq(sc.token->value, "from-env");
	cfg_section_free(&sc, secret_keys, nitems(secret_keys));
	diag_clear(&d);

	/* Written inline: refused with a pointer to the right way. */
	ck_assert_int_eq(parse_secrets("token_file: /nonexistent/x\n"
	    "key: hunter2\n", &sc, &d), 2);
	ck_assert(has_diag(&d, 1, 13, "token_file: /nonexistent/x: No such"));
	ck_assert(has_diag(&d, 2, 1, "key: secrets may not be written in the "
	    "configuration; use key_file"));
	cfg_section_free(&sc, secret_keys, nitems(secret_keys));
	diag_clear(&d);

	/* Empty secret file. */
	test_write(path, "\n");
	text = xprintf("token_file: %s\n", path);
	ck_assert_int_eq(parse_secrets(text, &sc, &d), 1);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "empty"));
	cfg_section_free(&sc, secret_keys, nitems(secret_keys));
	diag_clear(&d);
	free(text);

	free(path);
	test_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(test_keep_restart_keys)
{
	struct diags	 d = { NULL, 0 };
	struct config	*cur, *next;

	cur = parse("database: /a.db\nlog_level: info\nsocket_mode: 0660\n",
	    &d);
	next = parse("database: /b.db\nlog_level: debug\nsocket_mode: 0600\n",
	    &d);
	ck_assert_ptr_nonnull(cur);
	ck_assert_ptr_nonnull(next);
	ck_assert_int_eq(config_keep_restart_keys(next, cur), 2);
	ck_assert_str_eq(next->database, "/a.db");
	ck_assert_int_eq(next->socket_mode, 0660);
	ck_assert_int_eq(config_log_level(next), LOG_LEVEL_DEBUG);
	ck_assert_str_eq(cur->database, "/b.db");
	ck_assert_int_eq(config_keep_restart_keys(next, next), 0);
	config_free(cur);
	config_free(next);
}
END_TEST

/* vigild.yaml(5) documents every key in the table, and no other. */
START_TEST(test_man_page_documents_every_key)
{
	static const struct feed_backend *const backends[] = {
		&feed_sqs_backend, &feed_file_backend,
	};
	const struct notify_backend *const *nb;
	char	*path, *man, *cause, *needle, *p, *end, *q;
	size_t	 i, documented = 0, nnb;

	path = xprintf("%s/man/vigild.yaml.5.in", TEST_SRCDIR);
	man = read_file(path, 1 << 20, NULL, &cause);
	ck_assert_msg(man != NULL, "%s", cause);
	for (i = 0; i < config_nkeys; i++) {
		needle = xprintf("\n.It Ic %s ", config_keys[i].name);
		ck_assert_msg(strstr(man, needle) != NULL,
		    "vigild.yaml.5 does not document %s", config_keys[i].name);
		free(needle);
	}
	/* Top-level keys are the .It Ic entries of the first list. */
	p = strstr(man, ".Sh KEYS");
	ck_assert_ptr_nonnull(p);
	end = strstr(p + 1, "\n.Sh ");
	ck_assert_ptr_nonnull(end);
	while ((p = strstr(p, "\n.It Ic ")) != NULL && p < end) {
		documented++;
		p++;
	}
	ck_assert_int_eq(documented, config_nkeys);
	/* Every account key, under ACCOUNTS. */
	p = strstr(man, ".Sh ACCOUNTS");
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < account_nkeys; i++) {
		needle = xprintf("\n.It Ic %s ", account_key_table[i].name);
		ck_assert_msg(strstr(p, needle) != NULL, "vigild.yaml.5 does "
		    "not document the account key %s",
		    account_key_table[i].name);
		free(needle);
	}
	/* And every feed type's keys, under FEEDS. */
	p = strstr(man, ".Sh FEEDS");
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < nitems(backends); i++) {
		size_t j;

		for (j = 0; j < backends[i]->nkeys; j++) {
			needle = xprintf("\n.It Ic %s ",
			    backends[i]->keys[j].name);
			ck_assert_msg(strstr(p, needle) != NULL,
			    "vigild.yaml.5 does not document %s's %s",
			    backends[i]->type, backends[i]->keys[j].name);
			free(needle);
		}
	}
	/* And every channel key, common and per type, under NOTIFY. */
	p = strstr(man, ".Sh NOTIFY");
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < notify_nkeys; i++) {
		needle = xprintf("\n.It Ic %s ", notify_key_table[i].name);
		ck_assert_msg(strstr(p, needle) != NULL, "vigild.yaml.5 does "
		    "not document the channel key %s",
		    notify_key_table[i].name);
		free(needle);
	}
	nb = notify_backends(&nnb);
	for (i = 0; i < nnb; i++) {
		size_t	 j;
		char	*sec;

		sec = xprintf("\n.Ss %s\n", nb[i]->type);
		ck_assert_msg((q = strstr(p, sec)) != NULL, "vigild.yaml.5 "
		    "has no section for the %s channel", nb[i]->type);
		free(sec);
		for (j = 0; j < nb[i]->nkeys; j++) {
			needle = xprintf("\n.It Ic %s ", nb[i]->keys[j].name);
			ck_assert_msg(strstr(q, needle) != NULL,
			    "vigild.yaml.5 does not document %s's %s",
			    nb[i]->type, nb[i]->keys[j].name);
			free(needle);
		}
	}
	free(man);
	free(path);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc = tcase_create("config");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_errors_with_positions);
	tcase_add_test(tc, test_yaml_errors);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_secrets);
	tcase_add_test(tc, test_keep_restart_keys);
	tcase_add_test(tc, test_man_page_documents_every_key);
	suite_add_tcase(s, tc);
	return test_run(s);
}
