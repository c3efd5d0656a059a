/*
 * metrics.c: vigild's counters, gauges and histograms, rendered in the
 * Prometheus text exposition format (version 0.0.4).
 *
 * Every metric is declared in one table; each has at most one label, whose
 * values (feeds, severities, error kinds) are few, so series are kept in a
 * small array per metric.
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigild.h"

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

static const double latency_buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10, 30, 60
};

struct metric_def {
	const char		*name;
	const char		*help;
	enum metric_type	 type;
	const char		*label;		/* NULL: no label */
	const double		*buckets;
	size_t			 nbuckets;
	const char *const	*preset;	/* label values shown from 0 */
};

static const char *const severities[] = {
	"critical", "high", "medium", "low", "info", NULL
};
static const char *const error_kinds[] = {
	"config", "database", "feed", "message", "api", "rule", "notify",
	"control", NULL
};

static const struct metric_def metric_defs[M__COUNT] = {
	[M_EVENTS_RECEIVED] = { "vigil_events_received_total",
	    "Change events received, by feed.", METRIC_COUNTER, "feed",
	    NULL, 0, NULL },
	[M_EVENTS_PROCESSED] = { "vigil_events_processed_total",
	    "Change events committed, by outcome.", METRIC_COUNTER, "outcome",
	    NULL, 0, NULL },
	[M_EVALUATIONS] = { "vigil_rule_evaluations_total",
	    "Rule evaluations.", METRIC_COUNTER, NULL, NULL, 0, NULL },
	[M_VIOLATIONS_OPEN] = { "vigil_violations_open",
	    "Open violations, by severity.", METRIC_GAUGE, "severity",
	    NULL, 0, severities },
	[M_FEED_LAG] = { "vigil_feed_lag_seconds",
	    "Age of the last message each feed processed, when it was "
	    "processed.", METRIC_GAUGE, "feed", NULL, 0, NULL },
	[M_OUTBOX_DEPTH] = { "vigil_outbox_pending",
	    "Notifications waiting for delivery, by channel.", METRIC_GAUGE,
	    "channel", NULL, 0, NULL },
	[M_ERRORS] = { "vigil_errors_total", "Errors, by kind.",
	    METRIC_COUNTER, "kind", NULL, 0, error_kinds },
	[M_PROCESSING_SECONDS] = { "vigil_event_processing_seconds",
	    "Time from the receipt of a change event to the commit of its "
	    "effects.", METRIC_HISTOGRAM, NULL, latency_buckets,
	    nitems(latency_buckets), NULL },
	[M_CONTROL_REQUESTS] = { "vigil_control_requests_total",
	    "Control API requests, by HTTP status.", METRIC_COUNTER, "code",
	    NULL, 0, NULL },
	[M_RELOADS] = { "vigil_reloads_total",
	    "Configuration reloads, by result.", METRIC_COUNTER, "result",
	    NULL, 0, NULL },
	[M_UP_SINCE] = { "vigil_start_time_seconds",
	    "When vigild started, in seconds since the Unix epoch.",
	    METRIC_GAUGE, NULL, NULL, 0, NULL },
};

struct series {
	char		*label;		/* NULL for the unlabelled series */
	double		 value;		/* counters and gauges */
	uint64_t	*buckets;	/* histograms: cumulative later */
	double		 sum;
	uint64_t	 count;
};

struct metric {
	struct series	*v;
	size_t		 n;
};

static struct metric	metrics[M__COUNT];

static struct series *
metrics_series(enum metric_id id, const char *label)
{
	const struct metric_def	*def = &metric_defs[id];
	struct metric		*m = &metrics[id];
	struct series		*s;
	size_t			 i;

	if (def->label == NULL)
		label = NULL;
	else if (label == NULL)
		label = "";
	for (i = 0; i < m->n; i++) {
		s = &m->v[i];
		if (label == NULL || strcmp(s->label, label) == 0)
			return s;
	}
	m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
	s = &m->v[m->n++];
	memset(s, 0, sizeof *s);
	s->label = label != NULL ? xstrdup(label) : NULL;
	if (def->type == METRIC_HISTOGRAM)
		s->buckets = xcalloc(def->nbuckets, sizeof *s->buckets);
	return s;
}

void
metrics_init(void)
{
	const char *const	*p;
	size_t			 i;

	for (i = 0; i < M__COUNT; i++) {
		if (metric_defs[i].label == NULL)
			metrics_series(i, NULL);
		for (p = metric_defs[i].preset; p != NULL && *p != NULL; p++)
			metrics_series(i, *p);
	}
}

void
metrics_free(void)
{
	size_t	 i, j;

	for (i = 0; i < M__COUNT; i++) {
		for (j = 0; j < metrics[i].n; j++) {
			free(metrics[i].v[j].label);
			free(metrics[i].v[j].buckets);
		}
		free(metrics[i].v);
		metrics[i].v = NULL;
		metrics[i].n = 0;
	}
}

