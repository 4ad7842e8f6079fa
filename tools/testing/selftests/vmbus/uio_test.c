// SPDX-License-Identifier: GPL-2.0
/*
 * uio_test: the distribution's own uio_hv_generic on an echo device, with
 * the ring protocol spoken from userspace.
 *
 * uio_hv_generic is bound through its new_id (the echo class GUID); on
 * 6.1 its probe shares two large buffers with the host (16 MiB and
 * 31 MiB GPADLs, hundreds of GPADL_BODY messages each), and opening
 * /dev/uio0 opens the channel.  This program maps uio map 0 (the channel's
 * rings: the guest's outbound ring, then its inbound ring, each a header
 * page and data pages), writes one packet into the outbound ring as the
 * ring protocol says (descriptor, payload, padding, trailing u64 with the
 * old write index << 32, then write_index after a barrier), writes 1 to
 * /dev/uio0 (unmasks the inbound interrupt), signals the host the way a
 * userspace driver must - the channel's bit in the monitor page that uio
 * map 2 exposes, when the host's interrupt_mask is clear and the ring was
 * empty - and waits, with a deadline, in poll() for the interrupt that says
 * the echo is in the inbound ring; it checks the echo and consumes it, for
 * ROUNDS round trips.  The host's counters must show every signal came
 * from the monitor page and none was missed.  All of it twice: each open
 * of /dev/uio0 connects the channel again on the rings the probe
 * allocated, which must start empty as the host's side does.  Then
 * unbind: /dev/uio0 goes away, and rmmod uio_hv_generic works.  Last the
 * host rescinds the device: the rescind callback uio_hv_generic set in its
 * probe must not run any more (the module is gone), and the device must
 * leave the bus as any unbound device does.
 *
 * Sim modes: version_ceiling 5.3, monitor 1 (offers carry monitor ids,
 * scanned at once); one echo device without sub-channels.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmbus_util.h"

#define INSTANCE	"6b0c6f2e-4a11-4d25-9e51-0e3c5d7a0006"
#define UIO_DRV		"uio_hv_generic"
#define UIO_DRV_DIR	VM_VMBUS_DRIVERS "/" UIO_DRV
#define UIO_DEV		"/dev/uio0"
#define UIO_SYSFS	"/sys/class/uio/uio0"

enum {
	BIND_MS		= 60000,	/* the probe's GPADLs: ~500 messages */
	ECHO_MS		= 10000,
	PAYLOAD		= 100,		/* not a multiple of 8: padding is exercised */
	PKT_INBAND	= 6,		/* VM_PKT_DATA_INBAND */
	HDR_PAGE	= 4096,
	TRANS_ID	= 0x5eed0000cafeULL,
	ROUNDS		= 100,		/* round trips per open */
	OPENS		= 2,
	MON_MAP		= 2,		/* uio_hv_generic's monitor page map */
	MON_PENDING	= 8,		/* trigger_group[0].pending in the page */
	MON_GROUP_SIZE	= 8,		/* one trigger group: pending, armed */
	MON_IDS		= 128,
};

/* struct hv_ring_buffer's first fields (the rest of the page is reserved). */
struct ring_hdr {
	volatile uint32_t write_index;
	volatile uint32_t read_index;
	volatile uint32_t interrupt_mask;
	volatile uint32_t pending_send_sz;
};

struct pkt_desc {
	uint16_t type;
	uint16_t offset8;
	uint16_t len8;
	uint16_t flags;
	uint64_t trans_id;
};

struct ring {
	struct ring_hdr *hdr;
	uint8_t *data;
	uint32_t size;		/* data bytes */
};

static int uio_fd = -1;
static uint8_t *map0;
static uint64_t map0_size;
static uint8_t *mon_page;
static uint64_t monitor_id;

static void uio_unload_at_exit(void)
{
	if (uio_fd >= 0)
		close(uio_fd);
	if (vm_module_loaded(UIO_DRV))
		vm_rmmod(UIO_DRV, VM_RMMOD_MS);
}

static bool uio_present(void *arg)
{
	(void)arg;
	return vm_exists(UIO_DEV) && vm_exists(UIO_SYSFS "/maps/map0/size");
}

