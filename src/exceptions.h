/*
 * exceptions.h: accepted-risk exceptions from files and the API
 * (exceptions.c).
 */
#ifndef EXCEPTIONS_H
#define EXCEPTIONS_H

#include "vigild.h"

int	 exception_time_parse(const char *, int64_t *);
void	 exception_tag(struct exception_row *, const char *);
int	 exceptions_load(const char *, struct exception_row **, size_t *,
	    struct diags *);
int	 exceptions_sync(struct store *, struct exception_row *, size_t,
	    int64_t, char **);
void	 exceptions_keys_print(FILE *);

#endif /* EXCEPTIONS_H */
