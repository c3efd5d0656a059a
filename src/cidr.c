/*
 * cidr.c: IPv4 and IPv6 CIDR blocks, for the rule language's network
 * helpers.  Addresses are parsed by inet_pton; the prefix arithmetic is
 * ours: a block is an address with its host bits cleared and a prefix
 * length, and an address alone is a block of one (/32 or /128).
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <string.h>

#include "vigil.h"
#include "cidr.h"

/* Clear the bits of addr past prefix. */
static void
cidr_mask(uint8_t *addr, int len, int prefix)
{
	int	 i;

	for (i = 0; i < len; i++) {
		if (prefix >= 8)
			prefix -= 8;
		else {
			addr[i] &= (uint8_t)(0xff << (8 - prefix));
			prefix = 0;
		}
	}
}

/* Are the first bits of a and b equal? */
static bool
cidr_prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
	int	 whole = bits / 8, rest = bits % 8;
	uint8_t	 m;

	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (rest == 0)
		return true;
	m = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & m) == (b[whole] & m);
}

/*
 * Parse "10.0.0.0/8", "2001:db8::/32", or an address alone.  Host bits
 * past the prefix are cleared, as AWS does.  Returns 0, or -1 if s is not
 * one of those.
 */
int
cidr_parse(const char *s, struct cidr *c)
{
	char		 buf[INET6_ADDRSTRLEN + 8];
	const char	*slash, *p;
	size_t		 len;
	int		 max, prefix = -1;

	memset(c, 0, sizeof *c);
	slash = strchr(s, '/');
	len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return -1;
	if (slash == NULL)
		prefix = max;
	else {
		p = slash + 1;
		if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
			return -1;
		for (prefix = 0; *p >= '0' && *p <= '9'; p++) {
			prefix = prefix * 10 + (*p - '0');
			if (prefix > max)
				return -1;
		}
		if (*p != '\0')
			return -1;
	}
	c->prefix = prefix;
	cidr_mask(c->addr, max / 8, prefix);
	return 0;
}

/* Does block a hold all of block b? */
bool
cidr_contains(const struct cidr *a, const struct cidr *b)
{
	if (a->family != b->family || a->prefix > b->prefix)
		return false;
	return cidr_prefix_equal(a->addr, b->addr, a->prefix);
}

/* Do blocks a and b share an address? */
bool
cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	if (a->family != b->family)
		return false;
	return cidr_prefix_equal(a->addr, b->addr,
	    a->prefix < b->prefix ? a->prefix : b->prefix);
}

/* Every address: 0.0.0.0/0 or ::/0. */
bool
cidr_is_world(const struct cidr *c)
{
	return c->prefix == 0;
}

/*
 * Is every address of the block one that the internet does not route?
 * RFC 1918, shared address space (RFC 6598), loopback and link-local for
 * IPv4; unique local (fc00::/7), link-local and loopback for IPv6.
 */
bool
cidr_is_private(const struct cidr *c)
{
	static const struct cidr nets[] = {
		{ AF_INET, 8, { 10 } },
		{ AF_INET, 12, { 172, 16 } },
		{ AF_INET, 16, { 192, 168 } },
		{ AF_INET, 10, { 100, 64 } },
		{ AF_INET, 8, { 127 } },
		{ AF_INET, 16, { 169, 254 } },
		{ AF_INET6, 7, { 0xfc } },
		{ AF_INET6, 10, { 0xfe, 0x80 } },
		{ AF_INET6, 128, { [15] = 1 } },
	};
	size_t	 i;

	for (i = 0; i < nitems(nets); i++) {
		if (cidr_contains(&nets[i], c))
			return true;
	}
	return false;
}
