/*
 * check_format.c: vigilctl's tables, CSV and JSON.
 */
#include "config.h"

#include "check_vigil.h"
#include "format.h"

static const struct format_column cols[] = {
	{ "name", "NAME", false },
	{ "count", "COUNT", true },
	{ "note", "NOTE", false },
};

static char *
render_rows(enum format fmt, const char *json)
{
	json_t	*rows;
	char	*out = NULL;
	size_t	 len;
	FILE	*f;

	rows = json_loads(json, 0, NULL);
	ck_assert_ptr_nonnull(rows);
	f = open_memstream(&out, &len);
	format_rows(f, fmt, rows, cols, nitems(cols));
	fclose(f);
	json_decref(rows);
	return out;
}

START_TEST(test_table)
{
	char	*out;

	out = render_rows(FORMAT_TABLE, "[{\"name\": \"alpha\", \"count\": 5, "
	    "\"note\": \"x\"}, {\"name\": \"b\", \"count\": 1234, \"note\": "
	    "\"two\\nlines\"}, {\"name\": \"\u00e9t\u00e9\", \"count\": null}]");
	ck_assert_str_eq(out,
	    "NAME   COUNT  NOTE\n"
	    "alpha      5  x\n"
	    "b       1234  two lines\n"
	    "\u00e9t\u00e9\n");
	free(out);
}
END_TEST

START_TEST(test_csv)
{
	char	*out;

	out = render_rows(FORMAT_CSV, "[{\"name\": \"a,b\", \"count\": 1, "
	    "\"note\": \"say \\\"hi\\\"\"}, {\"name\": \"c\", \"count\": true}]");
	ck_assert_str_eq(out,
	    "name,count,note\n"
	    "\"a,b\",1,\"say \"\"hi\"\"\"\n"
	    "c,yes,\n");
	free(out);
}
END_TEST

START_TEST(test_json)
{
	char	*out;
	json_t	*back;

	out = render_rows(FORMAT_JSON, "[{\"name\": \"a\", \"extra\": [1]}]");
	back = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(json_array_size(back), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(
	    json_array_get(back, 0), "extra"), 0)), 1);
	json_decref(back);
	free(out);
}
END_TEST

START_TEST(test_object)
{
	json_t	*o;
	char	*out = NULL;
	size_t	 len;
	FILE	*f;

	o = json_loads("{\"state\": \"ready\", \"database\": {\"path\": "
	    "\"/x.db\", \"schema_version\": 1}, \"feeds\": [], \"ok\": false}",
	    0, NULL);
	f = open_memstream(&out, &len);
	format_object(f, FORMAT_TABLE, o);
	fclose(f);
	ck_assert_str_eq(out,
	    "state                    ready\n"
	    "database.path            /x.db\n"
	    "database.schema_version  1\n"
	    "feeds                    []\n"
	    "ok                       no\n");
	free(out);
	f = open_memstream(&out, &len);
	format_object(f, FORMAT_CSV, o);
	fclose(f);
	ck_assert_str_eq(out, "key,value\nstate,ready\ndatabase.path,/x.db\n"
	    "database.schema_version,1\nfeeds,[]\nok,no\n");
	free(out);
	json_decref(o);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("format");
	TCase	*tc = tcase_create("format");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_object);
	suite_add_tcase(s, tc);
	return test_run(s);
}
