/*
 * check_jscan.c: the JSON scanner, against jansson as an oracle: the classic
 * edge cases (in the manner of JSONTestSuite: y_ accepted, n_ refused),
 * every prefix of a document, random mutations, every file of the shared
 * corpus; then the walk, lookup and decoding functions.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>

#include "check_vigil.h"
#include "jscan.h"

/* jansson's verdict on a whole document. */
static bool
jansson_accepts(const char *buf, size_t len, char *why, size_t whylen)
{
	json_error_t	 err;
	json_t		*j;

	j = json_loadb(buf, len, JSON_DECODE_ANY, &err);
	if (j == NULL) {
		if (why != NULL)
			snprintf(why, whylen, "%s", err.text);
		return false;
	}
	json_decref(j);
	return true;
}

static bool
jscan_accepts(const char *buf, size_t len)
{
	char	*cause = NULL;
	int	 r;

	r = jscan_validate(buf, len, &cause);
	free(cause);
	return r == 0;
}

/*
 * Where jscan and jansson differ on purpose (see jscan.h): jansson refuses
 * numbers that overflow a double or a long long, and nests to 2048.
 */
static bool
known_difference(const char *jansson_why)
{
	return strstr(jansson_why, "overflow") != NULL ||
	    strstr(jansson_why, "too big") != NULL ||
	    strstr(jansson_why, "maximum parsing depth") != NULL;
}

