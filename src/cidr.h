/*
 * cidr.h: IPv4 and IPv6 addresses and CIDR blocks (cidr.c).
 */
#ifndef CIDR_H
#define CIDR_H

#include <stdbool.h>
#include <stdint.h>

struct cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	int		 prefix;	/* 0..32 or 0..128 */
	uint8_t		 addr[16];	/* network order; host bits cleared */
};

int	 cidr_parse(const char *, struct cidr *);
bool	 cidr_contains(const struct cidr *, const struct cidr *);
bool	 cidr_overlaps(const struct cidr *, const struct cidr *);
bool	 cidr_is_world(const struct cidr *);
bool	 cidr_is_private(const struct cidr *);

#endif /* CIDR_H */
