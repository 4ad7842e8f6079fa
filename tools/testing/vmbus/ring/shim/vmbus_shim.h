/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmbus_shim.h: just enough of the kernel for drivers/hv/ring_buffer.c and
 * drivers/hv/hyperv_vmbus.h to compile as userspace C, unmodified.
 *
 * Every <linux/...> and <asm/...> header those files include is a one-line
 * file in this directory that includes this one; the include path puts this
 * directory before anything else.  The structures ring_buffer.c touches are
 * declared here with the members it uses, by name; the shared-memory ring
 * header and packet descriptor keep their wire layout (ring_buffer.c
 * asserts it).  The functions are in shim.c.
 */
#ifndef VMBUS_SHIM_H
#define VMBUS_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
typedef uint32_t __le32;	/* x86-64 only: little-endian already */
typedef unsigned int gfp_t;

#define __rcu
#define __percpu
#define __iomem
#define __packed __attribute__((packed))
#define __aligned(x) __attribute__((aligned(x)))

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define GFP_KERNEL 0u
#define VM_MAP 0u
#define PAGE_KERNEL 0u
#define U64_MAX UINT64_MAX
#define BITS_PER_LONG 64

#define EINVAL 22
#define ENOMEM 12
#define EAGAIN 11
#define ENODEV 19
#define EIO 5
#define ENOBUFS 105

#define ALIGN(x, a) (((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define __shim_static_assert(expr, msg, ...) _Static_assert(expr, msg)
#define static_assert(expr, ...) __shim_static_assert(expr, ##__VA_ARGS__, #expr)

/*
 * READ_ONCE() / WRITE_ONCE() are acquire loads and release stores, as are
 * virt_load_acquire() / virt_store_release().  On x86 a plain load is
 * already an acquire and a plain store a release, so this is the machine
 * the driver runs on; ThreadSanitizer, which does not model fences, sees
 * the index hand-offs as the synchronisation they are.  The barriers are
 * the x86-64 kernel's own: virt_mb() and smp_mb() a locked add to the
 * stack (what <asm/barrier.h> issues, cheaper than mfence), virt_rmb()
 * and virt_wmb() compiler barriers (x86 does not reorder loads with loads
 * or stores with stores).  The benchmark builds the target kernel's
 * ring_buffer.c behind these too, so both pay what the kernel pays.
 *
 * SHIM_ONCE_RELAXED makes all four relaxed: the mutant the two-thread test
 * must fail on (tools/testing/vmbus/ring/Makefile, run-tsan-mutant).
 */
#ifdef SHIM_ONCE_RELAXED
#define SHIM_ONCE_LOAD __ATOMIC_RELAXED
#define SHIM_ONCE_STORE __ATOMIC_RELAXED
#else
#define SHIM_ONCE_LOAD __ATOMIC_ACQUIRE
#define SHIM_ONCE_STORE __ATOMIC_RELEASE
#endif
#define READ_ONCE(x) ({ __typeof__(x) __v = \
	__atomic_load_n(&(x), SHIM_ONCE_LOAD); __v; })
#define WRITE_ONCE(x, val) do { __typeof__(x) __v = (val); \
	__atomic_store(&(x), &__v, SHIM_ONCE_STORE); } while (0)
#define virt_load_acquire(p) __atomic_load_n((p), SHIM_ONCE_LOAD)
#define virt_store_release(p, v) __atomic_store_n((p), (v), SHIM_ONCE_STORE)
#define virt_mb() __asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::: "memory", "cc")
#define virt_rmb() __asm__ __volatile__("" ::: "memory")
#define virt_wmb() __asm__ __volatile__("" ::: "memory")