static bool uio_gone(void *arg)
{
	(void)arg;
	return !vm_exists(UIO_DEV) && !vm_exists(UIO_SYSFS);
}

static bool load(void)
{
	atexit(uio_unload_at_exit);
	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_set("monitor", "1") ||
	    vm_write(VM_SIM, "devices", "add %s %s", VM_TEST_CLASS, INSTANCE) ||
	    !vm_guest_load(VM_MODPROBE_MS) || !vm_wait_vmbus_devices(1, VM_MODPROBE_MS))
		return false;
	return vm_expect(!vm_modprobe(UIO_DRV, VM_MODPROBE_MS), "`modprobe %s` (the "
			 "distribution's module): expected exit status 0", UIO_DRV);
}

/*
 * The probe refuses a channel without a monitor id ("requires hypercall"):
 * a failed bind shows the driver's own log lines.
 */
static bool bind(void)
{
	struct vm_kmsg_mark mark;
	int err;

	if (vm_kmsg_mark(&mark))
		return false;
	err = vm_write_errno(UIO_DRV_DIR "/new_id", VM_TEST_CLASS);
	if (!vm_expect(!err, "%s/new_id <- %s: %s", UIO_DRV_DIR, VM_TEST_CLASS,
		       err ? strerror(-err) : "ok"))
		return false;
	if (vm_wait_until(uio_present, NULL, BIND_MS, "%s and %s/maps/map0 after "
			  "binding %s", UIO_DEV, UIO_SYSFS, UIO_DRV))
		return true;
	vm_kmsg_grep(&mark, UIO_DRV, NULL, 5);
	return false;
}

static bool map_rings(struct ring *out, struct ring *in)
{
	uint64_t nmaps;
	char path[128];
	int i;

	for (nmaps = 0; nmaps < 8; nmaps++) {
		snprintf(path, sizeof(path), UIO_SYSFS "/maps/map%" PRIu64 "/size", nmaps);
		if (!vm_exists(path))
			break;
	}
	ksft_print_msg("%s has %" PRIu64 " maps\n", UIO_SYSFS, nmaps);
	if (vm_read_u64(UIO_SYSFS "/maps/map0/size", &map0_size))
		return false;
	if (!vm_expect(map0_size >= 4 * HDR_PAGE && !(map0_size % (2 * HDR_PAGE)),
		       "map0 size %#" PRIx64 ": expected two rings of whole pages",
		       map0_size))
		return false;
	uio_fd = open(UIO_DEV, O_RDWR | O_CLOEXEC);
	if (!vm_expect(uio_fd >= 0, "open %s: %s", UIO_DEV, strerror(errno)))
		return false;
	/* uio: map N is at offset N pages. */
	map0 = mmap(NULL, map0_size, PROT_READ | PROT_WRITE, MAP_SHARED, uio_fd, 0);
	if (!vm_expect(map0 != MAP_FAILED, "mmap of %s map 0 (%#" PRIx64 " bytes): %s",
		       UIO_DEV, map0_size, strerror(errno))) {
		map0 = NULL;
		return false;
	}
	for (i = 0; i < 2; i++) {
		struct ring *r = i ? in : out;

		r->hdr = (struct ring_hdr *)(map0 + i * map0_size / 2);
		r->data = (uint8_t *)r->hdr + HDR_PAGE;
		r->size = map0_size / 2 - HDR_PAGE;
	}
	mon_page = mmap(NULL, HDR_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, uio_fd,
			MON_MAP * HDR_PAGE);
	if (!vm_expect(mon_page != MAP_FAILED, "mmap of %s map %u (the monitor page): %s",
		       UIO_DEV, MON_MAP, strerror(errno))) {
		mon_page = NULL;
		return false;
	}
	ksft_print_msg("rings: %u data bytes each; out w=%u r=%u, in w=%u r=%u\n", out->size,
		       out->hdr->write_index, out->hdr->read_index, in->hdr->write_index,
		       in->hdr->read_index);
	return true;
}

static void ring_copy_in(struct ring *r, uint32_t at, const void *src, uint32_t len)
{
	uint32_t first = len < r->size - at ? len : r->size - at;

	memcpy(r->data + at, src, first);
	memcpy(r->data, (const uint8_t *)src + first, len - first);
}

