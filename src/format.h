/*
 * format.h: vigilctl's output formats (format.c).
 */
#ifndef FORMAT_H
#define FORMAT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

enum format {
	FORMAT_TABLE,
	FORMAT_JSON,
	FORMAT_CSV,
};

struct format_column {
	const char	*key;		/* member of each row object */
	const char	*title;		/* table heading */
	bool		 right;		/* right-aligned (numbers) */
};

int	 format_parse(const char *, enum format *);
char	*format_value(const json_t *);
void	 format_rows(FILE *, enum format, const json_t *,
	    const struct format_column *, size_t);
void	 format_object(FILE *, enum format, const json_t *);

#endif /* FORMAT_H */