#define C(s)	s, sizeof s - 1
static const struct {
	const char	*name;
	const char	*text;
	size_t		 len;
	bool		 valid;
	bool		 differs;	/* jansson disagrees, on purpose */
} cases[] = {
	/* Structure. */
	{ "y_empty_array", C("[]"), true, false },
	{ "y_empty_object", C("{}"), true, false },
	{ "y_nested", C("{\"a\":[{\"b\":null},[],{}]}"), true, false },
	{ "y_ws_around", C(" \t\r\n[1]\n "), true, false },
	{ "y_ws_inside", C("{ \"a\" : [ 1 , 2 ] }"), true, false },
	{ "y_duplicate_keys", C("{\"a\":1,\"a\":2}"), true, false },
	{ "y_empty_key", C("{\"\":0}"), true, false },
	{ "y_scalar_string", C("\"x\""), true, false },
	{ "y_scalar_number", C("42"), true, false },
	{ "y_scalar_null", C("null"), true, false },
	{ "y_literals", C("[true,false,null]"), true, false },
	{ "n_empty", C(""), false, false },
	{ "n_only_ws", C("  \n"), false, false },
	{ "n_trailing_comma_array", C("[1,]"), false, false },
	{ "n_trailing_comma_object", C("{\"a\":1,}"), false, false },
	{ "n_leading_comma", C("[,1]"), false, false },
	{ "n_double_comma", C("[1,,2]"), false, false },
	{ "n_lone_comma", C("[,]"), false, false },
	{ "n_object_comma", C("{,}"), false, false },
	{ "n_missing_comma", C("[1 2]"), false, false },
	{ "n_missing_colon", C("{\"a\" 1}"), false, false },
	{ "n_missing_value", C("{\"a\":}"), false, false },
	{ "n_key_only", C("{\"a\"}"), false, false },
	{ "n_number_key", C("{1:1}"), false, false },
	{ "n_bare_key", C("{a:1}"), false, false },
	{ "n_single_quotes", C("{'a':1}"), false, false },
	{ "n_unclosed_array", C("[1"), false, false },
	{ "n_unclosed_object", C("{\"a\":1"), false, false },
	{ "n_extra_close", C("[1]]"), false, false },
	{ "n_extra_close_object", C("{\"a\":1}}"), false, false },
	{ "n_mismatched", C("[1}"), false, false },
	{ "n_mismatched2", C("{\"a\":1]"), false, false },
	{ "n_open_only", C("["), false, false },
	{ "n_close_only", C("]"), false, false },
	{ "n_trailing_garbage", C("[1]x"), false, false },
	{ "n_two_values", C("[1] [2]"), false, false },
	{ "n_trailing_nul", C("[1]\0"), false, false },
	{ "n_bom", C("\xef\xbb\xbf{}"), false, false },
	{ "n_form_feed_ws", C("[\f1]"), false, false },
	{ "n_comment", C("[1/*x*/]"), false, false },
	/* Literals. */
	{ "n_true_capital", C("[True]"), false, false },
	{ "n_tru", C("[tru]"), false, false },
	{ "n_nul", C("nul"), false, false },
	{ "n_truex", C("truex"), false, false },
	{ "n_nulll", C("[nulll]"), false, false },
	{ "n_nan", C("[NaN]"), false, false },
	{ "n_infinity", C("[Infinity]"), false, false },
	{ "n_minus_infinity", C("[-Infinity]"), false, false },
	/* Numbers. */
	{ "y_zero", C("[0]"), true, false },
	{ "y_minus_zero", C("[-0]"), true, false },
	{ "y_minus_zero_float", C("[-0.0e-0]"), true, false },
	{ "y_exp_capital_plus", C("[1E+2]"), true, false },
	{ "y_exp_minus", C("[1.5e-3]"), true, false },
	{ "y_zero_exp", C("[0e1]"), true, false },
	{ "y_tiny", C("[1e-400]"), true, false },
	{ "y_int64_max", C("[9223372036854775807]"), true, false },
	{ "n_leading_zero", C("[012]"), false, false },
	{ "n_minus_leading_zero", C("[-012]"), false, false },
	{ "n_leading_zero_top", C("00"), false, false },
	{ "n_plus", C("[+1]"), false, false },
	{ "n_minus_only", C("[-]"), false, false },
	{ "n_double_minus", C("[--1]"), false, false },
	{ "n_dot_first", C("[.5]"), false, false },
	{ "n_dot_last", C("[1.]"), false, false },
	{ "n_dot_exp", C("[0.e1]"), false, false },
	{ "n_exp_empty", C("[1e]"), false, false },
	{ "n_exp_sign_only", C("[1e+]"), false, false },
	{ "n_exp_fraction", C("[1e1.5]"), false, false },
	{ "n_two_dots", C("[1.2.3]"), false, false },
	{ "n_hex", C("[0x42]"), false, false },
	{ "n_space_in_number", C("[1 000]"), false, false },
	{ "n_minus_space", C("[- 1]"), false, false },
	/* Valid JSON that jansson refuses: it converts numbers as it reads. */
	{ "y_huge_exp", C("[1e999]"), true, true },
	{ "y_huge_negative_exp", C("[-1e999]"), true, true },
	{ "y_above_double", C("[1.8e308]"), true, true },
	{ "y_huge_int", C("[123456789012345678901234567890]"), true, true },
	{ "y_huge_negative_int", C("[-123456789012345678901234567890]"),
	    true, true },
	/* Strings and escapes. */
	{ "y_escapes", C("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"), true, false },
	{ "y_u_escape", C("[\"\\u00e9\\u20AC\"]"), true, false },
	{ "y_u_0001", C("[\"\\u0001\"]"), true, false },
	{ "y_surrogate_pair", C("[\"\\ud834\\udd1e\"]"), true, false },
	{ "y_surrogate_pair_upper", C("[\"\\uD83D\\uDE00\"]"), true, false },
	{ "y_del", C("[\"\x7f\"]"), true, false },
	{ "y_utf8_2", C("[\"\xc3\xa9\"]"), true, false },
	{ "y_utf8_3", C("[\"\xe2\x82\xac\"]"), true, false },
	{ "y_utf8_4", C("[\"\xf0\x9f\x98\x80\"]"), true, false },
	{ "y_utf8_max", C("[\"\xf4\x8f\xbf\xbf\"]"), true, false },
	{ "y_utf8_ed_ok", C("[\"\xed\x9f\xbf\"]"), true, false },
	{ "n_u0000", C("[\"\\u0000\"]"), false, false },
	{ "n_lone_high", C("[\"\\ud834\"]"), false, false },
	{ "n_lone_low", C("[\"\\udd1e\"]"), false, false },
	{ "n_high_then_char", C("[\"\\ud834x\"]"), false, false },
	{ "n_high_then_bmp", C("[\"\\ud834\\u0041\"]"), false, false },
	{ "n_high_high", C("[\"\\ud834\\ud834\"]"), false, false },
	{ "n_short_u", C("[\"\\u12\"]"), false, false },
	{ "n_bad_hex", C("[\"\\uGGGG\"]"), false, false },
	{ "n_bad_escape_x", C("[\"\\x41\"]"), false, false },
	{ "n_bad_escape_quote", C("[\"\\'\"]"), false, false },
	{ "n_bad_escape_a", C("[\"\\a\"]"), false, false },
	{ "n_bad_escape_U", C("[\"\\U0041\"]"), false, false },
	{ "n_escaped_end", C("[\"\\\"]"), false, false },
	{ "n_unterminated", C("[\"abc]"), false, false },
	{ "n_raw_tab", C("[\"a\tb\"]"), false, false },
	{ "n_raw_newline", C("[\"a\nb\"]"), false, false },
	{ "n_raw_nul", C("[\"a\0b\"]"), false, false },
	{ "n_raw_0x1f", C("[\"\x1f\"]"), false, false },
	{ "n_utf8_truncated", C("[\"\xc3\"]"), false, false },
	{ "n_utf8_continuation", C("[\"\x80\"]"), false, false },
	{ "n_utf8_overlong_2", C("[\"\xc0\xaf\"]"), false, false },
	{ "n_utf8_overlong_c1", C("[\"\xc1\xbf\"]"), false, false },
	{ "n_utf8_overlong_3", C("[\"\xe0\x80\xaf\"]"), false, false },
	{ "n_utf8_overlong_4", C("[\"\xf0\x80\x80\xaf\"]"), false, false },
	{ "n_utf8_surrogate", C("[\"\xed\xa0\x80\"]"), false, false },
	{ "n_utf8_above_max", C("[\"\xf4\x90\x80\x80\"]"), false, false },
	{ "n_utf8_5byte", C("[\"\xf8\x88\x80\x80\x80\"]"), false, false },
	{ "n_utf8_ff", C("[\"\xff\"]"), false, false },
	{ "n_utf8_bad_second", C("[\"\xe2\x28\xa1\"]"), false, false },
	{ "n_utf8_outside_string", C("[\xc3\xa9]"), false, false },
};
#undef C

