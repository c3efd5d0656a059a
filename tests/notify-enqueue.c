/*
 * notify-enqueue: a test harness standing in for the violations layer.  It
 * opens vigild's database as vigild does (vigild must not be running),
 * routes each transition given as a JSON file to the channels of the
 * configuration with notify_enqueue(), in one transaction, commits and
 * exits; vigild then delivers them.
 *
 *   notify-enqueue [-i] [-e] [-n count] -c vigild.yaml [file.json ...]
 *
 * -i: the transitions belong to the initial sweep; -e: then end it;
 * -n: each file stands for count transitions of as many violations
 * (violation ids from 1000, keys to match).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "http.h"
#include "notify.h"
#include "vigild.h"

static void
usage(void)
{
	fprintf(stderr, "usage: notify-enqueue [-i] [-e] [-n count] -c "
	    "vigild.yaml [file.json ...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct diags	 d = { NULL, 0 };
	struct vigil	 v;
	json_error_t	 jerr;
	json_t		*doc, *copy;
	const char	*conf_path = NULL, *tr;
	char		*cause = NULL, *key;
	int64_t		 count = 1, i;
	int		 ch, initial = 0, end = 0, n = 0;

	log_init("notify-enqueue", false);
	while ((ch = getopt(argc, argv, "c:ein:")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'e':
			end = 1;
			break;
		case 'i':
			initial = 1;
			break;
		case 'n':
			count = strtoll(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (conf_path == NULL)
		usage();
	memset(&v, 0, sizeof v);
	if ((v.conf = config_load(conf_path, &d)) == NULL) {
		diag_print(stderr, &d, false);
		return 1;
	}
	if ((v.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((v.store = store_open(v.conf->database, v.conf->database_sync,
	    &cause)) == NULL)
		fatalx("%s", cause);
	v.http = http_new(v.base);
	if ((v.notify = notify_new(&v, v.conf, &cause)) == NULL)
		fatalx("%s", cause);
	if (store_begin(v.store, &cause) != 0)
		fatalx("%s", cause);
	for (; optind < argc; optind++) {
		if ((doc = json_load_file(argv[optind], 0, &jerr)) == NULL)
			fatalx("%s: %s", argv[optind], jerr.text);
		tr = json_string_value(json_object_get(doc, "transition"));
		for (i = 0; i < count; i++) {
			copy = json_deep_copy(doc);
			if (count > 1) {
				json_object_set_new(json_object_get(copy,
				    "violation"), "id", json_integer(1000 + i));
				key = xprintf("v%lld.o1.%s", (long long)(1000 + i),
				    tr != NULL ? tr : "open");
				json_object_set_new(copy, "key",
				    json_string(key));
				free(key);
				json_object_set_new(json_object_get(copy,
				    "violation"), "occurrence", json_integer(1));
			}
			if (notify_enqueue(v.notify, v.store, copy, initial,
			    &cause) != 0)
				fatalx("%s: %s", argv[optind], cause);
			json_decref(copy);
			n++;
		}
		json_decref(doc);
	}
	if (end && notify_sweep_end(v.notify, v.store, &cause) != 0)
		fatalx("%s", cause);
	if (store_commit(v.store, &cause) != 0)
		fatalx("%s", cause);
	printf("%d transition%s enqueued\n", n, n == 1 ? "" : "s");
	notify_free(v.notify);
	http_free(v.http);
	store_close(v.store);
	event_base_free(v.base);
	config_free(v.conf);
	return 0;
}
