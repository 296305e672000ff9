<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the server sync tool (Configuration > System Settings >
 * Servers > Sync Accounts, WHMCS 7.8+; developers.whmcs.com provisioning-modules/server-sync,
 * docs.whmcs.com servers/sync-accounts).
 *
 * Mirrors the documented flow:
 *  - offered only for a server whose module has `<module>_ListAccounts` (available());
 *  - analyse($serverId): `<module>_ListAccounts($params)` with the server's fields (as for
 *    loaders, Module::serverParams), then each account is matched with the services on that
 *    server by the unique identifier: MetaData `ListAccountsUniqueIdentifierField` (default
 *    `domain`; `username`, or `customfield.<Name>` for a product custom field's value) against
 *    the account's `uniqueIdentifier`. Matched accounts list the fields that differ (domain,
 *    primary IP, username, product, status, creation date); services on the server that no
 *    account matches are listed as only in WHMCS. `['success' => false, 'error' => …]` from the
 *    module is the report's error;
 *  - import($serverId, $uniqueIdentifiers): the ticked accounts that are not in WHMCS become
 *    services: the client with the account's email (an account without an email, or whose email
 *    no client has, is not imported: the stand-in does not make clients), the product of the
 *    server's module whose `ListAccountsProductField` (e.g. configoption1) equals the account's
 *    `product` (a product named after it is made when none does, as the docs say), the domain,
 *    username, dedicated IP = primaryip, regdate = created, status = the account's status, on
 *    this server. Then, as WHMCS's order paths do (README fact 5), the product's welcome email.
 *    No module function is called. Ticked accounts that match a service sync its differing
 *    fields into it.
 * Simplifications: no UI (the admin web front shows no sync page), no termination of services
 * only in WHMCS, the new service is a "Free Account" at no price, no order row.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Database\Capsule;

final class ServerSync
{
    /** Report fields that are compared, account key => tblhosting column. */
    private const COMPARED = [
        'domain' => 'domain',
        'primaryip' => 'dedicatedip',
        'username' => 'username',
        'status' => 'domainstatus',
    ];

    public static function available(int $serverId): bool
    {
        $module = self::moduleOf($serverId);
        // A module this process loaded already (from wherever) is not included a second time.
        $present = isset(Module::loaded()[$module]) || Module::includeInstalled($module);
        return $present && function_exists($module . '_ListAccounts');
    }

    /**
     * @return array{error: ?string, accounts: list<array{account: array<string, string>, serviceId: ?int, differences: list<string>}>, onlyInWhmcs: list<int>}
     */
    public static function analyse(int $serverId): array
    {
        if (!self::available($serverId)) {
            throw new \InvalidArgumentException("server $serverId's module offers no sync (no ListAccounts)");
        }
        $module = self::moduleOf($serverId);
        $server = Capsule::table('tblservers')->where('id', $serverId)->first();
        $answer = call_user_func($module . '_ListAccounts', Module::serverParams($server));
        if (!is_array($answer) || ($answer['success'] ?? false) !== true) {
            return ['error' => (string) (is_array($answer) ? ($answer['error'] ?? 'no answer') : 'no answer'), 'accounts' => [], 'onlyInWhmcs' => []];
        }
        $services = Capsule::table('tblhosting')->where('server', $serverId)->whereNotIn('domainstatus', ['Terminated', 'Cancelled'])->get();
        $field = self::meta($module)['ListAccountsUniqueIdentifierField'] ?? 'domain';
        $matched = [];
        $rows = [];
        foreach ($answer['accounts'] ?? [] as $account) {
            $account = array_map('strval', (array) $account);
            $service = null;
            foreach ($services as $candidate) {
                if (($account['uniqueIdentifier'] ?? '') !== '' && self::identifier($candidate, $field) === $account['uniqueIdentifier']) {
                    $service = $candidate;
                    break;
                }
            }
            $differences = [];
            if ($service !== null) {
                $matched[] = (int) $service->id;
                foreach (self::COMPARED as $key => $column) {
                    if (array_key_exists($key, $account) && (string) $service->$column !== $account[$key]) {
                        $differences[] = $key;
                    }
                }
            }
            $rows[] = ['account' => $account, 'serviceId' => $service === null ? null : (int) $service->id, 'differences' => $differences];
        }
        $only = [];
        foreach ($services as $service) {
            if (!in_array((int) $service->id, $matched, true)) {
                $only[] = (int) $service->id;
            }
        }
        return ['error' => null, 'accounts' => $rows, 'onlyInWhmcs' => $only];
    }