/* Logging: counted, printed only with VMBUS_SHIM_VERBOSE set. */
extern unsigned long shim_pr_err_count;
void shim_printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define pr_err(fmt, ...) shim_printk(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) shim_printk(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err_ratelimited(fmt, ...) pr_err(fmt, ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) pr_warn(fmt, ##__VA_ARGS__)

/* Bit operations on unsigned long words, atomic. */
static inline bool test_bit(long nr, const unsigned long *addr)
{
	return (__atomic_load_n(&addr[nr / BITS_PER_LONG], __ATOMIC_RELAXED) >>
		(nr % BITS_PER_LONG)) & 1;
}

static inline bool test_and_set_bit(long nr, unsigned long *addr)
{
	unsigned long m = 1UL << (nr % BITS_PER_LONG);

	return __atomic_fetch_or(&addr[nr / BITS_PER_LONG], m, __ATOMIC_SEQ_CST) & m;
}

static inline void sync_set_bit(long nr, unsigned long *addr)
{
	__atomic_fetch_or(&addr[nr / BITS_PER_LONG], 1UL << (nr % BITS_PER_LONG),
			  __ATOMIC_SEQ_CST);
}

/* Locks. */
typedef struct {
	int locked;
} raw_spinlock_t;
typedef struct {
	raw_spinlock_t rlock;
} spinlock_t;
struct mutex {
	pthread_mutex_t m;
};

static inline void spin_lock_init(spinlock_t *l)
{
	__atomic_store_n(&l->rlock.locked, 0, __ATOMIC_RELAXED);
}

static inline void raw_spin_lock(raw_spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void raw_spin_unlock(raw_spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline void shim_spin_lock(spinlock_t *l)
{
	raw_spin_lock(&l->rlock);
}

static inline void shim_spin_unlock(spinlock_t *l)
{
	raw_spin_unlock(&l->rlock);
}

#define spin_lock_irqsave(l, flags) do { (flags) = 0; shim_spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, flags) do { (void)(flags); shim_spin_unlock(l); } while (0)
#define raw_spin_is_locked(l) (__atomic_load_n(&(l)->locked, __ATOMIC_RELAXED) != 0)

static inline void mutex_init(struct mutex *m)
{
	pthread_mutex_init(&m->m, NULL);
}

static inline void mutex_lock(struct mutex *m)
{
	pthread_mutex_lock(&m->m);
}

static inline void mutex_unlock(struct mutex *m)
{
	pthread_mutex_unlock(&m->m);
}

/* Opaque or member-only kernel objects hyperv_vmbus.h names. */
typedef struct {
	int counter;
} atomic_t;
typedef struct {
	s64 counter;
} atomic64_t;

static inline void atomic64_inc(atomic64_t *v)
{
	__atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED);
}

static inline s64 atomic64_read(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

struct list_head {
	struct list_head *next, *prev;
};
struct kref {
	atomic_t refcount;
};
struct completion {
	unsigned int done;
};
struct work_struct {
	void (*func)(struct work_struct *work);
};
typedef struct {
	u8 b[16];
} guid_t;
struct device;
struct dentry;
struct module;
struct attribute_group;
struct tasklet_struct {
	unsigned long scheduled;
};
struct workqueue_struct;
/* What drivers/hv/compat.h's driver_override match reads. */
struct device_driver {
	const char *name;
};
struct hv_device {
	char *driver_override;
};

/* Memory. */
struct page {
	u8 bytes[PAGE_SIZE];
};
void *kzalloc(size_t size, gfp_t gfp);
void *kcalloc(size_t n, size_t size, gfp_t gfp);
void kfree(const void *p);
void *vmap(struct page **pages, unsigned int count, unsigned long flags,
	   unsigned int prot);
void vunmap(const void *addr);

struct reciprocal_value {
	u32 m;
	u8 sh1, sh2;
};
struct reciprocal_value reciprocal_value(u32 d);

struct kvec {
	void *iov_base;
	size_t iov_len;
};

/* The Hyper-V TLFS definitions hyperv_vmbus.h and vmbus_monitor.h use. */
#define HV_MESSAGE_SIZE 256
#define HV_MESSAGE_PAYLOAD_BYTE_COUNT 240
#define HV_MESSAGE_PAYLOAD_QWORD_COUNT 30
#define HV_EVENT_FLAGS_COUNT (256 * 8)

#define HVMSG_NONE 0
union hv_message_flags {
	u8 asu8;
	struct {
		u8 msg_pending:1;
		u8 reserved:7;
	};
};

struct hv_message_header {
	u32 message_type;
	u8 payload_size;
	union hv_message_flags message_flags;
	u8 reserved[2];
	u64 sender;
};
struct hv_message {
	struct hv_message_header header;
	union {
		u64 payload[HV_MESSAGE_PAYLOAD_QWORD_COUNT];
	} u;
};
static_assert(sizeof(struct hv_message) == HV_MESSAGE_SIZE);
#define HV_SYNIC_SINT_COUNT 16
#define HV_EVENT_FLAGS_LONG_COUNT (256 / sizeof(unsigned long))
struct hv_message_page {
	struct hv_message sint_message[HV_SYNIC_SINT_COUNT];
};
union hv_synic_event_flags {
	unsigned long flags[HV_EVENT_FLAGS_LONG_COUNT];
};
union hv_connection_id {
	u32 asu32;
	struct {
		u32 id:24;
		u32 reserved:8;
	} u;
};

/* What hyperv_vmbus.h and ring_buffer.c use of <linux/hyperv.h>. */
#define VMBUS_NO_RQSTOR U64_MAX
#define VMBUS_RQST_ERROR (U64_MAX - 1)
#define VM_PKT_COMP 11
#define VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED 1

struct hv_ring_buffer {
	u32 write_index;
	u32 read_index;
	u32 interrupt_mask;
	u32 pending_send_sz;
	u32 reserved1[12];
	union {
		struct {
			u32 feat_pending_send_sz:1;
		};
		u32 value;
	} feature_bits;
	u8 reserved2[PAGE_SIZE - 68];
	u8 buffer[];
};

struct hv_ring_buffer_info {
	struct hv_ring_buffer *ring_buffer;
	u32 ring_size;
	struct reciprocal_value ring_size_div10_reciprocal;
	spinlock_t ring_lock;
	u32 ring_datasize;
	u32 priv_read_index;
	struct mutex ring_buffer_mutex;
	void *pkt_buffer;
	u32 pkt_buffer_size;
};

struct hv_ring_buffer_debug_info {
	u32 current_interrupt_mask;
	u32 current_read_index;
	u32 current_write_index;
	u32 bytes_avail_toread;
	u32 bytes_avail_towrite;
};

struct vmpacket_descriptor {
	u16 type;
	u16 offset8;
	u16 len8;
	u16 flags;
	u64 trans_id;
};

/*
 * The channel messages, with the layout of the VMBus protocol (the fuzzers
 * check the sizes the guest relies on, tools/testing/vmbus/ring/fuzz_msg.c).
 */
enum vmbus_channel_message_type {
	CHANNELMSG_INVALID			=  0,
	CHANNELMSG_OFFERCHANNEL			=  1,
	CHANNELMSG_RESCIND_CHANNELOFFER		=  2,
	CHANNELMSG_REQUESTOFFERS		=  3,
	CHANNELMSG_ALLOFFERS_DELIVERED		=  4,
	CHANNELMSG_OPENCHANNEL			=  5,
	CHANNELMSG_OPENCHANNEL_RESULT		=  6,
	CHANNELMSG_CLOSECHANNEL			=  7,
	CHANNELMSG_GPADL_HEADER			=  8,
	CHANNELMSG_GPADL_BODY			=  9,
	CHANNELMSG_GPADL_CREATED		= 10,
	CHANNELMSG_GPADL_TEARDOWN		= 11,
	CHANNELMSG_GPADL_TORNDOWN		= 12,
	CHANNELMSG_RELID_RELEASED		= 13,
	CHANNELMSG_INITIATE_CONTACT		= 14,
	CHANNELMSG_VERSION_RESPONSE		= 15,
	CHANNELMSG_UNLOAD			= 16,
	CHANNELMSG_UNLOAD_RESPONSE		= 17,
	CHANNELMSG_18				= 18,
	CHANNELMSG_19				= 19,
	CHANNELMSG_20				= 20,
	CHANNELMSG_TL_CONNECT_REQUEST		= 21,
	CHANNELMSG_MODIFYCHANNEL		= 22,
	CHANNELMSG_TL_CONNECT_RESULT		= 23,
	CHANNELMSG_MODIFYCHANNEL_RESPONSE	= 24,
	CHANNELMSG_COUNT
};

struct vmbus_channel_message_header {
	enum vmbus_channel_message_type msgtype;
	u32 padding;
} __packed;

/* The offer's user-defined bytes, all of them and in pipe mode after pipe_mode. */
#define MAX_USER_DEFINED_BYTES		120
#define MAX_PIPE_USER_DEFINED_BYTES	116

struct vmbus_channel_offer {
	guid_t if_type;
	guid_t if_instance;
	u64 reserved1;
	u64 reserved2;
	u16 chn_flags;
	u16 mmio_megabytes;
	u8 user_def[MAX_USER_DEFINED_BYTES];
	u16 sub_channel_index;
	u16 reserved3;
} __packed;

struct vmbus_channel_offer_channel {
	struct vmbus_channel_message_header header;
	struct vmbus_channel_offer offer;
	u32 child_relid;
	u8 monitorid;
	u8 monitor_allocated:1;
	u8 reserved:7;
	u16 is_dedicated_interrupt:1;
	u16 reserved1:15;
	u32 connection_id;
} __packed;

struct vmbus_channel_rescind_offer {
	struct vmbus_channel_message_header header;
	u32 child_relid;
} __packed;

struct vmbus_channel_version_response {
	struct vmbus_channel_message_header header;
	u8 version_supported;
	u8 connection_state;
	u16 padding;
	u32 msg_conn_id;
} __packed;

struct vmbus_channel_open_result {
	struct vmbus_channel_message_header header;
	u32 child_relid;
	u32 openid;
	u32 status;
} __packed;

struct vmbus_channel_gpadl_created {
	struct vmbus_channel_message_header header;
	u32 child_relid;
	u32 gpadl;
	u32 creation_status;
} __packed;

struct vmbus_channel_gpadl_torndown {
	struct vmbus_channel_message_header header;
	u32 gpadl;
} __packed;

struct vmbus_channel_modifychannel_response {
	struct vmbus_channel_message_header header;
	u32 child_relid;
	u32 status;
} __packed;

/* Integration components: the pipe and message headers, the negotiation. */
#define ICMSGTYPE_NEGOTIATE 0
#define IC_VERSION_NEGOTIATION_MAX_VER_COUNT 100

struct vmbuspipe_hdr {
	u32 flags;
	u32 msgsize;
} __packed;

struct ic_version {
	u16 major;
	u16 minor;
} __packed;

struct icmsg_hdr {
	struct ic_version icverframe;
	u16 icmsgtype;
	struct ic_version icvermsg;
	u16 icmsgsize;
	u32 status;
	u8 ictransaction_id;
	u8 icflags;
	u8 reserved[2];
} __packed;

struct icmsg_negotiate {
	u16 icframe_vercnt;
	u16 icmsg_vercnt;
	u32 reserved;
	struct ic_version icversion_data[];
} __packed;

#define ICMSG_HDR (sizeof(struct vmbuspipe_hdr) + sizeof(struct icmsg_hdr))
#define ICMSG_NEGOTIATE_PKT_SIZE(icframe_vercnt, icmsg_vercnt) \
	(ICMSG_HDR + sizeof(struct icmsg_negotiate) + \
	 (((icframe_vercnt) + (icmsg_vercnt)) * sizeof(struct ic_version)))

bool vmbus_prep_negotiate_resp(struct icmsg_hdr *icmsghdrp, u8 *buf,
			       u32 buflen, const int *fw_version, int fw_vercnt,
			       const int *srv_version, int srv_vercnt,
			       int *nego_fw_version, int *nego_srv_version);

enum hv_callback_mode {
	HV_CALL_BATCHED,
	HV_CALL_DIRECT,
	HV_CALL_ISR
};

struct vmbus_channel {
	struct vmbus_channel_offer_channel offermsg;
	/* The event path (vmbus_event.c, the dispatch benchmark). */
	spinlock_t sched_lock;
	void (*onchannel_callback)(void *context);
	void *channel_callback_context;
	enum hv_callback_mode callback_mode;
	struct tasklet_struct callback_event;
	u64 interrupts;
	struct vmbus_channel *primary_channel;
	struct hv_ring_buffer_info outbound;
	struct hv_ring_buffer_info inbound;
	bool rescind;
	bool low_latency;
	u8 monitor_grp;
	u8 monitor_bit;
	u64 sig_events;
	u64 intr_out_empty;
	u64 intr_in_full;
	u64 out_full_total;
	u64 (*next_request_id_callback)(struct vmbus_channel *ch, u64 rqst_addr);
	/* Used only by the target kernel's ring_buffer.c (the benchmark). */
	u64 (*request_addr_callback)(struct vmbus_channel *ch, u64 rqst_id);
	u64 out_full_first;
	bool out_full_flag;
};

struct hv_vmbus_device_id {
	guid_t guid;
	unsigned long driver_data;
};
struct vmbus_device {
	u16 dev_type;
	guid_t guid;
	bool perf_device;
	bool allowed_in_isolated;
};

static inline void *hv_get_ring_buffer(const struct hv_ring_buffer_info *rbi)
{
	return rbi->ring_buffer->buffer;
}

static inline u32 hv_pkt_len(const struct vmpacket_descriptor *desc)
{
	return (u32)desc->len8 << 3;
}

void vmbus_set_event(struct vmbus_channel *channel);
void vmbus_setevent(struct vmbus_channel *channel);
struct vmpacket_descriptor *hv_pkt_iter_first(struct vmbus_channel *channel);
struct vmpacket_descriptor *
__hv_pkt_iter_next(struct vmbus_channel *channel,
		   const struct vmpacket_descriptor *pkt);
void hv_pkt_iter_close(struct vmbus_channel *channel);
int hv_ringbuffer_get_debuginfo(struct hv_ring_buffer_info *ring_info,
				struct hv_ring_buffer_debug_info *debug_info);
bool hv_ringbuffer_spinlock_busy(struct vmbus_channel *channel);

/*
 * The event path: what drivers/hv/vmbus_event.c and the target kernel's
 * scheduling loop use, for the dispatch benchmark (bench/bench_dispatch.c).
 * One CPU, interrupts never off: the benchmark calls the scan directly.
 */
#define fallthrough __attribute__((fallthrough))
#define unlikely(x) __builtin_expect(!!(x), 0)
#define likely(x) __builtin_expect(!!(x), 1)
#define smp_mb() virt_mb()
#define smp_mb__after_atomic() do { } while (0)	/* x86: atomics are full barriers */
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define rcu_read_lock() do { } while (0)
#define rcu_read_unlock() do { } while (0)
#define rcu_dereference(p) READ_ONCE(p)
#define rcu_dereference_protected(p, c) (p)
#define rcu_access_pointer(p) READ_ONCE(p)
#define rcu_assign_pointer(p, v) smp_store_release(&(p), (v))
#define RCU_INIT_POINTER(p, v) WRITE_ONCE(p, v)
#define lockdep_assert_held(l) do { (void)(l); } while (0)
#define lockdep_is_held(l) 1
#define lockdep_hardirq_threaded() do { } while (0)
/* No kernel option is set in userspace (PREEMPT_RT among them). */
#define IS_ENABLED(option) 0
#define this_cpu_ptr(p) (p)
#define this_cpu_inc(x) ((x)++)
#define this_cpu_add(x, n) ((x) += (n))
/* One CPU, number 0: per-CPU data is the object itself. */
#define per_cpu_ptr(p, cpu) ((void)(cpu), (p))
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < 1; (cpu)++)
#define local_irq_disable() do { } while (0)
#define local_irq_enable() do { } while (0)
#define local_bh_disable() do { } while (0)
#define local_bh_enable() do { } while (0)
#define from_tasklet(var, t, field) container_of(t, __typeof__(*var), field)
#define jiffies 0UL
#define time_before(a, b) ((long)((a) - (b)) < 0)
#define for_each_set_bit(bit, addr, size) \
	for ((bit) = shim_find_next_bit((addr), (size), 0); (bit) < (size); \
	     (bit) = shim_find_next_bit((addr), (size), (bit) + 1))

static inline unsigned long shim_find_next_bit(const unsigned long *addr,
					       unsigned long size,
					       unsigned long from)
{
	unsigned long w;

	while (from < size) {
		w = __atomic_load_n(&addr[from / BITS_PER_LONG], __ATOMIC_RELAXED) >>
		    (from % BITS_PER_LONG);
		if (w)
			return from + __builtin_ctzl(w);
		from = (from / BITS_PER_LONG + 1) * BITS_PER_LONG;
	}
	return size;
}

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void set_bit(long nr, unsigned long *addr)
{
	sync_set_bit(nr, addr);
}

static inline void clear_bit(long nr, unsigned long *addr)
{
	__atomic_fetch_and(&addr[nr / BITS_PER_LONG], ~(1UL << (nr % BITS_PER_LONG)),
			   __ATOMIC_SEQ_CST);
}

static inline bool test_and_clear_bit(long nr, unsigned long *addr)
{
	unsigned long m = 1UL << (nr % BITS_PER_LONG);

	return __atomic_fetch_and(&addr[nr / BITS_PER_LONG], ~m, __ATOMIC_SEQ_CST) & m;
}

static inline bool sync_test_and_clear_bit(long nr, unsigned long *addr)
{
	return test_and_clear_bit(nr, addr);
}

#define spin_lock(l) shim_spin_lock(l)
#define spin_unlock(l) shim_spin_unlock(l)

static inline void tasklet_schedule(struct tasklet_struct *t)
{
	t->scheduled++;
}

struct vmbus_synic;
void hv_begin_read(struct hv_ring_buffer_info *rbi);
u32 hv_end_read(struct hv_ring_buffer_info *rbi);
bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work);
void cpus_read_lock(void);
void cpus_read_unlock(void);
void on_each_cpu(void (*func)(void *info), void *info, int wait);
void synchronize_rcu_expedited(void);

#endif /* VMBUS_SHIM_H */
