//! PHP code that Rust work calls (provider hooks, `logModuleCall`, PDO) can end the request: a
//! fatal error (the memory or time limit, "Cannot redeclare") makes PHP `longjmp` to its last
//! `zend_try`, past every Rust frame in between, whose destructors never run, so a scope that a
//! destructor closes (the API observer, a transaction, a lock) would stay open and point at freed
//! stack; and `exit()` (or a fatal error PHP turns into the same unwinding) comes back as a pending
//! "unwind exit" that is no exception to take or ask for its message. So every call into PHP goes
//! through `call_php`, which stops the jump right there and leaves an exit pending for PHP; the
//! Rust work sees an error, unwinds normally and calls no more PHP; and the entry point hands the
//! end of the request back to PHP (`or_resume_bailout`) once the Rust frames are gone.

use std::cell::Cell;
use std::panic::{resume_unwind, AssertUnwindSafe};

use ext_php_rs::boxed::ZBox;
use ext_php_rs::types::ZendObject;
use ext_php_rs::zend::{bailout, try_catch, CatchError, ExecutorGlobals};

/// How PHP ended the request under `call_php`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ended {
    Running,
    /// A bailout, stopped in `call_php`: to be resumed.
    BailedOut,
    /// An unwind exit, left pending: PHP carries it on when the entry point returns.
    Exiting,
}

thread_local! {
    static ENDED: Cell<Ended> = const { Cell::new(Ended::Running) };
}

unsafe extern "C" {
    fn zend_is_unwind_exit(ex: *const ZendObject) -> bool;
    fn zend_is_graceful_exit(ex: *const ZendObject) -> bool;
}

/// True when the pending exception is PHP ending the request (`exit()`, or a fatal error this PHP
/// unwinds the same way): it is no exception to take or ask for its message, and stays for PHP.
fn exit_pending() -> bool {
    let pending = ExecutorGlobals::get().exception;
    // SAFETY: `pending` is EG(exception), a live object while it is set; the functions only read it.
    !pending.is_null() && unsafe { zend_is_unwind_exit(pending) || zend_is_graceful_exit(pending) }
}

/// The exception the last call into PHP left, taken (so it does not escape); None when there is
/// none, or when PHP is ending the request (left pending, and noted).
pub(super) fn take_exception() -> Option<ZBox<ZendObject>> {
    if exit_pending() {
        ENDED.set(Ended::Exiting);
        return None;
    }
    ExecutorGlobals::take_exception()
}

/// What a call into PHP answers once PHP is ending the request.
pub(super) const STOPPED: &str = "PHP ended the request (a fatal error, or exit)";

/// Runs `call` (which calls PHP and takes its exceptions with `take_exception`) so that a bailout
/// inside it returns here as `Err`; refuses without calling PHP once PHP is ending the request.
pub(super) fn call_php<T>(call: impl FnOnce() -> T) -> Result<T, &'static str> {
    if ENDED.get() != Ended::Running {
        return Err(STOPPED);
    }
    match try_catch(AssertUnwindSafe(call)) {
        Ok(_) if ENDED.get() == Ended::Exiting || exit_pending() => {
            ENDED.set(Ended::Exiting);
            Err(STOPPED)
        }
        Ok(value) => Ok(value),
        Err(CatchError::Panic(message)) => resume_unwind(Box::new(message)),
        // A bailout (or the engine not running the call through).
        Err(_) => {
            ENDED.set(Ended::BailedOut);
            Err(STOPPED)
        }
    }
}

/// `result`, or, when PHP ended the request during the work that made it, what PHP does next:
/// a bailout stopped by `call_php` is resumed (`result` dropped first); a pending exit is left
/// for PHP, which carries it on when the entry point returns. Called by an entry point once its
/// Rust work has returned.
pub(super) fn or_resume_bailout<T>(result: T) -> T {
    if ENDED.replace(Ended::Running) == Ended::BailedOut {
        drop(result);
        // SAFETY: the work has returned and `result` is dropped: the frames this jump skips (this
        // one, and the entry point's up to ext-php-rs's `zend_try` around it, which passes the
        // bailout on) hold no pointer anything else keeps; what they own leaks.
        unsafe { bailout() }
    }
    result
}

/// RSHUTDOWN: a bailout no entry point resumed does not carry into the next request.
pub(super) fn forget() {
    ENDED.set(Ended::Running);
}