    /**
     * Imports (or syncs) the ticked accounts.
     *
     * @param list<string> $uniqueIdentifiers
     * @return array<string, int|string> unique identifier => the service id, or why it was not imported
     */
    public static function import(int $serverId, array $uniqueIdentifiers): array
    {
        $report = self::analyse($serverId);
        if ($report['error'] !== null) {
            throw new \RuntimeException('the module could not list the accounts: ' . $report['error']);
        }
        $module = self::moduleOf($serverId);
        $done = [];
        foreach ($report['accounts'] as ['account' => $account, 'serviceId' => $serviceId, 'differences' => $differences]) {
            $id = $account['uniqueIdentifier'] ?? '';
            if (!in_array($id, $uniqueIdentifiers, true)) {
                continue;
            }
            if ($serviceId !== null) {
                $update = [];
                foreach ($differences as $key) {
                    $update[self::COMPARED[$key]] = $account[$key];
                }
                if ($update !== []) {
                    Capsule::table('tblhosting')->where('id', $serviceId)->update($update);
                }
                $done[$id] = $serviceId;
                continue;
            }
            $done[$id] = self::importOne($serverId, $module, $account);
        }
        return $done;
    }

    /** @param array<string, string> $account */
    private static function importOne(int $serverId, string $module, array $account): int|string
    {
        $client = ($account['email'] ?? '') === '' ? null
            : Capsule::table('tblclients')->whereRaw('LOWER(email) = ?', [strtolower($account['email'])])->first();
        if ($client === null) {
            return 'no client has the email "' . ($account['email'] ?? '') . '"';
        }
        $productField = self::meta($module)['ListAccountsProductField'] ?? 'configoption1';
        $productId = Capsule::table('tblproducts')->where('servertype', $module)
            ->where($productField, $account['product'] ?? '')->orderBy('id')->value('id');
        if ($productId === null) {
            $productId = Capsule::table('tblproducts')->insertGetId([
                'type' => 'server', 'gid' => 1, 'name' => (string) ($account['product'] ?? 'Imported'),
                'slug' => 'imported-' . bin2hex(random_bytes(4)), 'paytype' => 'free', 'servertype' => $module,
                $productField => (string) ($account['product'] ?? ''),
            ]);
        }
        $created = strtotime($account['created'] ?? '') ?: time();
        $serviceId = (int) Capsule::table('tblhosting')->insertGetId([
            'userid' => (int) $client->id,
            'orderid' => 0,
            'packageid' => (int) $productId,
            'server' => $serverId,
            'regdate' => date('Y-m-d', $created),
            'domain' => $account['domain'] ?? '',
            'username' => $account['username'] ?? '',
            'password' => Encryption::encrypt(''),
            'dedicatedip' => $account['primaryip'] ?? '',
            'paymentmethod' => 'banktransfer',
            'billingcycle' => 'Free Account',
            'nextduedate' => null,
            'nextinvoicedate' => date('Y-m-d', $created),
            'domainstatus' => ($account['status'] ?? 'Active') === 'Suspended' ? 'Suspended' : 'Active',
            'created_at' => date('Y-m-d H:i:s'),
            'updated_at' => date('Y-m-d H:i:s'),
        ]);
        ActivityLog::log("Server Sync: Imported Service ID: $serviceId", (int) $client->id);
        $welcome = (int) Capsule::table('tblproducts')->where('id', $productId)->value('welcomeemail');
        $template = $welcome > 0 ? Capsule::table('tblemailtemplates')->where('id', $welcome)->value('name') : null;
        if (is_string($template) && $template !== '') {
            Mailer::send($template, $serviceId);
        }
        return $serviceId;
    }

    private static function identifier(object $service, string $field): string
    {
        if (str_starts_with($field, 'customfield.')) {
            $name = substr($field, strlen('customfield.'));
            return (string) Capsule::table('tblcustomfieldsvalues as v')
                ->join('tblcustomfields as f', 'f.id', '=', 'v.fieldid')
                ->where('f.type', 'product')->where('f.relid', $service->packageid)->where('v.relid', $service->id)
                ->where(fn ($q) => $q->where('f.fieldname', $name)->orWhere('f.fieldname', 'like', "$name|%"))
                ->value('v.value');
        }
        return (string) ($service->$field ?? '');
    }

    /** @return array<string, mixed> */
    private static function meta(string $module): array
    {
        return function_exists($module . '_MetaData') ? (array) call_user_func($module . '_MetaData') : [];
    }

    private static function moduleOf(int $serverId): string
    {
        $type = Capsule::table('tblservers')->where('id', $serverId)->value('type');
        if (!is_string($type) || $type === '') {
            throw new \InvalidArgumentException("no server $serverId");
        }
        return $type;
    }
}