void
metrics_add(enum metric_id id, const char *label, double v)
{
	metrics_series(id, label)->value += v;
}

void
metrics_set(enum metric_id id, const char *label, double v)
{
	metrics_series(id, label)->value = v;
}

double
metrics_get(enum metric_id id, const char *label)
{
	return metrics_series(id, label)->value;
}

/* The sum over every label of a counter or gauge. */
double
metrics_sum(enum metric_id id)
{
	double	 sum = 0;
	size_t	 i;

	for (i = 0; i < metrics[id].n; i++)
		sum += metrics[id].v[i].value;
	return sum;
}

void
metrics_observe(enum metric_id id, const char *label, double v)
{
	const struct metric_def	*def = &metric_defs[id];
	struct series		*s = metrics_series(id, label);
	size_t			 i;

	for (i = 0; i < def->nbuckets; i++) {
		if (v <= def->buckets[i])
			s->buckets[i]++;
	}
	s->sum += v;
	s->count++;
}

static void
metrics_put_label(FILE *f, const char *key, const char *value)
{
	const char	*p;

	fprintf(f, "%s=\"", key);
	for (p = value; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '"':
			fputs("\\\"", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		default:
			fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void
metrics_put_series(FILE *f, const char *name, const char *suffix,
    const char *lkey, const char *lval, const char *le, const char *value)
{
	fprintf(f, "%s%s", name, suffix);
	if (lval != NULL || le != NULL) {
		fputc('{', f);
		if (lval != NULL)
			metrics_put_label(f, lkey, lval);
		if (lval != NULL && le != NULL)
			fputc(',', f);
		if (le != NULL)
			metrics_put_label(f, "le", le);
		fputc('}', f);
	}
	fprintf(f, " %s\n", value);
}

static void
metrics_fmt(char *buf, size_t len, double v)
{
	if (v == (double)(int64_t)v && v < 1e15 && v > -1e15)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "%.9g", v);
}

/* Process metrics, read from /proc at render time. */
static void
metrics_render_process(FILE *f)
{
	FILE		*statm;
	unsigned long	 size, resident;
	DIR		*dir;
	struct dirent	*de;
	long		 page = sysconf(_SC_PAGESIZE), fds = 0;

	if ((statm = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(statm, "%lu %lu", &size, &resident) == 2) {
			fprintf(f, "# HELP process_resident_memory_bytes "
			    "Resident memory size in bytes.\n"
			    "# TYPE process_resident_memory_bytes gauge\n"
			    "process_resident_memory_bytes %lu\n",
			    resident * (unsigned long)page);
			fprintf(f, "# HELP process_virtual_memory_bytes "
			    "Virtual memory size in bytes.\n"
			    "# TYPE process_virtual_memory_bytes gauge\n"
			    "process_virtual_memory_bytes %lu\n",
			    size * (unsigned long)page);
		}
		fclose(statm);
	}
	if ((dir = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] != '.')
				fds++;
		}
		closedir(dir);
		fprintf(f, "# HELP process_open_fds Number of open file "
		    "descriptors.\n# TYPE process_open_fds gauge\n"
		    "process_open_fds %ld\n", fds - 1);
	}
}

/* The whole exposition, as a string the caller frees. */
char *
metrics_render(void)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	const struct metric_def	*def;
	struct series		*s;
	char			*buf = NULL, val[64], le[64];
	size_t			 len = 0, i, j, k;
	FILE			*f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	for (i = 0; i < M__COUNT; i++) {
		def = &metric_defs[i];
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", def->name,
		    def->help, def->name, types[def->type]);
		for (j = 0; j < metrics[i].n; j++) {
			s = &metrics[i].v[j];
			if (def->type != METRIC_HISTOGRAM) {
				metrics_fmt(val, sizeof val, s->value);
				metrics_put_series(f, def->name, "", def->label,
				    s->label, NULL, val);
				continue;
			}
			for (k = 0; k < def->nbuckets; k++) {
				metrics_fmt(le, sizeof le, def->buckets[k]);
				snprintf(val, sizeof val, "%llu",
				    (unsigned long long)s->buckets[k]);
				metrics_put_series(f, def->name, "_bucket",
				    def->label, s->label, le, val);
			}
			snprintf(val, sizeof val, "%llu",
			    (unsigned long long)s->count);
			metrics_put_series(f, def->name, "_bucket", def->label,
			    s->label, "+Inf", val);
			metrics_fmt(val, sizeof val, s->sum);
			metrics_put_series(f, def->name, "_sum", def->label,
			    s->label, NULL, val);
			snprintf(val, sizeof val, "%llu",
			    (unsigned long long)s->count);
			metrics_put_series(f, def->name, "_count", def->label,
			    s->label, NULL, val);
		}
	}
	metrics_render_process(f);
	if (fclose(f) != 0)
		fatal("metrics_render");
	return buf;
}
