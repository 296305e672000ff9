//! `katapult_MetaData()`: how WHMCS lists the module.

use serde_json::{json, Value};

pub fn meta_data() -> Value {
    json!({
        "DisplayName": "Katapult",
        "APIVersion": "1.1",
        // As the PHP module: WHMCS offers single sign-on (the console) only for services on a
        // server, so products are assigned to one (any values will do).
        "RequiresServer": true,
        "ServiceSingleSignOnLabel": "Open Console",
        // The server sync tool (ListAccounts) matches VMs with services by FQDN, which the
        // module writes into each service's domain, and products by package.
        "ListAccountsUniqueIdentifierDisplayName": "Hostname (FQDN)",
        "ListAccountsUniqueIdentifierField": "domain",
        "ListAccountsProductField": "configoption1",
        // No AdminSingleSignOnLabel: WHMCS shows that button only for a module that defines
        // AdminSingleSignOn, which this one does not (the admin opens the VM in Katapult).
    })
}
