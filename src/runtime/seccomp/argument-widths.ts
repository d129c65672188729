/**
 * Arguments the kernel reads as 32 bits on a 64-bit ABI. seccomp sees the
 * whole 64-bit register, but for an `int` or `unsigned int` parameter the
 * kernel's syscall wrapper (SYSCALL_DEFINEn's __SC_CAST) keeps only the low
 * word. libseccomp compares 64 bits, so a caller can set high bits the kernel
 * then drops: under Docker's profile `socket(0x1_00000028, ...)` passes the
 * `family > 40` rule and the kernel opens AF_VSOCK (40). tsc-compose compares
 * these arguments as the kernel reads them: the low word only.
 *
 * Only parameters declared `int`, `unsigned int`, `pid_t`, `u32` or `qid_t`
 * are listed, by the kernel's SYSCALL_DEFINE (identical on x86_64 and
 * aarch64); anything not listed is compared as 64 bits, which is what
 * libseccomp does for everything. Listing a 64-bit parameter here would let
 * high bits through, so an entry needs its declaration beside it.
 */
const INT_ARGUMENTS: Readonly<Record<string, readonly number[]>> = {
  accept4: [0, 3], // (int fd, struct sockaddr *, int *, int flags)
  bind: [0, 2], // (int fd, struct sockaddr *, int addrlen)
  bpf: [0, 2], // (int cmd, union bpf_attr *, unsigned int size)
  close: [0], // (unsigned int fd)
  connect: [0, 2], // (int fd, struct sockaddr *, int addrlen)
  dup3: [0, 1, 2], // (unsigned int oldfd, unsigned int newfd, int flags)
  epoll_create1: [0], // (int flags)
  eventfd2: [0, 1], // (unsigned int count, int flags)
  fanotify_init: [0, 1], // (unsigned int flags, unsigned int event_f_flags)
  fcntl: [0, 1], // (unsigned int fd, unsigned int cmd, unsigned long arg)
  finit_module: [0, 2], // (int fd, const char *uargs, int flags)
  futex: [1, 2], // (u32 *uaddr, int op, u32 val, ...)
  getrandom: [2], // (char *buf, size_t count, unsigned int flags)
  getsockopt: [0, 1, 2], // (int fd, int level, int optname, char *optval, int *optlen)
  inotify_init1: [0], // (int flags)
  io_uring_setup: [0], // (u32 entries, struct io_uring_params *)
  ioctl: [0, 1], // (unsigned int fd, unsigned int cmd, unsigned long arg)
  ioprio_set: [0, 1, 2], // (int which, int who, int ioprio)
  kcmp: [0, 1, 2], // (pid_t pid1, pid_t pid2, int type, unsigned long idx1, unsigned long idx2)
  kexec_file_load: [0, 1], // (int kernel_fd, int initrd_fd, unsigned long cmdline_len, const char *, unsigned long flags)
  keyctl: [0], // (int option, unsigned long arg2, ...)
  kill: [0, 1], // (pid_t pid, int sig)
  listen: [0, 1], // (int fd, int backlog)
  madvise: [2], // (unsigned long start, size_t len, int behavior)
  memfd_create: [1], // (const char *uname, unsigned int flags)
  mknod: [2], // (const char *filename, umode_t mode, unsigned int dev)
  mknodat: [0, 3], // (int dfd, const char *filename, umode_t mode, unsigned int dev)
  name_to_handle_at: [0, 4], // (int dfd, const char *name, struct file_handle *, int *mnt_id, int flag)
  open: [1], // (const char *filename, int flags, umode_t mode)
  open_by_handle_at: [0, 2], // (int mountdirfd, struct file_handle *, int flags)
  openat: [0, 2], // (int dfd, const char *filename, int flags, umode_t mode)
  perf_event_open: [1, 2, 3], // (struct perf_event_attr *, pid_t pid, int cpu, int group_fd, unsigned long flags)
  personality: [0], // (unsigned int personality)
  pidfd_open: [0, 1], // (pid_t pid, unsigned int flags)
  pipe2: [1], // (int *fildes, int flags)
  prctl: [0], // (int option, unsigned long arg2, ...)
  quotactl: [0, 2], // (unsigned int cmd, const char *special, qid_t id, void *addr)
  read: [0], // (unsigned int fd, char *buf, size_t count)
  reboot: [0, 1, 2], // (int magic1, int magic2, unsigned int cmd, void *arg)
  recvfrom: [0, 3], // (int fd, void *ubuf, size_t size, unsigned int flags, ...)
  recvmsg: [0, 2], // (int fd, struct user_msghdr *msg, unsigned int flags)
  sched_setaffinity: [0, 1], // (pid_t pid, unsigned int len, unsigned long *user_mask_ptr)
  sched_setscheduler: [0, 1], // (pid_t pid, int policy, struct sched_param *)
  seccomp: [0, 1], // (unsigned int op, unsigned int flags, void *uargs)
  sendmsg: [0, 2], // (int fd, struct user_msghdr *msg, unsigned int flags)
  sendto: [0, 3], // (int fd, void *buff, size_t len, unsigned int flags, ...)
  setns: [0, 1], // (int fd, int flags)
  setpgid: [0, 1], // (pid_t pid, pid_t pgid)
  setsockopt: [0, 1, 2, 4], // (int fd, int level, int optname, char *optval, int optlen)
  shutdown: [0, 1], // (int fd, int how)
  socket: [0, 1, 2], // (int family, int type, int protocol)
  socketpair: [0, 1, 2], // (int family, int type, int protocol, int *usockvec)
  swapon: [1], // (const char *specialfile, int swap_flags)
  syslog: [0, 2], // (int type, char *buf, int len)
  tgkill: [0, 1, 2], // (pid_t tgid, pid_t pid, int sig)
  tkill: [0, 1], // (pid_t pid, int sig)
  umount2: [1], // sys_umount(char *name, int flags)
  userfaultfd: [0], // (int flags)
  write: [0], // (unsigned int fd, const char *buf, size_t count)
};

/** Whether the kernel reads argument `index` of `syscall` as 32 bits. */
export function isIntArgument(syscall: string, index: number): boolean {
  return Object.hasOwn(INT_ARGUMENTS, syscall) && (INT_ARGUMENTS[syscall]?.includes(index) ?? false);
}