static void ring_copy_out(const struct ring *r, uint32_t at, void *dst, uint32_t len)
{
	uint32_t first = len < r->size - at ? len : r->size - at;

	memcpy(dst, r->data + at, first);
	memcpy((uint8_t *)dst + first, r->data, len - first);
}

static void payload_fill(uint8_t *p)
{
	int i;

	for (i = 0; i < PAYLOAD; i++)
		p[i] = (uint8_t)(i * 37 + 11);
}

/*
 * The channel's bit in the pending word of its trigger group, with a
 * locked operation: the host takes the word with an atomic exchange.
 */
static void signal_host(void)
{
	uint32_t *pending = (uint32_t *)(mon_page + MON_PENDING +
					 monitor_id / 32 * MON_GROUP_SIZE);

	__atomic_fetch_or(pending, 1u << (monitor_id % 32), __ATOMIC_SEQ_CST);
}

/*
 * One packet into the outbound ring, then the signal the ring contract
 * asks for: only if the ring was empty and the host's interrupt_mask is
 * clear.  False if there is no room.
 */
static bool ring_write(struct ring *r)
{
	uint8_t pkt[sizeof(struct pkt_desc) + PAYLOAD + 8] = { 0 };
	uint32_t len = (sizeof(struct pkt_desc) + PAYLOAD + 7) & ~7u;
	struct pkt_desc d = {
		.type = PKT_INBAND,
		.offset8 = sizeof(d) / 8,
		.len8 = len / 8,
		.trans_id = TRANS_ID,
	};
	uint32_t w = r->hdr->write_index, rd = r->hdr->read_index, used;
	uint64_t trailer = (uint64_t)w << 32;

	used = w >= rd ? w - rd : r->size - rd + w;
	if (!vm_expect(w < r->size && rd < r->size && r->size - used > len + 8,
		       "outbound ring: write_index %u read_index %u, no room", w, rd))
		return false;
	memcpy(pkt, &d, sizeof(d));
	payload_fill(pkt + sizeof(d));
	ring_copy_in(r, w, pkt, len);
	ring_copy_in(r, (w + len) % r->size, &trailer, sizeof(trailer));
	/* The packet is in place before the host can see the index move. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r->hdr->write_index = (w + len + 8) % r->size;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!r->hdr->interrupt_mask && r->hdr->read_index == w)
		signal_host();
	return true;
}

/* Unmask the inbound interrupt (uio irqcontrol) and wait for one, with a deadline. */
static bool wait_interrupt(void)
{
	struct pollfd pfd = { .fd = uio_fd, .events = POLLIN };
	uint32_t one = 1, count = 0;
	int n;

	if (!vm_expect(write(uio_fd, &one, sizeof(one)) == sizeof(one), "write 1 to %s: %s",
		       UIO_DEV, strerror(errno)))
		return false;
	n = poll(&pfd, 1, ECHO_MS);
	if (!vm_expect(n == 1, "poll on %s: no interrupt within %u ms (%s)", UIO_DEV,
		       ECHO_MS, n < 0 ? strerror(errno) : "timeout"))
		return false;
	if (!vm_expect(read(uio_fd, &count, sizeof(count)) == sizeof(count),
		       "read of %s: %s", UIO_DEV, strerror(errno)))
		return false;
	return true;
}

/* The echo: the same descriptor and payload; consumed by moving read_index. */
static bool ring_read_echo(struct ring *r)
{
	uint32_t len = (sizeof(struct pkt_desc) + PAYLOAD + 7) & ~7u;
	uint32_t w = r->hdr->write_index, rd = r->hdr->read_index, avail;
	uint8_t got[sizeof(struct pkt_desc) + PAYLOAD + 8], want[PAYLOAD];
	struct pkt_desc d;
	uint64_t trailer;
	bool ok = true;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail = w >= rd ? w - rd : r->size - rd + w;
	if (!vm_expect(w < r->size && avail == len + 8, "inbound ring: write_index %u "
		       "read_index %u: expected one %u-byte packet", w, rd, len + 8))
		return false;
	ring_copy_out(r, rd, got, len);
	ring_copy_out(r, (rd + len) % r->size, &trailer, sizeof(trailer));
	memcpy(&d, got, sizeof(d));
	payload_fill(want);
	ok &= vm_expect(d.type == PKT_INBAND && d.offset8 == 2 && d.len8 == len / 8 &&
			!d.flags && d.trans_id == TRANS_ID, "echo descriptor: type %u "
			"offset8 %u len8 %u flags %#x trans_id %#" PRIx64, d.type,
			d.offset8, d.len8, d.flags, d.trans_id);
	ok &= vm_expect(!memcmp(got + sizeof(d), want, PAYLOAD), "echo payload differs");
	ok &= vm_expect_eq("echo trailer (old write index << 32)", (uint64_t)rd << 32,
			   trailer);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r->hdr->read_index = (rd + len + 8) % r->size;
	return ok;
}

static bool host_clean(void)
{
	struct vm_stats st;

	if (!vm_sim_expect_monitored() || vm_stats_load(VM_SIM, "stats", &st))
		return false;
	return vm_expect_stat(&st, "packets_in", ROUNDS) &
	       vm_expect_stat(&st, "packets_out", ROUNDS) &
	       vm_expect_stat(&st, "ring_missed_signals", 0) &
	       vm_expect_stat(&st, "ring_errors", 0) &
	       vm_expect_stat(&st, "guest_errors", 0);
}

static bool echo(void)
{
	struct ring out, in;
	bool ok;
	int i;

	if (vm_read_u64(VM_VMBUS_DEVICES "/" INSTANCE "/monitor_id", &monitor_id) ||
	    !vm_expect(monitor_id < MON_IDS, "%s/monitor_id %" PRIu64 ": expected a "
		       "monitor id", INSTANCE, monitor_id))
		return false;
	if (vm_sim_reset_stats() || !map_rings(&out, &in))
		return false;
	ok = true;
	for (i = 0; ok && i < ROUNDS; i++)
		ok = ring_write(&out) && wait_interrupt() && ring_read_echo(&in);
	if (!vm_expect(ok, "round trip %d of %d failed", i, ROUNDS))
		ok = false;
	ok &= host_clean();
	munmap(mon_page, HDR_PAGE);
	mon_page = NULL;
	munmap(map0, map0_size);
	map0 = NULL;
	close(uio_fd);
	uio_fd = -1;
	return ok;
}

static bool unbind(void)
{
	int err = vm_write_errno(UIO_DRV_DIR "/unbind", INSTANCE);
	bool ok;

	ok = vm_expect(!err, "%s/unbind <- %s: %s", UIO_DRV_DIR, INSTANCE,
		       err ? strerror(-err) : "ok");
	ok = ok && vm_wait_until(uio_gone, NULL, BIND_MS, "%s and %s gone after unbind",
				 UIO_DEV, UIO_SYSFS);
	return ok & vm_rmmod_expect(UIO_DRV);
}

/* The rescind after unbind and rmmod: no stale callback, the device goes. */
static bool rescind_unbound(void)
{
	unsigned int relid;

	return vm_expect(vm_chan_relids(INSTANCE, &relid, 1) == 1,
			 "the unbound device's channel in sysfs") &&
	       !vm_write(VM_SIM, "devices", "rescind %u", relid) &&
	       vm_wait_vmbus_devices(0, ECHO_MS);
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	ksft_set_plan(6 + OPENS);
	ksft_test_result(load(), "echo device and %s loaded\n", UIO_DRV);
	ksft_test_result(bind(), "new_id binds %s: %s appears\n", UIO_DRV, UIO_DEV);
	for (int i = 1; i <= OPENS; i++)
		ksft_test_result(echo(),
				 "open %d of %s: %d packets written into the mapped outbound "
				 "ring come back in the inbound ring\n", i, UIO_DEV, ROUNDS);
	ksft_test_result(unbind(), "unbind: %s goes, rmmod %s works\n", UIO_DEV, UIO_DRV);
	ksft_test_result(rescind_unbound(), "rescind after unbind: no call into %s, the "
			 "device leaves the bus\n", UIO_DRV);
	ksft_test_result(vm_guest_unload(), "rmmod hv_vmbus\n");
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
