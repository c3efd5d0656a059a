/*
 * evmap.h: which assets an event changed (evmap.c).
 */
#ifndef EVMAP_H
#define EVMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct change_event;
struct diags;
struct evmap;

struct evmap_ref {
	char	*type;
	char	*id;
	bool	 delete;
};

struct evmap	*evmap_load(const char *, struct diags *);
void		 evmap_free(struct evmap *);
bool		 evmap_known(const struct evmap *, const char *, const char *);
bool		 evmap_ignored(const struct evmap *, const char *,
		    const char *);
size_t		 evmap_resolve(const struct evmap *,
		    const struct change_event *, struct evmap_ref **);
void		 evmap_refs_free(struct evmap_ref *, size_t);
long		 evmap_coverage(const struct evmap *, char **, size_t, FILE *);

#endif /* EVMAP_H */
