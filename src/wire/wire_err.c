/* Short names of wire errors, for counters and logs. */
#include "wire/wire.h"

const char *wire_err_name(enum wire_err e)
{
	switch (e) {
	case WIRE_OK: return "ok";
	case WIRE_TRUNCATED: return "truncated";
	case WIRE_BAD_VERSION: return "bad-version";
	case WIRE_BAD_IHL: return "bad-ihl";
	case WIRE_BAD_TOTAL_LEN: return "bad-total-len";
	case WIRE_BAD_CSUM: return "bad-csum";
	case WIRE_FRAGMENT: return "fragment";
	case WIRE_BAD_DOFF: return "bad-doff";
	case WIRE_BAD_OPTION: return "bad-option";
	case WIRE_BAD_ICMP: return "bad-icmp";
	}
	return "unknown";
}
