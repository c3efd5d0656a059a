/*
 * gz.c: gzip decompression with a size cap.
 *
 * The input comes from S3 objects anyone with write access to the bucket
 * could have made, so the output is capped: a few kilobytes of gzip can
 * inflate to gigabytes.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#include "vigil.h"
#include "gz.h"

/* Does the buffer start with the gzip magic (RFC 1952)? */
bool
gz_is_gzip(const void *buf, size_t len)
{
	const unsigned char	*p = buf;

	return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/*
 * Inflate gzip data (every member of a multi-member file, as gzip -d does)
 * into a NUL-terminated buffer of at most max bytes.  On failure return -1
 * and a cause the caller frees.
 */
int
gz_inflate(const void *in, size_t inlen, size_t max, char **out,
    size_t *outlen, char **cause)
{
	z_stream		 zs;
	const unsigned char	*next = in;
	size_t			 left = inlen, size, len = 0, chunk;
	char			*buf;
	int			 r;

	*out = NULL;
	if (max > SIZE_MAX / 4)
		max = SIZE_MAX / 4;
	if (!gz_is_gzip(in, inlen)) {
		*cause = xstrdup("not gzip data");
		return -1;
	}
	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 15 + 16) != Z_OK) {	/* gzip only */
		*cause = xstrdup("inflateInit2 failed");
		return -1;
	}

	/* Guess four times the input; one byte more than max says too large. */
	size = inlen < (max + 2) / 4 ? inlen * 4 + 64 : max + 2;
	if (size > max + 2)
		size = max + 2;
	buf = xmalloc(size);
	for (;;) {
		if (zs.avail_in == 0 && left > 0) {
			chunk = left > UINT_MAX ? UINT_MAX : left;
			zs.next_in = next;
			zs.avail_in = (uInt)chunk;
			next += chunk;
			left -= chunk;
		}
		if (len + 1 >= size) {
			if (size >= max + 2) {
				*cause = xprintf("inflates to more than %zu "
				    "bytes", max);
				goto fail;
			}
			size = size > (max + 2) / 2 ? max + 2 : size * 2;
			buf = xrealloc(buf, size);
		}
		chunk = size - len - 1;
		if (chunk > UINT_MAX)
			chunk = UINT_MAX;
		zs.next_out = (unsigned char *)buf + len;
		zs.avail_out = (uInt)chunk;
		r = inflate(&zs, Z_NO_FLUSH);
		len += chunk - zs.avail_out;
		if (len > max) {
			*cause = xprintf("inflates to more than %zu bytes",
			    max);
			goto fail;
		}
		if (r == Z_STREAM_END) {
			if (zs.avail_in == 0 && left == 0)
				break;
			if (zs.avail_in == 0) {
				chunk = left > UINT_MAX ? UINT_MAX : left;
				zs.next_in = next;
				zs.avail_in = (uInt)chunk;
				next += chunk;
				left -= chunk;
			}
			/* Another member, or garbage. */
			if (!gz_is_gzip(zs.next_in, zs.avail_in)) {
				*cause = xstrdup("trailing garbage after gzip "
				    "data");
				goto fail;
			}
			if (inflateReset(&zs) != Z_OK) {
				*cause = xstrdup("inflateReset failed");
				goto fail;
			}
			continue;
		}
		if (r == Z_BUF_ERROR && zs.avail_in == 0 && left == 0) {
			*cause = xstrdup("truncated gzip data");
			goto fail;
		}
		if (r != Z_OK && r != Z_BUF_ERROR) {
			*cause = xprintf("corrupt gzip data: %s",
			    zs.msg != NULL ? zs.msg : zError(r));
			goto fail;
		}
	}
	inflateEnd(&zs);
	buf[len] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = len;
	return 0;

fail:
	inflateEnd(&zs);
	free(buf);
	return -1;
}

/*
 * zlib format (RFC 1950), for what vigil compresses itself (old versions
 * of asset documents).  Never fails but on out-of-memory.
 */
char *
zlib_deflate(const void *in, size_t len, size_t *outlen)
{
	uLongf	 n = compressBound((uLong)len);
	char	*out;

	out = xmalloc(n > 0 ? n : 1);
	if (compress2((Bytef *)out, &n, in, (uLong)len, 1) != Z_OK)
		fatalx("zlib compress2 failed");
	*outlen = n;
	return out;
}

/* The inverse, up to max bytes; NULL with a cause when it cannot. */
char *
zlib_inflate(const void *in, size_t len, size_t max, size_t *outlen,
    char **cause)
{
	z_stream	 zs;
	char		*out = NULL;
	size_t		 size = len * 4 + 64, have = 0;
	int		 rc;

	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		fatalx("zlib inflateInit failed");
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	for (;;) {
		if (size > max + 1)
			size = max + 1;
		out = xrealloc(out, size + 1);
		zs.next_out = (Bytef *)out + have;
		zs.avail_out = (uInt)(size - have);
		rc = inflate(&zs, Z_NO_FLUSH);
		have = size - zs.avail_out;
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			*cause = xprintf("zlib: %s", zs.msg != NULL ? zs.msg :
			    "corrupt data");
			goto fail;
		}
		if (have > max) {
			*cause = xprintf("inflates to more than %zu bytes", max);
			goto fail;
		}
		if (zs.avail_in == 0 && rc == Z_BUF_ERROR) {
			*cause = xstrdup("zlib: truncated data");
			goto fail;
		}
		if (zs.avail_out == 0)
			size *= 2;
	}
	inflateEnd(&zs);
	out[have] = '\0';
	*outlen = have;
	return out;
fail:
	inflateEnd(&zs);
	free(out);
	return NULL;
}
