//! Watching API exchanges (for WHMCS's module log) without the client knowing about WHMCS.
//!
//! A caller installs an observer for the duration of some work; every exchange the work makes on
//! this thread is reported to it. Clients are shared across requests, observers are not: PHP runs
//! one request per thread, so a thread-local scope is exactly one request's work.

use std::cell::RefCell;

/// One HTTP exchange with the API, as it can be logged: no token (it only travels in a header).
#[derive(Debug, Clone)]
pub struct Exchange<'a> {
    pub method: &'a str,
    /// The URL with its query string.
    pub url: &'a str,
    pub request_body: Option<&'a str>,
    /// None when no answer came (connection failure, time-out).
    pub status: Option<u16>,
    /// The body, or what went wrong.
    pub response: &'a str,
}

pub trait Observer {
    fn exchange(&self, exchange: &Exchange<'_>);
}

thread_local! {
    static OBSERVERS: RefCell<Vec<*const (dyn Observer + 'static)>> = const { RefCell::new(Vec::new()) };
}

/// An exchange kept for later, when it happened on a thread other than the one that logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedExchange {
    pub method: String,
    pub url: String,
    pub request_body: Option<String>,
    pub status: Option<u16>,
    pub response: String,
}

impl RecordedExchange {
    pub fn as_exchange(&self) -> Exchange<'_> {
        Exchange {
            method: &self.method,
            url: &self.url,
            request_body: self.request_body.as_deref(),
            status: self.status,
            response: &self.response,
        }
    }
}

/// Keeps every exchange it sees.
#[derive(Default)]
pub struct Recorder(std::sync::Mutex<Vec<RecordedExchange>>);

impl Recorder {
    pub fn take(&self) -> Vec<RecordedExchange> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Observer for Recorder {
    fn exchange(&self, e: &Exchange<'_>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(RecordedExchange {
                method: e.method.into(),
                url: e.url.into(),
                request_body: e.request_body.map(Into::into),
                status: e.status,
                response: e.response.into(),
            });
    }
}

/// Runs `work`, reporting its exchanges on this thread to `observer`.
pub fn observe<T>(observer: &dyn Observer, work: impl FnOnce() -> T) -> T {
    // SAFETY: the pointer is removed below (`Pop`) before `observer`'s borrow ends, also when
    // `work` panics. No PHP fatal error can skip that frame: every call into PHP stops a bailout
    // at its own `zend_try` and returns (src/php/bailout.rs); and RSHUTDOWN clears the stack.
    let erased: *const (dyn Observer + 'static) =
        unsafe { std::mem::transmute(observer as *const dyn Observer) };
    OBSERVERS.with(|o| o.borrow_mut().push(erased));
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            OBSERVERS.with(|o| o.borrow_mut().pop());
        }
    }
    let _pop = Pop;
    work()
}

/// Drops every observer this thread holds. At the end of a request nothing should be observing
/// (each `observe` removes its own): this makes sure none outlives the request it was for, even
/// if a scope was left without unwinding.
pub fn forget_all() {
    OBSERVERS.with(|o| o.borrow_mut().clear());
}

/// True while some observer on this thread wants exchanges (so callers skip building them).
pub(crate) fn observing() -> bool {
    OBSERVERS.with(|o| !o.borrow().is_empty())
}

/// Reports an exchange to the innermost observer, if any.
pub(crate) fn report(exchange: &Exchange<'_>) {
    let current = OBSERVERS.with(|o| o.borrow().last().copied());
    if let Some(observer) = current {
        // SAFETY: present in the stack only while `observe` holds the borrow (see there).
        unsafe { &*observer }.exchange(exchange);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder(RefCell<Vec<String>>);

    impl Observer for Recorder {
        fn exchange(&self, exchange: &Exchange<'_>) {
            self.0.borrow_mut().push(format!(
                "{} {} {:?}",
                exchange.method, exchange.url, exchange.status
            ));
        }
    }

    fn exchange() -> Exchange<'static> {
        Exchange {
            method: "GET",
            url: "https://x/core/v1/zones",
            request_body: None,
            status: Some(200),
            response: "{}",
        }
    }

    #[test]
    fn exchanges_reach_the_innermost_observer_only_while_observing() {
        let outer = Recorder(RefCell::new(vec![]));
        let inner = Recorder(RefCell::new(vec![]));
        report(&exchange());
        observe(&outer, || {
            report(&exchange());
            observe(&inner, || report(&exchange()));
            report(&exchange());
        });
        report(&exchange());
        assert_eq!(outer.0.borrow().len(), 2);
        assert_eq!(inner.0.borrow().len(), 1);
    }
}
