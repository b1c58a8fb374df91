/// A file's identity as the kernel keeps it, from statx(2): its device and inode, size, and the
/// times of its last content change (mtime) and last change of any kind (ctime). A user can set a
/// file's mtime (touch -r, cp -p) but not its ctime: any write, truncation or replacement moves
/// the ctime to now, and a file put in place by rename has another inode. So a file with the
/// same identity as before has not been changed since, without reading its bytes.
module Lrbs.Core.Data.FileIdentity

open System
open System.Runtime.InteropServices

[<DllImport("libc", CallingConvention = CallingConvention.Cdecl, SetLastError = true)>]
extern int private statx(int dirfd, string pathname, int flags, uint32 mask, byte[] statxbuf)

let private AT_FDCWD = -100
// STATX_MTIME | STATX_CTIME | STATX_INO | STATX_SIZE: the fields the identity needs
let private wanted = 0x40u ||| 0x80u ||| 0x100u ||| 0x200u

/// The identity of `path` as text (device, inode, size, mtime and ctime to the nanosecond),
/// or None where statx is missing (an old kernel or C library, a sandbox that forbids it) or
/// does not report every field; callers then fall back to the file's content.
let tryOf (path: string) : string option =
    // struct statx (linux/stat.h, the same layout on every architecture): stx_mask at 0, stx_ino
    // at 32, stx_size at 40, stx_ctime at 96 and stx_mtime at 112 (tv_sec i64, tv_nsec u32),
    // stx_dev_major and stx_dev_minor at 136 and 140; 256 bytes in all
    let buffer = Array.zeroCreate<byte> 256

    let ok =
        try
            statx (AT_FDCWD, path, 0, wanted, buffer) = 0
        with
        | :? EntryPointNotFoundException
        | :? DllNotFoundException -> false

    let u32 offset = BitConverter.ToUInt32(buffer, offset)
    let u64 offset = BitConverter.ToUInt64(buffer, offset)
    let i64 offset = BitConverter.ToInt64(buffer, offset)

    if not ok || u32 0 &&& wanted <> wanted then
        None
    else
        Some $"{u32 136}:{u32 140}:{u64 32}|{u64 40}|{i64 112}.{u32 120:D9}|{i64 96}.{u32 104:D9}"
