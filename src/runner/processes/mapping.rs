//! The `memfd` mapping that holds the shared region of a process run: created by the parent,
//! inherited by the children through its descriptor, mapped shared by each.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;

use crate::locks::Backend;
use crate::runner::region::{Region, RegionView};

/// A `memfd` mapping, shared with the children through the inherited descriptor.
pub(crate) struct Mapping {
    fd: OwnedFd,
    at: NonNull<u8>,
    len: usize,
}

impl Mapping {
    /// A new anonymous file of `len` zero bytes, mapped shared. Not close-on-exec: the children
    /// inherit the descriptor.
    pub(crate) fn create(len: usize) -> io::Result<Mapping> {
        // SAFETY: the name is a valid C string; flags 0 (no MFD_CLOEXEC) on purpose.
        let fd = unsafe { libc::memfd_create(c"lockbench-region".as_ptr(), 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: memfd_create returned a fresh descriptor that nothing else owns.
        let mut fd = unsafe { OwnedFd::from_raw_fd(fd) };
        if fd.as_raw_fd() <= 2 {
            // A parent started with stdin, stdout or stderr closed got 0..2 back, which the
            // children's standard streams would overwrite: move it up (still inherited).
            // SAFETY: F_DUPFD duplicates our own descriptor to the lowest free number >= 3.
            let moved = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD, 3) };
            if moved < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: a fresh descriptor from fcntl; the old one closes when replaced.
            fd = unsafe { OwnedFd::from_raw_fd(moved) };
        }
        // SAFETY: ftruncate on our own descriptor; it zero-fills the file to `len`.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Self::map(fd, len)
    }

    /// Maps the inherited descriptor `fd` (a child's view of the parent's mapping).
    pub(crate) fn open(fd: RawFd, len: usize) -> io::Result<Mapping> {
        // Only a descriptor that is the parent's region will do (the hidden worker command can
        // be typed by anyone): /proc names a memfd "/memfd:<name> (deleted)".
        let target = std::fs::read_link(format!("/proc/self/fd/{fd}"))?;
        if fd <= 2
            || !target
                .to_string_lossy()
                .starts_with("/memfd:lockbench-region")
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "descriptor is not a lockbench shared region",
            ));
        }
        // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat writes into `st`; a bad `fd` is reported by its return value.
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if (st.st_size as u64) < len as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the shared region is smaller than this run needs",
            ));
        }
        // SAFETY: the descriptor was inherited from the parent for this process to own.
        Self::map(unsafe { OwnedFd::from_raw_fd(fd) }, len)
    }

    fn map(fd: OwnedFd, len: usize) -> io::Result<Mapping> {
        // SAFETY: a fresh shared mapping of `len` bytes of our descriptor; the kernel picks the
        // (page-aligned, so 128-aligned) address.
        let at = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if at == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            fd,
            at: NonNull::new(at.cast()).expect("mmap does not return null on success"),
            len,
        })
    }
}

impl Mapping {
    /// References into the region in this mapping, borrowing the mapping.
    ///
    /// # Safety
    /// The mapping holds a region made by `Region::<B>::init` for `workers` and `locks`.
    pub(crate) unsafe fn view<B: Backend>(
        &self,
        workers: usize,
        locks: usize,
    ) -> RegionView<'_, B> {
        // SAFETY: the caller's contract; the returned view borrows `self`, so the memory stays
        // mapped for as long as it is used.
        unsafe { Region::<B>::view(self.at, workers, locks) }
    }
}

impl Mapping {
    /// The descriptor the children inherit.
    pub(crate) fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Makes a region for `workers` workers and `locks` locks in this (fresh, zeroed) mapping.
    ///
    /// # Safety
    /// The mapping is fresh from [`Mapping::create`] with
    /// `Region::<B>::layout(workers, locks).size()` bytes, and holds no region yet.
    pub(crate) unsafe fn init<B: Backend>(&self, workers: usize, locks: usize, initial: u64) {
        // SAFETY: per the contract, zero-filled and large enough; mmap returned a page-aligned
        // (so 128-aligned) address that stays mapped as long as `self`.
        unsafe { Region::<B>::init(self.at, workers, locks, initial) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmapping what `map` mapped; views borrow the Mapping (`Mapping::view`), so
        // none is alive. The descriptor closes when `fd` drops.
        unsafe { libc::munmap(self.at.as_ptr().cast(), self.len) };
    }
}
