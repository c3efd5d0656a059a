/*
 * envelope.h: AWS messages (SQS bodies, replayed files, fetched log files)
 * unwrapped into normalised change events and S3 object references.
 *
 * Forms understood, nested as AWS nests them:
 * - EventBridge events: "AWS API Call via CloudTrail", "AWS Console Sign In
 *   via CloudTrail" and "AWS Service Event via CloudTrail" (detail is a
 *   CloudTrail record), "Config Configuration Item Change", any other
 *   detail-type as an event of kind other;
 * - CloudTrail records, bare, in JSON arrays, in log files ({"Records":
 *   [...]}, also gzip'd), one per line (JSON Lines);
 * - SNS notifications (Message a JSON string, or an object as the AWS docs
 *   show it), unwrapped at most ENVELOPE_MAX_NESTING deep;
 * - S3 event notifications and CloudTrail's SNS log delivery notices: S3
 *   object references for the caller to fetch and parse in turn;
 * - AWS Config: item change notifications (oversized ones marked
 *   needs_fetch), other notifications as kind other, Config rule invoking
 *   events, bare items, {"configurationItems": [...]} history files;
 * - S3's s3:TestEvent, recognised and ignored.
 */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "change.h"

#define ENVELOPE_MAX_NESTING	4	/* JSON documents inside strings */

/* An S3 object announced by a notification. */
struct envelope_ref {
	char	*bucket;
	char	*key;		/* decoded */
	char	*region;	/* the bucket's region; NULL when not said */
	int64_t	 size;		/* bytes; -1 when not said */
};

struct envelope_result {
	const char		 *format;	/* the outermost form */
	bool			  gzip;		/* the input was gzip'd */
	struct change_event	**events;
	size_t			  nevents;
	struct envelope_ref	 *refs;
	size_t			  nrefs;

	/*
	 * Records of a collection (log file, array, JSON Lines) that were
	 * left out, each "record N: why".  A message where nothing at all
	 * was recognised is an error instead.
	 */
	char			**skipped;
	size_t			  nskipped;
};

int	 envelope_parse(const char *, size_t, size_t, struct envelope_result *,
	    char **);
void	 envelope_result_free(struct envelope_result *);
int	 envelope_s3_key_decode(const char *, size_t, char **);

#endif /* ENVELOPE_H */
