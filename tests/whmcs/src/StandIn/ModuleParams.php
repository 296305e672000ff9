<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the `$params` array WHMCS hands a provisioning module.
 *
 * Mirrors WHMCS's documented module parameters (developers.whmcs.com/provisioning-modules/module-parameters):
 *  serviceid, userid, pid, serverid, domain, username, password (tblhosting.password decrypted),
 *  producttype (tblproducts.type), moduletype (tblproducts.servertype), configoption1..24
 *  (tblproducts), customfields (['Field Name' => value]), configoptions (['Option Name' => value]),
 *  clientsdetails (the client's details), server (bool), serverip, serverhostname, serverusername,
 *  serverpassword (decrypted), serveraccesshash, serversecure (bool), serverport, serverhttpprefix,
 *  and model (the WHMCS\Service\Service Eloquent model).
 * Also present, as in WHMCS builds (not in that documentation): accountid (= serviceid), packageid (= pid),
 * status (domainstatus), type (= producttype), addonId (0 for a service).
 * Naming: WHMCS's `name|Friendly Name` convention — for custom fields and configurable options the
 * array key is the part before `|`; for a dropdown/radio option the value is the chosen
 * sub-option's name before `|`; quantity (4) and yes/no (3) options give the quantity (int).
 * Options linked to the product but not chosen for the service give '' (dropdown) or 0 (quantity);
 * product custom fields without a value give ''.
 * clientsdetails: every tblclients column except password/notes, plus userid, id, fullname,
 * countrycode and model (the WHMCS\User\Client). Simplification: no country name/phone formatting.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Database\Capsule;
use WHMCS\Service\Service;
use WHMCS\User\Client;

final class ModuleParams
{
    /** @return array<string, mixed> */
    public static function build(int $serviceId): array
    {
        $service = Capsule::table('tblhosting')->where('id', $serviceId)->first();
        if ($service === null) {
            throw new \InvalidArgumentException("no service $serviceId in tblhosting");
        }
        $product = Capsule::table('tblproducts')->where('id', $service->packageid)->first();
        $server = (int) $service->server > 0 ? Capsule::table('tblservers')->where('id', $service->server)->first() : null;

        $params = [
            'accountid' => (int) $service->id,
            'serviceid' => (int) $service->id,
            'addonId' => 0,
            'userid' => (int) $service->userid,
            'pid' => (int) $service->packageid,
            'packageid' => (int) $service->packageid,
            'serverid' => (int) $service->server,
            'domain' => (string) $service->domain,
            'username' => (string) $service->username,
            'password' => Encryption::decrypt((string) $service->password),
            'status' => (string) $service->domainstatus,
            'producttype' => (string) ($product->type ?? ''),
            'type' => (string) ($product->type ?? ''),
            'moduletype' => (string) ($product->servertype ?? ''),
        ];
        for ($i = 1; $i <= 24; $i++) {
            $params['configoption' . $i] = (string) ($product->{'configoption' . $i} ?? '');
        }
        $params['customfields'] = self::customFields((int) $service->packageid, (int) $service->id);
        $params['configoptions'] = self::configOptions((int) $service->packageid, (int) $service->id);
        $params['clientsdetails'] = self::clientDetails((int) $service->userid);

        $secure = $server !== null && in_array(strtolower((string) $server->secure), ['on', '1', 'true', 'yes'], true);
        $params += [
            'server' => $server !== null,
            'serverip' => (string) ($server->ipaddress ?? ''),
            'serverhostname' => (string) ($server->hostname ?? ''),
            'serverusername' => (string) ($server->username ?? ''),
            'serverpassword' => $server !== null ? Encryption::decrypt((string) $server->password) : '',
            'serveraccesshash' => (string) ($server->accesshash ?? ''),
            'serversecure' => $secure,
            'serverhttpprefix' => $secure ? 'https' : 'http',
            'serverport' => $server !== null && $server->port !== null ? (int) $server->port : '',
        ];
        $params['model'] = Service::find($serviceId);
        return $params;
    }

    /** Part before `|` of a `name|Friendly Name` WHMCS name. */
    public static function systemName(string $name): string
    {
        return trim(explode('|', $name, 2)[0]);
    }

    /** @return array<string, string> */
    private static function customFields(int $productId, int $serviceId): array
    {
        $fields = Capsule::table('tblcustomfields')->where('type', 'product')->where('relid', $productId)
            ->orderBy('sortorder')->orderBy('id')->get();
        $out = [];
        foreach ($fields as $field) {
            $value = Capsule::table('tblcustomfieldsvalues')->where('fieldid', $field->id)->where('relid', $serviceId)->value('value');
            // HTML-encoded, as WHMCS hands custom-field values to modules (README fact 12).
            $out[self::systemName((string) $field->fieldname)] = htmlspecialchars((string) ($value ?? ''), ENT_QUOTES);
        }
        return $out;
    }

    /** @return array<string, string|int> */
    private static function configOptions(int $productId, int $serviceId): array
    {
        $options = Capsule::table('tblproductconfigoptions')
            ->join('tblproductconfiglinks', 'tblproductconfiglinks.gid', '=', 'tblproductconfigoptions.gid')
            ->where('tblproductconfiglinks.pid', $productId)
            ->orderBy('tblproductconfigoptions.order')->orderBy('tblproductconfigoptions.id')
            ->get(['tblproductconfigoptions.*']);
        $out = [];
        foreach ($options as $option) {
            $chosen = Capsule::table('tblhostingconfigoptions')->where('relid', $serviceId)->where('configid', $option->id)->first();
            $type = (int) $option->optiontype;
            if ($type === 3 || $type === 4) {
                $value = (int) ($chosen->qty ?? 0);
            } else {
                $sub = $chosen === null ? null
                    : Capsule::table('tblproductconfigoptionssub')->where('id', $chosen->optionid)->value('optionname');
                $value = $sub === null ? '' : self::systemName((string) $sub);
            }
            $out[self::systemName((string) $option->optionname)] = $value;
        }
        return $out;
    }

    /** @return array<string, mixed> */
    private static function clientDetails(int $clientId): array
    {
        $client = Capsule::table('tblclients')->where('id', $clientId)->first();
        if ($client === null) {
            return [];
        }
        $details = (array) $client;
        unset($details['password'], $details['notes']);
        $details = ['userid' => (int) $client->id, 'id' => (int) $client->id] + $details;
        $details['fullname'] = trim($client->firstname . ' ' . $client->lastname);
        $details['countrycode'] = (string) $client->country;
        $details['model'] = Client::find($clientId);
        return $details;
    }
}
