/*
 * diag.c: diagnostics with positions.  Parsers collect every error they find
 * (the config loader, the rule compiler) so that a user sees all of them at
 * once, each as file:line:col: message, optionally with the offending line
 * and a caret under the column.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vigil.h"

void
diag_addv(struct diags *d, const char *file, int line, int col,
    const char *fmt, va_list ap)
{
	struct diag	*dg;

	d->v = xreallocarray(d->v, d->n + 1, sizeof *d->v);
	dg = &d->v[d->n++];
	dg->file = file != NULL ? xstrdup(file) : NULL;
	dg->line = line;
	dg->col = col;
	xvasprintf(&dg->msg, fmt, ap);
}

void
diag_add(struct diags *d, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	diag_addv(d, file, line, col, fmt, ap);
	va_end(ap);
}

/* Append every diagnostic of src to dst, leaving src empty. */
void
diag_move(struct diags *dst, struct diags *src)
{
	size_t	 i;

	if (src->n == 0)
		return;
	dst->v = xreallocarray(dst->v, dst->n + src->n, sizeof *dst->v);
	for (i = 0; i < src->n; i++)
		dst->v[dst->n++] = src->v[i];
	free(src->v);
	src->v = NULL;
	src->n = 0;
}

/* "file:line:col: message", leaving out the parts that are unknown. */
char *
diag_string(const struct diag *dg)
{
	if (dg->file != NULL && dg->line > 0 && dg->col > 0)
		return xprintf("%s:%d:%d: %s", dg->file, dg->line, dg->col,
		    dg->msg);
	if (dg->file != NULL && dg->line > 0)
		return xprintf("%s:%d: %s", dg->file, dg->line, dg->msg);
	if (dg->file != NULL)
		return xprintf("%s: %s", dg->file, dg->msg);
	return xstrdup(dg->msg);
}

/* Print line number n (1-based) of a file and a caret under column col. */
static void
diag_print_source(FILE *f, const char *file, int n, int col)
{
	FILE	*src;
	char	*line = NULL;
	size_t	 size = 0;
	ssize_t	 len;
	int	 i, cur = 0;

	if ((src = fopen(file, "r")) == NULL)
		return;
	while ((len = getline(&line, &size, src)) != -1) {
		if (++cur != n)
			continue;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		fprintf(f, "  %s\n  ", line);
		for (i = 1; i < col && i <= len; i++)
			fputc(line[i - 1] == '\t' ? '\t' : ' ', f);
		fputs("^\n", f);
		break;
	}
	free(line);
	fclose(src);
}

void
diag_print(FILE *f, const struct diags *d, bool source)
{
	size_t	 i;
	char	*s;

	for (i = 0; i < d->n; i++) {
		s = diag_string(&d->v[i]);
		fprintf(f, "%s\n", s);
		free(s);
		if (source && d->v[i].file != NULL && d->v[i].line > 0 &&
		    d->v[i].col > 0)
			diag_print_source(f, d->v[i].file, d->v[i].line,
			    d->v[i].col);
	}
}

void
diag_clear(struct diags *d)
{
	size_t	 i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}