START_TEST(test_cases_against_jansson)
{
	char	 why[JSON_ERROR_TEXT_LENGTH];
	size_t	 i;
	bool	 ours, theirs;

	for (i = 0; i < nitems(cases); i++) {
		ours = jscan_accepts(cases[i].text, cases[i].len);
		theirs = jansson_accepts(cases[i].text, cases[i].len, why,
		    sizeof why);
		ck_assert_msg(ours == cases[i].valid, "%s: jscan says %s",
		    cases[i].name, ours ? "valid" : "invalid");
		ck_assert_msg((theirs != ours) == cases[i].differs,
		    "%s: jansson says %s (%s)", cases[i].name,
		    theirs ? "valid" : "invalid", theirs ? "" : why);
		if (cases[i].differs)
			ck_assert_msg(known_difference(why), "%s: %s",
			    cases[i].name, why);
	}
	printf("jscan: %zu edge cases agree with jansson (5 number cases "
	    "differ on purpose)\n", nitems(cases));
}
END_TEST

static char *
nested(size_t depth, char open, char close)
{
	char	*s;
	size_t	 i;

	s = xmalloc(2 * depth + 1);
	for (i = 0; i < depth; i++) {
		s[i] = open;
		s[2 * depth - 1 - i] = close;
	}
	s[2 * depth] = '\0';
	return s;
}

START_TEST(test_depth)
{
	char	*s, *cause = NULL, why[JSON_ERROR_TEXT_LENGTH];
	size_t	 i, len;

	s = nested(JSCAN_MAX_DEPTH, '[', ']');
	ck_assert(jscan_accepts(s, strlen(s)));
	free(s);

	s = nested(JSCAN_MAX_DEPTH + 1, '[', ']');
	ck_assert_int_eq(jscan_validate(s, strlen(s), &cause), -1);
	ck_assert_str_eq(cause, "malformed JSON at byte 256: nesting too deep");
	free(cause);
	/* Deeper than we allow but within jansson's 2048: on purpose. */
	ck_assert(jansson_accepts(s, strlen(s), NULL, 0));
	free(s);

	/* Objects count too. */
	len = 0;
	s = xmalloc(6 * 300 + 10);
	for (i = 0; i < 300; i++)
		len += (size_t)sprintf(s + len, "{\"a\":");
	len += (size_t)sprintf(s + len, "1");
	for (i = 0; i < 300; i++)
		s[len++] = '}';
	ck_assert(!jscan_accepts(s, len));
	free(s);

	/* Far beyond both limits: both refuse, neither crashes. */
	s = nested(100000, '[', ']');
	ck_assert(!jscan_accepts(s, strlen(s)));
	ck_assert(!jansson_accepts(s, strlen(s), why, sizeof why));
	free(s);
	s = nested(100000, '[', ' ');
	ck_assert(!jscan_accepts(s, strlen(s)));
	free(s);
}
END_TEST

