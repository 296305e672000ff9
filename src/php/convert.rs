//! JSON values to PHP values and back: API objects reach PHP as plain arrays, in API order.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::types::{ArrayKey, ZendHashTable, Zval};
use serde::Serialize;
use serde_json::{Map, Number, Value};

/// A serializable result (an API object or list) as a PHP array.
pub fn to_php_array<T: Serialize>(value: &T) -> Result<ZBox<ZendHashTable>, String> {
    let json = serde_json::to_value(value)
        .map_err(|e| format!("cannot convert the API result for PHP: {e}"))?;
    json_to_table(&json).ok_or_else(|| "the API result is not an object or a list".to_string())?
}

/// A JSON object or array as a PHP array; `None` for scalars.
fn json_to_table(value: &Value) -> Option<Result<ZBox<ZendHashTable>, String>> {
    let fill = || -> Result<ZBox<ZendHashTable>, String> {
        let mut table = ZendHashTable::new();
        match value {
            Value::Array(items) => {
                for item in items {
                    table.push(json_to_zval(item)?).map_err(|e| e.to_string())?;
                }
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    table
                        .insert(key.as_str(), json_to_zval(item)?)
                        .map_err(|e| e.to_string())?;
                }
            }
            _ => {}
        }
        Ok(table)
    };
    matches!(value, Value::Array(_) | Value::Object(_)).then(fill)
}

pub fn json_to_zval(value: &Value) -> Result<Zval, String> {
    let mut zval = Zval::new();
    match value {
        Value::Null => zval.set_null(),
        Value::Bool(b) => zval.set_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => zval.set_long(i),
            None => zval.set_double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => zval.set_string(s, false).map_err(|e| e.to_string())?,
        Value::Array(_) | Value::Object(_) => {
            if let Some(table) = json_to_table(value) {
                zval.set_hashtable(table?);
            }
        }
    }
    Ok(zval)
}

/// What to do with objects and resources inside an array.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Objects {
    /// An argument the caller built: an object there is a mistake to report.
    Refuse,
    /// WHMCS's `$params`, which carry Eloquent models beside the data: read as null.
    Skip,
}

/// A PHP value as JSON, for arguments given as arrays.
pub fn zval_to_json(zval: &Zval, depth: usize, objects: Objects) -> Result<Value, String> {
    if depth > 32 {
        return Err("the array is nested too deeply (over 32 levels)".into());
    }
    if zval.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = zval.bool() {
        if zval.is_bool() {
            return Ok(Value::Bool(b));
        }
    }
    if zval.is_long() {
        return Ok(Value::from(zval.long().unwrap_or_default()));
    }
    if zval.is_double() {
        let f = zval.double().unwrap_or_default();
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("{f} is not a finite number"));
    }
    if let Some(s) = zval.str() {
        return Ok(Value::String(s.to_string()));
    }
    if zval.is_string() {
        return Err("a string that is not valid UTF-8 was given".into());
    }
    if let Some(table) = zval.array() {
        return table_to_json(table, depth, objects);
    }
    if objects == Objects::Skip {
        return Ok(Value::Null);
    }
    Err(format!(
        "a value of type {:?} cannot be used here; give strings, numbers or arrays",
        zval.get_type()
    ))
}

pub fn table_to_json(
    table: &ZendHashTable,
    depth: usize,
    objects: Objects,
) -> Result<Value, String> {
    let entries = entries(table)?;
    let is_list = entries.iter().enumerate().all(
        |(index, (key, _))| matches!(key, ArrayKey::Long(i) if usize::try_from(*i) == Ok(index)),
    );
    if is_list {
        return entries
            .into_iter()
            .map(|(_, v)| zval_to_json(v, depth + 1, objects))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    let mut object = Map::new();
    for (key, item) in entries {
        object.insert(key.to_string(), zval_to_json(item, depth + 1, objects)?);
    }
    Ok(Value::Object(object))
}

/// The entries of a PHP array, in order. Not `iter()`, `values()` or `has_sequential_keys()`:
/// ext-php-rs 0.16 panics in those ("Invalid array key!") on a string key that is not UTF-8,
/// which any PHP code can make (`["\xff" => 1]`). `next_zval` hands the key over as a zval.
pub fn entries(table: &ZendHashTable) -> Result<Vec<(ArrayKey<'static>, &Zval)>, String> {
    let mut iter = table.iter();
    let mut entries = Vec::with_capacity(table.len());
    while let Some((key, value)) = iter.next_zval() {
        let key = match key.long() {
            Some(index) => ArrayKey::Long(index),
            None => ArrayKey::String(
                key.str()
                    .ok_or("an array key that is not valid UTF-8 was given")?
                    .to_string(),
            ),
        };
        entries.push((key, value));
    }
    Ok(entries)
}
