/*
 * bpfmaps: how many BPF maps named NAME the kernel holds, for tests that
 * nothing is left behind (a program holds its maps, a link its program: no
 * map left means no program and no link either). No bpftool needed.
 *
 *	bpfmaps NAME    prints the count
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: bpfmaps NAME\n", stderr);
		return 2;
	}
	unsigned count = 0;
	__u32 id = 0;
	for (;;) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.start_id = id;
		if (bpf(BPF_MAP_GET_NEXT_ID, &attr) < 0)
			break;
		id = attr.next_id;
		memset(&attr, 0, sizeof(attr));
		attr.map_id = id;
		int fd = (int)bpf(BPF_MAP_GET_FD_BY_ID, &attr);
		if (fd < 0)
			continue; /* freed meanwhile */
		struct bpf_map_info info;
		memset(&info, 0, sizeof(info));
		memset(&attr, 0, sizeof(attr));
		attr.info.bpf_fd = (__u32)fd;
		attr.info.info_len = sizeof(info);
		attr.info.info = (__u64)(unsigned long)&info;
		if (bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) == 0 && strncmp(info.name, argv[1], sizeof(info.name)) == 0)
			count++;
		close(fd);
	}
	printf("%u\n", count);
	return 0;
}
