/*
 * change.h: the normalised change event.
 *
 * Whatever form a change arrives in (a CloudTrail record from a log file or
 * through EventBridge, an AWS Config item, some other EventBridge event;
 * Azure Activity Log and Event Grid events later), the pipeline sees one of
 * these: who did what to which account and region, when, whether it can
 * have changed anything, and the raw record it came from, kept byte for byte
 * so that it can be stored and shown.
 *
 * Every string is allocated and owned by the event, NULL when the record
 * does not say.  Spans point into raw.
 */
#ifndef CHANGE_H
#define CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum change_provider {
	CHANGE_AWS,
	CHANGE_AZURE,
};

enum change_kind {
	CHANGE_API_CALL,	/* a CloudTrail record of a call */
	CHANGE_CONSOLE_SIGNIN,	/* a CloudTrail console sign-in record */
	CHANGE_CONFIG_ITEM,	/* an AWS Config configuration item */
	CHANGE_OTHER,		/* any other event: a GuardDuty finding, an EC2
				   state change, a Config delivery notice ... */
};

/* configurationItemStatus. */
enum change_config_status {
	CHANGE_CONFIG_NONE = 0,		/* not a configuration item */
	CHANGE_CONFIG_OK,
	CHANGE_CONFIG_DISCOVERED,	/* ResourceDiscovered */
	CHANGE_CONFIG_DELETED,		/* ResourceDeleted */
	CHANGE_CONFIG_NOT_RECORDED,	/* ResourceNotRecorded */
	CHANGE_CONFIG_DELETED_NOT_RECORDED, /* ResourceDeletedNotRecorded */
	CHANGE_CONFIG_UNKNOWN,		/* a status not known here */
};

/* Part of the raw record: len bytes at raw + off; len 0 when absent. */
struct change_span {
	size_t	 off;
	size_t	 len;
};

/* Who acted: CloudTrail's userIdentity. */
struct change_actor {
	char	*arn;
	char	*type;		/* IAMUser, AssumedRole, Root, AWSService ... */
	char	*principal_id;
	char	*account;
	char	*user_name;
	char	*invoked_by;	/* the AWS service that acted for the actor */
	char	*issuer_arn;	/* sessionContext.sessionIssuer.arn: for an
				   AssumedRole session, the role */
};

struct change_event {
	enum change_provider	 provider;
	enum change_kind	 kind;

	/*
	 * The provider's id, stable across redeliveries, the key that makes
	 * storing an event idempotent.  CloudTrail: eventID.  Config item:
	 * "config:ACCOUNT:TYPE:RESOURCEID:STATE" where STATE is the
	 * configurationStateId, else the capture time in ms; an oversized
	 * summary and the full item fetched for it share the id, the full
	 * item supersedes the summary.  EventBridge: the envelope id.  Else
	 * the SNS MessageId, or "sha256:" and 32 hex digits of the raw record.
	 */
	char			*id;
	int64_t			 time;		/* ms since 1970, 0 unknown */
	char			*account;
	char			*region;
	char			*service;	/* "ec2" */
	char			*source;	/* "ec2.amazonaws.com" or
						   "aws.guardduty" */
	char			*name;		/* eventName; Config: the
						   messageType or
						   "ConfigurationItem"; other:
						   detail-type, messageType */
	char			*type;		/* CloudTrail eventType */
	char			*detail_type;	/* EventBridge detail-type */
	bool			 read_only;
	bool			 read_only_inferred; /* from the name, see
						   change_name_read_only */
	char			*error_code;
	char			*error_message;
	struct change_actor	 actor;
	char			*source_ip;
	char			*user_agent;
	char			*request_id;

	/* Configuration items (and other events that name a resource). */
	char			*resource_type;	/* AWS::EC2::SecurityGroup */
	char			*resource_id;
	char			*resource_arn;
	char			*resource_name;
	enum change_config_status config_status;
	char			*config_state;	/* configurationStateId */
	char			*change_type;	/* CREATE, UPDATE, DELETE */
	bool			 needs_fetch;	/* oversized: only a summary
						   came, fetch the item */

	/*
	 * The record as it came, NUL-terminated: a CloudTrail record, the
	 * Config notification holding the item (or the bare item), the whole
	 * EventBridge event for other events.
	 */
	char			*raw;
	size_t			 raw_len;
	struct change_span	 request;	/* requestParameters */
	struct change_span	 response;	/* responseElements */
	struct change_span	 configuration;	/* the item's configuration */
	struct change_span	 supplementary;	/* supplementaryConfiguration */
	struct change_span	 diff;		/* configurationItemDiff */
	struct change_span	 detail;	/* EventBridge detail */
};

struct change_event	*change_new(enum change_provider, enum change_kind);
void			 change_free(struct change_event *);
void			 change_set_raw(struct change_event *, const char *,
			    size_t);
const char		*change_span_ptr(const struct change_event *,
			    const struct change_span *);
bool			 change_affects_assets(const struct change_event *);

const char		*change_provider_name(enum change_provider);
const char		*change_kind_name(enum change_kind);
int			 change_kind_parse(const char *, enum change_kind *);
const char		*change_config_status_name(enum change_config_status);
enum change_config_status change_config_status_parse(const char *);

bool			 change_name_read_only(const char *);
char			*change_service(const char *);
int			 change_time_parse(const char *, size_t, int64_t *);
char			*change_digest_id(const char *, size_t);

#endif /* CHANGE_H */