START_TEST(test_error_offsets)
{
	static const struct {
		const char	*text;
		const char	*cause;
	} errs[] = {
		{ "[1,]", "malformed JSON at byte 3: expected a value" },
		{ "{\"a\" 1}", "malformed JSON at byte 5: expected ':'" },
		{ "{\"a\":1,}",
		    "malformed JSON at byte 7: expected a string key" },
		{ "[\"a\x01\"]",
		    "malformed JSON at byte 3: control character in string" },
		{ "[\"\\q\"]", "malformed JSON at byte 2: invalid escape in "
		    "string" },
		{ "[\"\\ud800\"]", "malformed JSON at byte 2: lone high "
		    "surrogate" },
		{ "[\"\\udc00\"]", "malformed JSON at byte 2: lone low "
		    "surrogate" },
		{ "[\"\\u0000\"]", "malformed JSON at byte 2: \\u0000 is not "
		    "allowed" },
		{ "[\"\xc0\xaf\"]",
		    "malformed JSON at byte 2: invalid UTF-8 in string" },
		{ "[012]", "malformed JSON at byte 1: leading zero in number" },
		{ "[1.]", "malformed JSON at byte 1: invalid number" },
		{ "[tru]", "malformed JSON at byte 1: invalid literal" },
		{ "[1 2]", "malformed JSON at byte 3: expected ',' or ']'" },
		{ "{\"a\":1 \"b\":2}",
		    "malformed JSON at byte 7: expected ',' or '}'" },
		{ "[1] x", "malformed JSON at byte 4: "
		    "trailing characters after JSON" },
		{ "[\"abc", "malformed JSON at byte 5: unterminated string" },
		{ "[1,", "malformed JSON at byte 3: unexpected end of input" },
		{ "", "malformed JSON at byte 0: unexpected end of input" },
	};
	char	*cause;
	size_t	 i;

	for (i = 0; i < nitems(errs); i++) {
		cause = NULL;
		ck_assert_int_eq(jscan_validate(errs[i].text,
		    strlen(errs[i].text), &cause), -1);
		ck_assert_str_eq(cause, errs[i].cause);
		free(cause);
	}
}
END_TEST

static const char sample[] =
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\","
    "\"principalId\":\"AROAEXAMPLE:s\",\"arn\":\"arn:aws:sts::111122223333:"
    "assumed-role/Admin/s\",\"sessionContext\":{\"sessionIssuer\":{\"type\":"
    "\"Role\",\"arn\":\"arn:aws:iam::111122223333:role/Admin\"},"
    "\"attributes\":{\"mfaAuthenticated\":\"false\"}}},\"eventTime\":"
    "\"2024-01-02T03:04:05Z\",\"eventSource\":\"ec2.amazonaws.com\","
    "\"eventName\":\"AuthorizeSecurityGroupIngress\",\"requestParameters\":"
    "{\"groupId\":\"sg-1\",\"ipPermissions\":{\"items\":[{\"ipProtocol\":"
    "\"tcp\",\"fromPort\":22,\"toPort\":22,\"ipRanges\":{\"items\":[{"
    "\"cidrIp\":\"0.0.0.0/0\"}]}}]}},\"responseElements\":{\"_return\":true,"
    "\"n\":-1.5e3},\"readOnly\":false,\"note\":\"caf\\u00e9 \\ud83d\\ude00 "
    "\\\"q\\\" \\/\\\\\",\"utf8\":\"\xc3\xa9\xe2\x82\xac\"}";

/* Every prefix of a document is malformed, to both. */
START_TEST(test_every_prefix)
{
	size_t	 len = sizeof sample - 1, n;
	char	*copy;

	ck_assert(jscan_accepts(sample, len));
	ck_assert(jansson_accepts(sample, len, NULL, 0));
	for (n = 0; n < len; n++) {
		/* An exact-size copy, so that ASan sees any overread. */
		copy = n > 0 ? xmalloc(n) : NULL;
		if (n > 0)
			memcpy(copy, sample, n);
		ck_assert_msg(!jscan_accepts(copy, n), "prefix %zu", n);
		ck_assert(!jansson_accepts(copy, n, NULL, 0));
		free(copy);
	}
}
END_TEST

