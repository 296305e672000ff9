//! A thread's last decoding kept: what a page decodes (a VM's JSON, a service's links) is mostly
//! what the same PHP worker decoded on the page before, a client's views and polls in turn.

use std::cell::RefCell;
use std::thread::LocalKey;

/// The last value a thread decoded, with the key of what it was decoded from.
pub type LastDecoded<K, V> = RefCell<Option<(K, V)>>;

/// What `decode` makes of `key`, made once per thread while the same key comes again (the one
/// kept is the last one decoded). Errors are not kept.
pub fn decoded_once<K: PartialEq, V: Clone, E>(
    last: &'static LocalKey<LastDecoded<K, V>>,
    key: K,
    decode: impl FnOnce(&K) -> Result<V, E>,
) -> Result<V, E> {
    let seen = last.with_borrow(|last| {
        last.as_ref()
            .filter(|(seen, _)| *seen == key)
            .map(|(_, value)| value.clone())
    });
    if let Some(value) = seen {
        return Ok(value);
    }
    let value = decode(&key)?;
    last.set(Some((key, value.clone())));
    Ok(value)
}
