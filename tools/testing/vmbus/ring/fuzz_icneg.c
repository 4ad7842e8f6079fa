// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_icneg.c: libFuzzer target for the guest's answer to an integration
 * component's version negotiation (ICMSGTYPE_NEGOTIATE):
 * vmbus_prep_negotiate_resp() of drivers/hv/msg_check.c, compiled
 * unmodified.  The distribution's hv_utils drivers call it on every
 * negotiation packet the host sends on the heartbeat, shutdown, time sync,
 * KVP and VSS channels, and hv_utils writes the answer back to the host.
 *
 * The input:
 *
 *   0  u8 which framework version list the driver speaks (lists below)
 *   1  u8 which service version list
 *   2  the packet as the host wrote it: pipe header, IC message header,
 *      negotiate body with its two version lists; its length is the
 *      packet's length
 *
 * The packet is copied into a heap buffer of exactly its length, so
 * AddressSanitizer reports any read or write past it.  Checked against
 * the negotiation as the IC protocol states it (the oracle below): a
 * packet whose counts exceed IC_VERSION_NEGOTIATION_MAX_VER_COUNT or do
 * not fit, or too short for the one-version answer, is refused and left
 * untouched; otherwise the answer names, in each list, the driver's most
 * preferred version that the host lists, with counts 1/1, or counts 0/0
 * and false when either has none (then the versions found before the
 * miss, 0 for the rest); icmsgsize is the answer's size.
 */
#include <stdlib.h>

#include "shim.h"

#define require(cond) do { if (!(cond)) abort(); } while (0)
#define V(major, minor) ((major) << 16 | (minor))

/* Version lists as the hv_utils drivers pass them, preferred first. */
static const int list0[] = { V(3, 0), V(1, 0) };
static const int list1[] = { V(5, 0), V(4, 0), V(3, 0) };
static const int list2[] = { V(4, 0), V(3, 0), V(1, 0) };
static const int list3[] = { V(0, 0xffff), V(0xfff, 1) };
static const struct {
	const int *v;
	int n;
} lists[] = {
	{ list0, ARRAY_SIZE(list0) },
	{ list1, ARRAY_SIZE(list1) },
	{ list2, ARRAY_SIZE(list2) },
	{ list3, ARRAY_SIZE(list3) },
	{ list0, 0 },
};

static u16 get16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

/* The oracle's pick: the first of @want that the host's @n versions list. */
static bool pick(const u8 *host, u32 n, const int *want, int cnt, u32 *out)
{
	int i;
	u32 j;

	for (i = 0; i < cnt; i++)
		for (j = 0; j < n; j++)
			if (get16(host + 4 * j) == (u32)want[i] >> 16 &&
			    get16(host + 4 * j + 2) == ((u32)want[i] & 0xffff)) {
				*out = (u32)want[i];
				return true;
			}
	return false;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	const size_t hdr = sizeof(struct vmbuspipe_hdr) + sizeof(struct icmsg_hdr);
	u32 buflen, nfw = 0, nsrv = 0, fw = 0, srv = 0;
	int got_fw = -1, got_srv = -1;
	bool fits, ok, want_ok = false;
	struct icmsg_negotiate *neg;
	u8 *buf, *before;
	unsigned int f, s;

	if (size < 2 || size - 2 > 0xffff)
		return 0;
	f = data[0] % ARRAY_SIZE(lists);
	s = data[1] % ARRAY_SIZE(lists);
	buflen = size - 2;
	buf = malloc(buflen ? buflen : 1);
	before = malloc(buflen ? buflen : 1);
	require(buf && before);
	memcpy(buf, data + 2, buflen);
	memcpy(before, data + 2, buflen);

	/* The protocol's limits, from the packet as sent. */
	fits = buflen >= hdr + 8;
	if (fits) {
		nfw = get16(before + hdr);
		nsrv = get16(before + hdr + 2);
		fits = nfw <= 100 && nsrv <= 100 &&
		       buflen >= hdr + 8 + 4 * (nfw + nsrv) &&
		       buflen >= hdr + 8 + 4 * 2;
	}
	/* The service list is searched only once the framework matched. */
	if (fits)
		want_ok = pick(before + hdr + 8, nfw, lists[f].v, lists[f].n, &fw) &&
			  pick(before + hdr + 8 + 4 * nfw, nsrv, lists[s].v,
			       lists[s].n, &srv);

	ok = vmbus_prep_negotiate_resp((struct icmsg_hdr *)
				       &buf[sizeof(struct vmbuspipe_hdr)], buf,
				       buflen, lists[f].v, lists[f].n,
				       lists[s].v, lists[s].n, &got_fw, &got_srv);
	require(ok == want_ok);
	if (!fits) {
		require(!memcmp(buf, before, buflen));
		require(got_fw == -1 && got_srv == -1);
		goto out;
	}
	neg = (void *)&buf[hdr];
	require(get16(buf + sizeof(struct vmbuspipe_hdr) +
		      offsetof(struct icmsg_hdr, icmsgsize)) == 8 + 2 * 4);
	require(neg->icframe_vercnt == ok && neg->icmsg_vercnt == ok);
	require(((u32)neg->icversion_data[0].major << 16 |
		 neg->icversion_data[0].minor) == fw);
	require(((u32)neg->icversion_data[1].major << 16 |
		 neg->icversion_data[1].minor) == srv);
	require((u32)got_fw == fw && (u32)got_srv == srv);
	/* Nothing past the answer changed. */
	require(!memcmp(buf + hdr + 16, before + hdr + 16, buflen - hdr - 16));
out:
	free(buf);
	free(before);
	return 0;
}
