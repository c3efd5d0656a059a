/*
 * format.c: vigilctl's output: aligned tables for people, JSON and CSV for
 * scripts.  Works on jansson values as the control API returns them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "format.h"
#include "vigil.h"

int
format_parse(const char *s, enum format *fmt)
{
	if (strcmp(s, "table") == 0)
		*fmt = FORMAT_TABLE;
	else if (strcmp(s, "json") == 0)
		*fmt = FORMAT_JSON;
	else if (strcmp(s, "csv") == 0)
		*fmt = FORMAT_CSV;
	else
		return -1;
	return 0;
}

/* A scalar JSON value as text (the caller frees it); "" for null. */
char *
format_value(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return xprintf("%g", json_real_value(v));
	case JSON_TRUE:
		return xstrdup("yes");
	case JSON_FALSE:
		return xstrdup("no");
	case JSON_NULL:
		return xstrdup("");
	default: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENCODE_ANY);
		return s != NULL ? s : xstrdup("");
	}
	}
}

/* Display width of UTF-8 text: one column per code point. */
static size_t
format_width(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* Make a table cell one line: control characters become spaces. */
static void
format_clean(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	}
}

static void
format_csv_field(FILE *f, const char *s)
{
	const char	*p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

/*
 * Print rows (a JSON array of objects) with the given columns.  JSON output
 * is the array itself, unchanged.
 */
void
format_rows(FILE *f, enum format fmt, const json_t *rows,
    const struct format_column *cols, size_t ncols)
{
	char	***cells;
	size_t	 *widths, nrows, i, j, w;
	json_t	 *row;

	if (fmt == FORMAT_JSON) {
		json_dumpf(rows, f, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', f);
		return;
	}

	nrows = json_array_size(rows);
	widths = xcalloc(ncols, sizeof *widths);
	cells = xcalloc(nrows + 1, sizeof *cells);
	for (i = 0; i < nrows; i++) {
		row = json_array_get(rows, i);
		cells[i] = xcalloc(ncols, sizeof **cells);
		for (j = 0; j < ncols; j++) {
			json_t *v = json_object_get(row, cols[j].key);
			cells[i][j] = v != NULL ? format_value(v) : xstrdup("");
			if (fmt == FORMAT_TABLE)
				format_clean(cells[i][j]);
		}
	}

	if (fmt == FORMAT_CSV) {
		for (j = 0; j < ncols; j++) {
			if (j > 0)
				fputc(',', f);
			format_csv_field(f, cols[j].key);
		}
		fputc('\n', f);
		for (i = 0; i < nrows; i++) {
			for (j = 0; j < ncols; j++) {
				if (j > 0)
					fputc(',', f);
				format_csv_field(f, cells[i][j]);
			}
			fputc('\n', f);
		}
		goto out;
	}

	for (j = 0; j < ncols; j++)
		widths[j] = format_width(cols[j].title);
	for (i = 0; i < nrows; i++) {
		for (j = 0; j < ncols; j++) {
			if ((w = format_width(cells[i][j])) > widths[j])
				widths[j] = w;
		}
	}
	for (i = 0; i <= nrows; i++) {
		char	*line = NULL;
		size_t	 linelen = 0;
		FILE	*lf;

		if ((lf = open_memstream(&line, &linelen)) == NULL)
			fatal("open_memstream");
		for (j = 0; j < ncols; j++) {
			const char *cell = i == 0 ? cols[j].title :
			    cells[i - 1][j];
			int pad = (int)(widths[j] - format_width(cell));

			if (j > 0)
				fputs("  ", lf);
			if (cols[j].right && i > 0)
				fprintf(lf, "%*s%s", pad, "", cell);
			else
				fprintf(lf, "%s%*s", cell, pad, "");
		}
		fclose(lf);
		while (linelen > 0 && line[linelen - 1] == ' ')
			line[--linelen] = '\0';
		fprintf(f, "%s\n", line);
		free(line);
	}
out:
	for (i = 0; i < nrows; i++) {
		for (j = 0; j < ncols; j++)
			free(cells[i][j]);
		free(cells[i]);
	}
	free(cells);
	free(widths);
}

static void
format_flatten(json_t *out, const char *prefix, const json_t *v)
{
	const char	*key;
	json_t		*child;
	char		*name;

	if (!json_is_object(v) || json_object_size(v) == 0) {
		json_array_append_new(out, json_pack("{s:s, s:O}", "key", prefix,
		    "value", v));
		return;
	}
	json_object_foreach((json_t *)(uintptr_t)v, key, child) {
		name = *prefix != '\0' ? xprintf("%s.%s", prefix, key) :
		    xstrdup(key);
		format_flatten(out, name, child);
		free(name);
	}
}

/*
 * Print one object as key/value lines, nested objects as dotted keys, in
 * the object's own order.  JSON output is the object itself.
 */
void
format_object(FILE *f, enum format fmt, const json_t *obj)
{
	static const struct format_column cols[] = {
		{ "key", "KEY", false },
		{ "value", "VALUE", false },
	};
	json_t	*rows;

	if (fmt == FORMAT_JSON) {
		json_dumpf(obj, f, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', f);
		return;
	}
	rows = json_array();
	format_flatten(rows, "", obj);
	if (fmt == FORMAT_CSV)
		format_rows(f, fmt, rows, cols, nitems(cols));
	else {
		size_t	 i, w = 0, kw;
		json_t	*row;
		char	*val;

		json_array_foreach(rows, i, row) {
			kw = format_width(json_string_value(
			    json_object_get(row, "key")));
			if (kw > w)
				w = kw;
		}
		json_array_foreach(rows, i, row) {
			const char *k = json_string_value(
			    json_object_get(row, "key"));
			val = format_value(json_object_get(row, "value"));
			format_clean(val);
			fprintf(f, "%s%*s  %s\n", k,
			    (int)(w - format_width(k)), "", val);
			free(val);
		}
	}
	json_decref(rows);
}
