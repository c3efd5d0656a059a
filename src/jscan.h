/*
 * jscan.h: a validating JSON scanner that walks the bytes of a document
 * without allocating.
 *
 * A value is known by its span (offset and length into the buffer), so the
 * caller copies only what it keeps.  Everything the scanner passes over is
 * validated as RFC 8259 JSON: strings (escapes, \u surrogate pairs, UTF-8,
 * no raw control characters, no \u0000), numbers, literals, nesting up to
 * JSCAN_MAX_DEPTH.  Once a value has been scanned, the functions that take a
 * span (jscan_member, jscan_string, ...) may rely on it being well-formed.
 *
 * Where jansson (the daemon's JSON library) differs, on purpose:
 * - numbers are checked for syntax only: 1e999 or a 30-digit integer are
 *   valid JSON and are accepted (jansson refuses values that overflow a
 *   double or a long long);
 * - nesting is limited to JSCAN_MAX_DEPTH, not 2048.
 * Duplicate keys are allowed; jscan_member, like jansson, returns the last.
 */
#ifndef JSCAN_H
#define JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSCAN_MAX_DEPTH	256

enum jscan_type {
	JSCAN_NONE = 0,		/* no value (a member that is absent) */
	JSCAN_OBJECT,
	JSCAN_ARRAY,
	JSCAN_STRING,
	JSCAN_NUMBER,
	JSCAN_TRUE,
	JSCAN_FALSE,
	JSCAN_NULL,
};

/* A scanned value.  A string's span includes its quotes. */
struct jscan_value {
	enum jscan_type	 type;
	bool		 escaped;	/* a string with a backslash escape */
	size_t		 off;
	size_t		 len;
};

/*
 * A scanner over buf[0, end).  Offsets are always from buf, also for a
 * scanner set up over one value of a larger document (jscan_init_value), so
 * that spans can be compared and copied without translation.  The first
 * error sticks: every later call fails too.
 */
struct jscan {
	const char	*buf;
	size_t		 end;
	size_t		 pos;
	int		 depth;		/* containers entered with _begin */
	const char	*error;		/* what went wrong, NULL if nothing */
	size_t		 error_off;	/* where */
};

/* The state of a walk through the members of an object or an array. */
struct jscan_iter {
	struct jscan	*j;
	size_t		 n;		/* members or elements so far */
	bool		 object;
	bool		 done;
};

void		 jscan_init(struct jscan *, const char *, size_t);
void		 jscan_init_value(struct jscan *, const char *,
		    const struct jscan_value *);
int		 jscan_peek(struct jscan *, enum jscan_type *);
int		 jscan_value(struct jscan *, struct jscan_value *);
int		 jscan_end(struct jscan *);
bool		 jscan_at_end(struct jscan *);
int		 jscan_object_begin(struct jscan *, struct jscan_iter *);
int		 jscan_object_next(struct jscan_iter *, struct jscan_value *);
int		 jscan_array_begin(struct jscan *, struct jscan_iter *);
int		 jscan_array_next(struct jscan_iter *);
char		*jscan_error(const struct jscan *);

int		 jscan_validate(const char *, size_t, char **);
int		 jscan_member(const char *, const struct jscan_value *,
		    const char *, struct jscan_value *);
int		 jscan_string(const char *, const struct jscan_value *, char *,
		    size_t, size_t *);
char		*jscan_strdup(const char *, const struct jscan_value *);
char		*jscan_scalar_dup(const char *, const struct jscan_value *);
bool		 jscan_string_eq(const char *, const struct jscan_value *,
		    const char *);
int		 jscan_int64(const char *, const struct jscan_value *,
		    int64_t *);
const char	*jscan_type_name(enum jscan_type);

#endif /* JSCAN_H */
