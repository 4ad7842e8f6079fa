/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the storvsc tests (storvsc_util.c): the simulated host's
 * SCSI controller driven by the distribution's hv_storvsc and sd_mod.
 */
#ifndef STORVSC_UTIL_H
#define STORVSC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* HV_SCSI_GUID. */
#define STV_SCSI_CLASS	"ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"

enum {
	STV_DISK_MS	= 120000,	/* the disk appears after the probe */
	STV_CHUNK	= 1 << 20,	/* stv_write_read()'s unit */
	STV_MKFS_MS	= 300000,	/* mkfs.ext4 and fsck, each */
};

/* FNV-1a's offset basis. */
#define STV_FNV_INIT	0xcbf29ce484222325ULL

bool stv_stat(const char *name, uint64_t *v);
bool stv_stats(const char *const *names, unsigned int n, uint64_t *v);
void stv_print_file(const char *file);
bool stv_load_ctls(const char *const *instances, unsigned int nctl, unsigned int luns,
		   unsigned int disk_mb, unsigned int nsub);
bool stv_load(const char *instance, unsigned int disk_mb, unsigned int nsub);
bool stv_expect_size(const char *disk, unsigned int disk_mb);
bool stv_find_disk(char *disk, size_t len);
bool stv_wait_disk(char *disk, size_t len);
bool stv_wait_dev(char *disk, size_t len, char *dev, size_t dev_len, unsigned int disk_mb);
bool stv_read_trim(const char *path, char *buf, size_t len);
void stv_pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t i);
uint64_t stv_checksum(uint64_t h, const uint8_t *buf, size_t len);
bool stv_xfer(int fd, uint8_t *buf, size_t len, off_t off, bool write);
bool stv_write_read(const char *dev, int flags, unsigned int off_mb, unsigned int mb,
		    uint64_t seed, const char *what);
struct vm_kmsg_mark;
bool stv_counters(const struct vm_kmsg_mark *mark);
bool stv_unload(const char *disk);
unsigned int stv_ctl_relid(const char *instance);
bool stv_rescind(const char *instance);
bool stv_rescind_left(const char *instance, unsigned int left);
void stv_unload_at_exit(void);
bool stv_have_ext4(void);
bool stv_mkfs(const char *dev);
bool stv_fsck(const char *dev);
bool stv_mount(const char *dev, const char *mnt);
bool stv_umount(const char *mnt);

#endif
