/*
 * aws-protocol.h: what the files of the AWS codec share among themselves
 * (aws-codec.c, aws-protocol-*.c).  Not for other callers: use
 * aws-codec.h.
 */
#ifndef AWS_PROTOCOL_H
#define AWS_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aws-codec.h"
#include "vigil.h"

/* A growing string. */
struct aws_buf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

/* A moment: seconds since the epoch and microseconds. */
struct aws_time {
	int64_t	 sec;
	int	 usec;
};

/* What a decoder carries down a document. */
struct aws_dec {
	int			 flags;		/* AWS_DECODE_* */
	enum aws_protocol	 proto;
	bool			 s3_200;	/* an <Error> root is an error */
};

/* aws-codec.c: shared helpers. */
void	 aws_buf_add(struct aws_buf *, const void *, size_t);
void	 aws_buf_str(struct aws_buf *, const char *);
void	 aws_buf_printf(struct aws_buf *, const char *, ...)
	    VIGIL_PRINTFLIKE(2, 3);
char	*aws_buf_take(struct aws_buf *, size_t *);
void	 aws_buf_quote(struct aws_buf *, const char *, size_t, const char *,
	    bool);
void	 aws_headers_add(struct http_header **, size_t *, const char *,
	    const char *);
const char *aws_headers_get(const struct http_header *, size_t,
	    const char *);

int	 aws_py_int(const char *, size_t, json_int_t *);
int	 aws_py_float(const char *, size_t, double *);
void	 aws_py_float_repr(double, char *, size_t);
bool	 aws_py_truthy(json_t *);
char	*aws_py_str(json_t *);

char	*aws_base64_encode(const void *, size_t);
char	*aws_base64_decode(const char *, size_t, size_t *);

int	 aws_time_parse(const char *, size_t, struct aws_time *);
int	 aws_time_from_json(json_t *, struct aws_time *);
char	*aws_time_format(const struct aws_time *, enum aws_tsformat);
int	 aws_time_render(json_t *, const char *, size_t, int, json_t **,
	    char **);
char	*aws_utf8_repair(const char *, size_t, size_t *);

const char *aws_codec_reason(long);
int	 aws_codec_check(const struct aws_ref *, json_t *, const char *,
	    char **);

/* aws-protocol-xml.c: XML documents and the XML protocols' values. */
struct aws_xml;
struct aws_xml_node;

struct aws_xml	*aws_xml_parse(const char *, size_t, char **);
struct aws_xml	*aws_xml_empty(void);
void		 aws_xml_free(struct aws_xml *);
const struct aws_xml_node *aws_xml_root(const struct aws_xml *);
const char	*aws_xml_tag(const struct aws_xml_node *);
const char	*aws_xml_text(const struct aws_xml_node *, size_t *);
bool		 aws_xml_has_text(const struct aws_xml_node *);
const struct aws_xml_node *aws_xml_child(const struct aws_xml_node *,
		    const char *, size_t *);
const struct aws_xml_node *aws_xml_first(const struct aws_xml_node *);
const struct aws_xml_node *aws_xml_next(const struct aws_xml_node *);
int		 aws_xml_value(const struct aws_dec *, const struct aws_ref *,
		    const struct aws_xml_node *, size_t, json_t **, char **);
json_t		*aws_xml_dict(const struct aws_xml_node *);
int		 aws_xml_body(const struct aws_ref *, json_t *,
		    struct aws_buf *, char **);
int		 aws_xml_scalar(const struct aws_dec *, const struct aws_ref *,
		    const char *, size_t, json_t **, char **);

/* aws-protocol-query.c: query and ec2. */
int	 aws_protocol_query_serialise(const struct aws_op *, json_t *,
	    struct aws_request *, char **);
int	 aws_protocol_query_decode(const struct aws_dec *,
	    const struct aws_op *, const struct aws_answer *, json_t **,
	    char **);
int	 aws_protocol_query_error(bool, const struct aws_answer *,
	    struct aws_error *);

/* aws-protocol-json.c: json, and the JSON of rest-json. */
int	 aws_protocol_json_serialise(const struct aws_op *, json_t *,
	    struct aws_request *, char **);
int	 aws_protocol_json_decode(const struct aws_dec *,
	    const struct aws_op *, const struct aws_answer *, json_t **,
	    char **);
int	 aws_protocol_json_error(bool, const struct aws_answer *,
	    struct aws_error *);
json_t	*aws_protocol_json_body(const struct aws_answer *, char **);
int	 aws_protocol_json_value(const struct aws_dec *,
	    const struct aws_ref *, json_t *, json_t **, char **);
int	 aws_protocol_json_params(const struct aws_ref *, json_t *,
	    json_t **, char **);

/* aws-protocol-rest.c: rest-json and rest-xml. */
int	 aws_protocol_rest_serialise(const struct aws_op *, json_t *,
	    struct aws_request *, char **);
int	 aws_protocol_rest_decode(const struct aws_dec *,
	    const struct aws_op *, const struct aws_answer *, json_t **,
	    char **);
int	 aws_protocol_rest_xml_error(const struct aws_answer *,
	    struct aws_error *);

#endif /* AWS_PROTOCOL_H */
