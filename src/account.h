/*
 * account.h: the cloud accounts vigil watches (account.c).
 */
#ifndef ACCOUNT_H
#define ACCOUNT_H

#include <jansson.h>

#include "vigild.h"

struct aws_creds;

struct account_conf {
	int		 provider;	/* 0: aws */
	char		*id;
	char		*name;
	char		*role_arn;
	struct secret	*external_id;
	char		*session_name;
	struct strlist	 regions;
	struct strlist	 types;		/* [all] */
	struct strlist	 exclude_types;
	char		*endpoint;
	char		*sts_endpoint;
	char		*sts_region;
	int		 organization;	/* and every member account */
	char		*member_role;	/* the role's name in members */
	char		*file;		/* where it was defined */
	int		 line;
	int		 col;
};

struct account;

extern const struct cfg_list_ops	 account_conf_list_ops;
extern const struct cfg_key *const	 account_key_table;
extern const size_t			 account_nkeys;

void		 account_conf_free(struct account_conf *);
bool		 account_conf_equal(const struct account_conf *,
		    const struct account_conf *);
struct account	*account_find(struct vigil *, const char *);
struct account	*account_member(struct vigil *, struct account *,
		    const char *, const char *, bool *);
void		 account_members_seen(struct vigil *, struct account *,
		    int64_t);
const char	*account_org(const struct account *);
bool		 account_left(const struct account *);
bool		 account_collects(const struct account_conf *, const char *);
struct account	*account_new(struct vigil *, struct account_conf *);
void		 account_free(struct account *);
void		 account_check(struct account *);
const char	*account_id(const struct account *);
struct aws_creds *account_creds(struct account *);
const struct account_conf *account_conf(const struct account *);
void		 account_set_conf(struct account *, struct account_conf *);
json_t		*account_status(struct account *);

#endif /* ACCOUNT_H */