/* A small deterministic generator, so a failure can be replayed. */
static uint64_t
rnd(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* Random edits of valid documents: jscan's verdict is jansson's. */
START_TEST(test_mutations_against_jansson)
{
	static const char alphabet[] = "{}[]\",:\\/0123456789-+.eEtrufalsn "
	    "\t\n\x01\x7f\x80\xbf\xc3\xed\xf0\xf4\xffu";
	static const char *const docs[] = {
		sample,
		"[1,-2.5e+3,\"\\u00e9\\ud83d\\ude00\",true,false,null,{}]",
		"{\"Records\":[{\"a\":\"\\\"\",\"b\":[[]],\"c\":0}]}",
	};
	char		 buf[4096], why[JSON_ERROR_TEXT_LENGTH];
	uint64_t	 state = 0x9e3779b97f4a7c15ULL;
	size_t		 len, pos, i, n = 0, valid = 0, differ = 0;
	int		 edits;
	bool		 ours, theirs;

	for (i = 0; i < 30000; i++) {
		const char *doc = docs[i % nitems(docs)];

		len = strlen(doc);
		memcpy(buf, doc, len);
		for (edits = 1 + (int)(rnd(&state) % 3); edits > 0; edits--) {
			pos = len > 0 ? rnd(&state) % len : 0;
			switch (rnd(&state) % 3) {
			case 0:		/* replace */
				if (len > 0)
					buf[pos] = alphabet[rnd(&state) %
					    (sizeof alphabet - 1)];
				break;
			case 1:		/* delete */
				if (len > 0) {
					memmove(buf + pos, buf + pos + 1,
					    len - pos - 1);
					len--;
				}
				break;
			default:	/* insert */
				if (len + 1 < sizeof buf) {
					memmove(buf + pos + 1, buf + pos,
					    len - pos);
					buf[pos] = alphabet[rnd(&state) %
					    (sizeof alphabet - 1)];
					len++;
				}
				break;
			}
		}
		ours = jscan_accepts(buf, len);
		theirs = jansson_accepts(buf, len, why, sizeof why);
		n++;
		valid += ours;
		if (ours != theirs) {
			ck_assert_msg(ours && known_difference(why),
			    "mutation %zu: jscan %s, jansson %s (%s): %.*s", i,
			    ours ? "accepts" : "refuses",
			    theirs ? "accepts" : "refuses", why, (int)len, buf);
			differ++;
		}
	}
	printf("jscan: %zu mutated documents (%zu valid), same verdict as "
	    "jansson except %zu number overflows\n", n, valid, differ);
}
END_TEST

/* Every file of the shared corpus: the same verdict as jansson. */
START_TEST(test_corpus_against_jansson)
{
	static const char *const dirs[] = { "cloudtrail", "aws-config",
	    "azure", "aws-api" };
	const char	*shared = getenv("VIGIL_SHARED");
	char		**paths = NULL, *base, *buf, *cause, why[256];
	size_t		 n = 0, i, d, len, valid = 0;
	bool		 ours, theirs;

	if (shared == NULL || *shared == '\0') {
		printf("jscan: no shared corpus (VIGIL_SHARED unset): corpus "
		    "comparison skipped\n");
		return;
	}
	for (d = 0; d < nitems(dirs); d++) {
		char	**more;
		size_t	  m, k;

		base = xprintf("%s/testdata/%s", shared, dirs[d]);
		more = dir_files(base, 16, &m);
		paths = xreallocarray(paths, n + m + 1, sizeof *paths);
		for (k = 0; k < m; k++)
			paths[n++] = more[k];
		free(more);
		free(base);
	}
	if (n == 0) {
		printf("jscan: no corpus under %s/testdata: corpus comparison "
		    "skipped\n", shared);
		return;
	}
	for (i = 0; i < n; i++) {
		buf = read_file(paths[i], 64 << 20, &len, &cause);
		if (buf == NULL) {
			ck_abort_msg("%s", cause);
			free(cause);
			continue;
		}
		ours = jscan_accepts(buf, len);
		theirs = jansson_accepts(buf, len, why, sizeof why);
		ck_assert_msg(ours == theirs || (ours && known_difference(why)),
		    "%s: jscan %s, jansson %s", paths[i],
		    ours ? "accepts" : "refuses", theirs ? "accepts" : why);
		valid += ours;
		free(buf);
		free(paths[i]);
	}
	printf("jscan: %zu corpus files, %zu valid JSON, same verdict as "
	    "jansson\n", n, valid);
	free(paths);
}
END_TEST

START_TEST(test_walk)
{
	const char		*doc =
	    " {\"a\": [1, {\"b\": \"x\"}, []], \"c\": null, \"a\": true } ";
	struct jscan		 j;
	struct jscan_iter	 it, ai;
	struct jscan_value	 key, v, obj;
	enum jscan_type		 type;
	int			 r, n = 0, elems = 0;

	jscan_init(&j, doc, strlen(doc));
	ck_assert_int_eq(jscan_peek(&j, &type), 0);
	ck_assert_int_eq(type, JSCAN_OBJECT);
	ck_assert_int_eq(jscan_object_begin(&j, &it), 0);
	while ((r = jscan_object_next(&it, &key)) == 1) {
		if (n++ == 0) {
			ck_assert(jscan_string_eq(doc, &key, "a"));
			ck_assert_int_eq(jscan_array_begin(&j, &ai), 0);
			while ((r = jscan_array_next(&ai)) == 1) {
				ck_assert_int_eq(jscan_value(&j, &v), 0);
				elems++;
			}
			ck_assert_int_eq(r, 0);
		} else
			ck_assert_int_eq(jscan_value(&j, &v), 0);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(elems, 3);
	ck_assert_int_eq(j.depth, 0);
	ck_assert_int_eq(jscan_end(&j), 0);

	/* Lookup: the last duplicate wins, as in jansson. */
	jscan_init(&j, doc, strlen(doc));
	ck_assert_int_eq(jscan_value(&j, &obj), 0);
	ck_assert_int_eq(obj.type, JSCAN_OBJECT);
	ck_assert_uint_eq(obj.off, 1);
	ck_assert_uint_eq(obj.len, strlen(doc) - 2);
	ck_assert_int_eq(jscan_member(doc, &obj, "a", &v), 1);
	ck_assert_int_eq(v.type, JSCAN_TRUE);
	ck_assert_int_eq(jscan_member(doc, &obj, "c", &v), 1);
	ck_assert_int_eq(v.type, JSCAN_NULL);
	ck_assert_int_eq(jscan_member(doc, &obj, "zz", &v), 0);
	ck_assert_int_eq(jscan_member(doc, &v, "zz", &v), -1);

	/* Walk errors: a trailing comma inside an iterated array. */
	jscan_init(&j, "[1,]", 4);
	ck_assert_int_eq(jscan_array_begin(&j, &ai), 0);
	ck_assert_int_eq(jscan_array_next(&ai), 1);
	ck_assert_int_eq(jscan_value(&j, &v), 0);
	ck_assert_int_eq(jscan_array_next(&ai), 1);
	ck_assert_int_eq(jscan_value(&j, &v), -1);
	ck_assert_str_eq(j.error, "expected a value");
	ck_assert_int_eq(jscan_array_next(&ai), -1);	/* the error sticks */

	jscan_init(&j, "{\"a\":1,}", 8);
	ck_assert_int_eq(jscan_object_begin(&j, &it), 0);
	ck_assert_int_eq(jscan_object_next(&it, &key), 1);
	ck_assert_int_eq(jscan_value(&j, &v), 0);
	ck_assert_int_eq(jscan_object_next(&it, &key), -1);
	ck_assert_uint_eq(j.error_off, 7);

	jscan_init(&j, "[1]", 3);
	ck_assert_int_eq(jscan_object_begin(&j, &it), -1);
	ck_assert_str_eq(j.error, "expected an object");
}
END_TEST

/* Decoded strings, against jansson's decoding of the same text. */
START_TEST(test_strings)
{
	static const char *const texts[] = {
		"\"plain\"",
		"\"\"",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		"\"caf\\u00e9 \\u20ac \\u0041\\u07ff\\u0800\\uffff\"",
		"\"\\ud83d\\ude00 \\uD834\\uDD1E \\udbff\\udfff\"",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 raw\"",
		"\"\\u0001\x7f\"",
	};
	struct jscan		 j;
	struct jscan_value	 v;
	json_t			*jv;
	json_error_t		 err;
	char			 out[256], *dup;
	size_t			 i, len;

	for (i = 0; i < nitems(texts); i++) {
		jscan_init(&j, texts[i], strlen(texts[i]));
		ck_assert_int_eq(jscan_value(&j, &v), 0);
		ck_assert_int_eq(v.type, JSCAN_STRING);
		jv = json_loads(texts[i], JSON_DECODE_ANY, &err);
		ck_assert_ptr_nonnull(jv);
		ck_assert_int_eq(jscan_string(texts[i], &v, out, sizeof out,
		    &len), 0);
		ck_assert_uint_eq(len, json_string_length(jv));
		ck_assert_mem_eq(out, json_string_value(jv), len);
		ck_assert_int_eq(out[len], '\0');
		dup = jscan_strdup(texts[i], &v);
		ck_assert_str_eq(dup, json_string_value(jv));
		free(dup);
		ck_assert(jscan_string_eq(texts[i], &v, json_string_value(jv)));
		json_decref(jv);
	}

	/* Too small a buffer fails, never overflows (19 bytes and a NUL). */
	jscan_init(&j, texts[3], strlen(texts[3]));
	ck_assert_int_eq(jscan_value(&j, &v), 0);
	for (i = 1; i <= 20; i++) {
		char *small = xmalloc(i);

		ck_assert_int_eq(jscan_string(texts[3], &v, small, i, &len),
		    i < 20 ? -1 : 0);
		free(small);
	}
	ck_assert_uint_eq(len, 19);

	/* An escaped string compared with a literal. */
	jscan_init(&j, "\"event\\u004eame\"", 16);
	ck_assert_int_eq(jscan_value(&j, &v), 0);
	ck_assert(v.escaped);
	ck_assert(jscan_string_eq(j.buf, &v, "eventName"));
	ck_assert(!jscan_string_eq(j.buf, &v, "eventNam"));
	ck_assert(!jscan_string_eq(j.buf, &v, "eventNames"));
}
END_TEST

START_TEST(test_scalars)
{
	static const char *const want[] = { "1602023962579", "id", "true",
	    NULL, NULL };
	static const struct {
		const char	*text;
		int		 ok;
		int64_t		 v;
	} ints[] = {
		{ "0", 0, 0 },
		{ "-0", 0, 0 },
		{ "42", 0, 42 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", -1, 0 },
		{ "-9223372036854775809", -1, 0 },
		{ "1.0", -1, 0 },
		{ "1e3", -1, 0 },
		{ "\"1\"", -1, 0 },
	};
	struct jscan		 j;
	struct jscan_iter	 it;
	struct jscan_value	 v;
	int64_t			 n;
	char			*s;
	size_t			 i, k = 0;

	for (i = 0; i < nitems(ints); i++) {
		jscan_init(&j, ints[i].text, strlen(ints[i].text));
		ck_assert_int_eq(jscan_value(&j, &v), 0);
		n = 0;
		ck_assert_int_eq(jscan_int64(ints[i].text, &v, &n), ints[i].ok);
		if (ints[i].ok == 0)
			ck_assert(n == ints[i].v);
	}

	/* Strings, and the text of numbers and booleans. */
	jscan_init(&j, "[1602023962579,\"id\",true,null,{}]", 33);
	ck_assert_int_eq(jscan_array_begin(&j, &it), 0);
	while (jscan_array_next(&it) == 1) {
		ck_assert_int_eq(jscan_value(&j, &v), 0);
		s = jscan_scalar_dup(j.buf, &v);
		if (want[k] == NULL)
			ck_assert_ptr_null(s);
		else
			ck_assert_str_eq(s, want[k]);
		free(s);
		k++;
	}
	ck_assert_uint_eq(k, 5);
	ck_assert_str_eq(jscan_type_name(JSCAN_OBJECT), "object");
	ck_assert_str_eq(jscan_type_name(JSCAN_FALSE), "boolean");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("jscan");
	TCase	*tc = tcase_create("jscan");

	tcase_add_test(tc, test_cases_against_jansson);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_error_offsets);
	tcase_add_test(tc, test_every_prefix);
	tcase_add_test(tc, test_mutations_against_jansson);
	tcase_add_test(tc, test_corpus_against_jansson);
	tcase_add_test(tc, test_walk);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_scalars);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return test_run(s);
}
