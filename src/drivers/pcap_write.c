/* pcap file writer; see synack/pcap.h. The format is the classic one
 * (https://www.tcpdump.org/manpages/pcap-savefile.5.html): a 24-byte file
 * header, then per packet a 16-byte record header and the bytes. Every
 * field is written little-endian byte by byte, so files are the same
 * whatever host writes them; readers learn the order from the magic. */
#include "synack/pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4

struct sk_pcap {
	FILE *f;
	int err; /* the first write error, as -errno */
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static int put_bytes(struct sk_pcap *p, const void *buf, size_t n)
{
	if (n > 0 && fwrite(buf, 1, n, p->f) != n) {
		if (p->err == 0)
			p->err = errno ? -errno : -EIO;
		return p->err;
	}
	return 0;
}

struct sk_pcap *sk_pcap_open(const char *path)
{
	struct sk_pcap *p = malloc(sizeof *p);
	if (p == NULL)
		return NULL;
	p->err = 0;
	p->f = fopen(path, "wb");
	if (p->f == NULL) {
		free(p);
		return NULL;
	}

	uint8_t h[24];
	put_le32(h, PCAP_MAGIC_NSEC);
	put_le16(h + 4, PCAP_VERSION_MAJOR);
	put_le16(h + 6, PCAP_VERSION_MINOR);
	put_le32(h + 8, 0);  /* thiszone: time stamps are UTC */
	put_le32(h + 12, 0); /* sigfigs: always 0 */
	put_le32(h + 16, SK_PCAP_SNAPLEN);
	put_le32(h + 20, SK_PCAP_LINKTYPE_RAW);
	if (put_bytes(p, h, sizeof h) != 0) {
		int e = errno;
		fclose(p->f);
		free(p);
		errno = e ? e : EIO;
		return NULL;
	}
	return p;
}

int sk_pcap_write(struct sk_pcap *p, uint64_t t_ns, const void *pkt, size_t len)
{
	uint64_t sec = t_ns / 1000000000u;
	if (sec > UINT32_MAX)
		return -EOVERFLOW;
	if (p->err)
		return p->err;

	size_t caplen = len < SK_PCAP_SNAPLEN ? len : SK_PCAP_SNAPLEN;
	uint8_t h[16];
	put_le32(h, (uint32_t)sec);
	put_le32(h + 4, (uint32_t)(t_ns % 1000000000u));
	put_le32(h + 8, (uint32_t)caplen);
	/* The original length: a packet can't be longer than 4 GiB here. */
	put_le32(h + 12, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	int err = put_bytes(p, h, sizeof h);
	return err ? err : put_bytes(p, pkt, caplen);
}

int sk_pcap_flush(struct sk_pcap *p)
{
	if (p->err == 0 && fflush(p->f) != 0)
		p->err = errno ? -errno : -EIO;
	return p->err;
}

int sk_pcap_close(struct sk_pcap *p)
{
	if (p == NULL)
		return 0;
	int err = sk_pcap_flush(p);
	if (fclose(p->f) != 0 && err == 0)
		err = errno ? -errno : -EIO;
	free(p);
	return err;
}
