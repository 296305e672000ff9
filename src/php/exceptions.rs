//! `Katapult\ApiException`: what PHP catches when an API call fails.
//!
//! Registered by hand with `ClassBuilder` (not `#[php_class]`) so it inherits Exception's object
//! handlers: a thrown instance has its file, line and trace, and PHP code can construct and
//! subclass it.

use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};

use ext_php_rs::builders::{ClassBuilder, ClassProperty};
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpException;
use ext_php_rs::flags::PropertyFlags;
use ext_php_rs::types::{ZendObject, Zval};
use ext_php_rs::zend::ClassEntry;

use super::convert::json_to_zval;
use crate::api::ApiError;

pub const API_EXCEPTION: &str = "Katapult\\ApiException";

static API_EXCEPTION_CE: AtomicPtr<ClassEntry> = AtomicPtr::new(null_mut());

unsafe extern "C" {
    static spl_ce_RuntimeException: *mut ClassEntry;
}

fn runtime_exception() -> &'static ClassEntry {
    // SAFETY: SPL is compiled into PHP and registers this class before any extension's MINIT.
    unsafe { &*spl_ce_RuntimeException }
}

/// The public properties besides message and code, with their docs for the stubs.
const PROPERTIES: [(&str, &str); 4] = [
    ("errorCode", "The API's error code (`virtual_machine_not_found`, …) or the failure's kind: transport_error, timeout, invalid_response, unexpected_status, invalid_settings, invalid_argument."),
    ("httpStatus", "The HTTP status of the API's answer, or null when there was none."),
    ("requestId", "The API's X-Request-Id, to quote to Katapult support, or null."),
    ("detail", "The API's error detail as an array (empty when there is none)."),
];

/// MINIT: registers the class.
pub fn register() -> ext_php_rs::error::Result<()> {
    let mut builder =
        ClassBuilder::new(API_EXCEPTION).extends((runtime_exception, "\\RuntimeException"));
    for (name, doc) in PROPERTIES {
        builder = builder.property(ClassProperty {
            name: name.into(),
            flags: PropertyFlags::Public,
            default: Some(Box::new(|| Ok(Zval::null()))),
            docs: Box::leak(Box::new([doc])),
            ty: None,
            nullable: true,
            readonly: false,
            default_stub: Some("null".into()),
        });
    }
    builder
        .registration(|ce, arg_info| {
            // The (empty) argument tables must outlive the class: keep them for the process.
            std::mem::forget(arg_info);
            API_EXCEPTION_CE.store(ce, Ordering::Release);
        })
        .register()
}

fn api_exception_class() -> &'static ClassEntry {
    let ce = API_EXCEPTION_CE.load(Ordering::Acquire);
    // SAFETY: stored once at MINIT, before any PHP code runs; class entries live for the process.
    unsafe { ce.as_ref() }.unwrap_or_else(runtime_exception)
}

/// A failure with the given kind and message (bad arguments, bad settings).
pub fn failure(kind: &str, message: impl Into<String>) -> PhpException {
    throwable(kind, &message.into(), None, None, &serde_json::json!({}))
}

impl From<ApiError> for PhpException {
    fn from(error: ApiError) -> Self {
        throwable(
            error.kind(),
            &error.to_string(),
            error.status(),
            error.request_id(),
            &error.detail(),
        )
    }
}

fn throwable(
    kind: &str,
    message: &str,
    status: Option<u16>,
    request_id: Option<&str>,
    detail: &serde_json::Value,
) -> PhpException {
    let ce = api_exception_class();
    let code = i32::from(status.unwrap_or(0));
    let plain = || PhpException::new(message.to_string(), code, ce);
    match instance(ce, kind, message, status, request_id, detail) {
        Ok(object) => plain().with_object(object),
        Err(_) => plain(),
    }
}

fn instance(
    ce: &ClassEntry,
    kind: &str,
    message: &str,
    status: Option<u16>,
    request_id: Option<&str>,
    detail: &serde_json::Value,
) -> Result<Zval, String> {
    let mut object = ZendObject::new(ce);
    object
        .try_call_method(
            "__construct",
            vec![&message, &i64::from(status.unwrap_or(0))],
        )
        .map_err(|e| e.to_string())?;
    let set = |object: &mut ZendObject, name: &str, value: Zval| {
        object.set_property(name, value).map_err(|e| e.to_string())
    };
    set(
        &mut object,
        "errorCode",
        kind.into_zval(false).map_err(|e| e.to_string())?,
    )?;
    set(
        &mut object,
        "httpStatus",
        status
            .map(i64::from)
            .into_zval(false)
            .map_err(|e| e.to_string())?,
    )?;
    set(
        &mut object,
        "requestId",
        request_id
            .map(str::to_string)
            .into_zval(false)
            .map_err(|e| e.to_string())?,
    )?;
    set(&mut object, "detail", json_to_zval(detail)?)?;
    object.into_zval(false).map_err(|e| e.to_string())
}
