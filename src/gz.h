/*
 * gz.h: gzip decompression with a size cap (CloudTrail and AWS Config
 * deliver their log files to S3 as .json.gz).
 */
#ifndef GZ_H
#define GZ_H

#include <stdbool.h>
#include <stddef.h>

bool	 gz_is_gzip(const void *, size_t);
int	 gz_inflate(const void *, size_t, size_t, char **, size_t *, char **);
char	*zlib_deflate(const void *, size_t, size_t *);
char	*zlib_inflate(const void *, size_t, size_t, size_t *, char **);

#endif /* GZ_H */
