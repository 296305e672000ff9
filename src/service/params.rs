//! The `$params` WHMCS passes to a module function, as far as the module reads them.

use serde_json::Value;

/// A service's params: who, what product settings, what the client chose.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceParams {
    pub service_id: u64,
    pub client_id: u64,
    pub domain: String,
    /// configoption1..24, in order (index 0 is configoption1).
    pub config_options: Vec<String>,
    /// Configurable options the client chose: option name → value.
    pub configurable_options: Vec<(String, String)>,
    pub client_first_name: String,
    pub client_last_name: String,
    pub client_company: String,
    /// The service's username and password (WHMCS passes the password decrypted).
    pub username: String,
    pub password: String,
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn id(value: Option<&Value>) -> Option<u64> {
    match value {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

/// The names of configoption1..24.
#[rustfmt::skip]
const CONFIG_OPTION_KEYS: [&str; 24] = [
    "configoption1", "configoption2", "configoption3", "configoption4", "configoption5",
    "configoption6", "configoption7", "configoption8", "configoption9", "configoption10",
    "configoption11", "configoption12", "configoption13", "configoption14", "configoption15",
    "configoption16", "configoption17", "configoption18", "configoption19", "configoption20",
    "configoption21", "configoption22", "configoption23", "configoption24",
];

/// Where the params are read from: PHP's array itself in the extension (read key by key, so that
/// nothing else of it is converted), a JSON object in the tests. A value that cannot be read
/// (PHP's string that is not UTF-8) is an error, said as it is.
pub trait ParamsSource {
    /// The scalar (a string or a number) at `key`; None for anything else.
    fn scalar(&self, key: &str) -> Result<Option<Value>, String>;
    /// The scalar at `key` of the array at `table`.
    fn scalar_in(&self, table: &str, key: &str) -> Result<Option<Value>, String>;
    /// The entries of the array at `table`, in order, each value a scalar or None.
    fn entries_of(&self, table: &str) -> Result<Vec<(String, Option<Value>)>, String>;
}

#[cfg(test)]
fn scalar(value: Option<&Value>) -> Option<Value> {
    value.filter(|v| v.is_string() || v.is_number()).cloned()
}

#[cfg(test)]
impl ParamsSource for serde_json::Map<String, Value> {
    fn scalar(&self, key: &str) -> Result<Option<Value>, String> {
        Ok(scalar(self.get(key)))
    }

    fn scalar_in(&self, table: &str, key: &str) -> Result<Option<Value>, String> {
        Ok(scalar(
            self.get(table)
                .and_then(Value::as_object)
                .and_then(|t| t.get(key)),
        ))
    }

    fn entries_of(&self, table: &str) -> Result<Vec<(String, Option<Value>)>, String> {
        Ok(self
            .get(table)
            .and_then(Value::as_object)
            .map(|entries| {
                entries
                    .iter()
                    .map(|(name, value)| (name.clone(), scalar(Some(value))))
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl ServiceParams {
    pub fn read(params: &dyn ParamsSource) -> Result<Self, String> {
        let service_id = id(params.scalar("serviceid")?.as_ref())
            .ok_or("the module was called without a service (serviceid)")?;
        let client_id = id(params.scalar("userid")?.as_ref())
            .ok_or("the module was called without a client (userid)")?;
        let field = |key: &str| Ok::<_, String>(text(params.scalar(key)?.as_ref()));
        let detail =
            |key: &str| Ok::<_, String>(text(params.scalar_in("clientsdetails", key)?.as_ref()));
        Ok(Self {
            service_id,
            client_id,
            domain: field("domain")?,
            config_options: CONFIG_OPTION_KEYS
                .iter()
                .map(|key| field(key))
                .collect::<Result<_, _>>()?,
            configurable_options: params
                .entries_of("configoptions")?
                .into_iter()
                .map(|(name, value)| (name, text(value.as_ref())))
                .collect(),
            client_first_name: detail("firstname")?,
            client_last_name: detail("lastname")?,
            client_company: detail("companyname")?,
            username: field("username")?,
            password: params
                .scalar("password")?
                .as_ref()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        })
    }

    /// configoptionN (1-based), empty when unset.
    pub fn config_option(&self, n: usize) -> &str {
        self.config_options
            .get(n.wrapping_sub(1))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// A configurable option's machine value: the part before `|` (`uk-lon-01|London`), as the
    /// PHP module and other modules name their sub-options.
    pub fn configurable_option(&self, name: &str) -> Option<&str> {
        self.configurable_options
            .iter()
            .find(|(option, _)| {
                option
                    .split('|')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case(name)
            })
            .map(|(_, value)| value.split('|').next().unwrap_or_default().trim())
            .filter(|value| !value.is_empty())
    }

    /// "First Last (Company)", as the PHP module labels a client.
    pub fn client_label(&self) -> String {
        let name = format!("{} {}", self.client_first_name, self.client_last_name)
            .trim()
            .to_string();
        let name = if name.is_empty() {
            format!("WHMCS client {}", self.client_id)
        } else {
            name
        };
        if self.client_company.is_empty() {
            name
        } else {
            format!("{name} ({})", self.client_company)
        }
    }
}

/// A Katapult hostname from the service's domain: lower case, letters, digits and hyphens (a dot
/// becomes a hyphen), at most 63 characters, no hyphen at either end. None when nothing is left
/// (Katapult then generates one).
pub fn hostname_from_domain(domain: &str) -> Option<String> {
    let mut hostname: String = domain
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while hostname.contains("--") {
        hostname = hostname.replace("--", "-");
    }
    let hostname: String = hostname.trim_matches('-').chars().take(63).collect();
    let hostname = hostname.trim_end_matches('-').to_string();
    (!hostname.is_empty()).then_some(hostname)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hostnames_are_valid_for_katapult() {
        assert_eq!(
            hostname_from_domain("Web1.Example.COM").as_deref(),
            Some("web1-example-com")
        );
        assert_eq!(
            hostname_from_domain(" --my_site!!.net-- ").as_deref(),
            Some("my-site-net")
        );
        assert_eq!(hostname_from_domain(&"a".repeat(70)).unwrap().len(), 63);
        assert_eq!(
            hostname_from_domain(&format!("{}-b", "a".repeat(62))).as_deref(),
            Some("a".repeat(62).as_str())
        );
        assert_eq!(
            hostname_from_domain("ümlaut.de").as_deref(),
            Some("mlaut-de")
        );
        assert_eq!(hostname_from_domain("..."), None);
        assert_eq!(hostname_from_domain(""), None);
    }

    #[test]
    fn params_as_whmcs_builds_them() {
        let params = json!({
            "serviceid": 12, "userid": "3", "domain": "web.example.com",
            "configoption1": "rock-3", "configoption2": "", "configoption3": "templates/ubuntu-22-04",
            "configoptions": {"Data Center|Where": "uk-lon-01|London", "Custom Disk Size (GB)": 40},
            "clientsdetails": {"firstname": "Ada", "lastname": "Lovelace", "companyname": "Engines Ltd", "model": null},
        });
        let params = ServiceParams::read(params.as_object().unwrap()).unwrap();
        assert_eq!((params.service_id, params.client_id), (12, 3));
        assert_eq!(params.config_option(1), "rock-3");
        assert_eq!(params.config_option(2), "");
        assert_eq!(params.config_option(25), "");
        assert_eq!(params.configurable_option("data center"), Some("uk-lon-01"));
        assert_eq!(
            params.configurable_option("Custom Disk Size (GB)"),
            Some("40")
        );
        assert_eq!(params.configurable_option("Disk Template"), None);
        assert_eq!(params.client_label(), "Ada Lovelace (Engines Ltd)");
        assert!(
            ServiceParams::read(json!({"userid": 1}).as_object().unwrap())
                .unwrap_err()
                .contains("serviceid")
        );
    }
}
