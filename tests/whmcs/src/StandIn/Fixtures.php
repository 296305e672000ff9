<?php
/**
 * TEST STAND-IN for proprietary WHMCS: fixture helpers that create WHMCS data the way WHMCS's
 * admin area / order process would leave it in the tables.
 *
 *  - client([...]) → WHMCS\User\Client (tblclients, status Active, currency 1; password
 *    'client-password' unless 'password' => plain text is given; stored password_hash()ed, as the
 *    stand-in's login page checks it; a value that already is a password_hash() is kept)
 *  - product([...], $savedInAdmin = true) → WHMCS\Product\Product (tblproducts, type 'server',
 *    servertype 'katapult'); pass 'configoption1' => ... for module settings, 'welcomeemail' =>
 *    template id. As the admin creates a product (saving it rebuilds the `ModuleHooks` list, see
 *    Module::saveProduct); `$savedInAdmin = false` is a product created through the API, which
 *    leaves the list as it was
 *  - server([...]) → tblservers id (type 'katapult', active, password stored encrypted)
 *  - service($client, $product, [...]) → WHMCS\Service\Service (tblhosting, Pending, monthly,
 *    a generated 10-character password stored encrypted — pass 'password' => plain to choose
 *    it; assigned to the first server of the product's module type when there is one)
 *  - configurableOption($product, 'Name', ['value|Label', ...], $type) → option id; the option
 *    lives in a per-product group "<product name> Options" linked through tblproductconfiglinks;
 *    types as WHMCS: 1 dropdown, 2 radio, 3 yes/no, 4 quantity
 *  - chooseOption($service, $optionId, 'value' | 'value|Label' | qty) → tblhostingconfigoptions
 *  - customField($product, 'name|Label', $service = null, $value = null, [...]) → field id (+ value)
 *  - customFieldValue($fieldId, $service, $value)
 *  - emailTemplate('Name', [...]) → template id (type 'product'; pass 'type' => 'invoice', …)
 *  - invoice($client, [...]) → tblinvoices id (Unpaid, due today)
 *  - admin('username', 'password') → tbladmins id (role 1, Full Administrator; the password
 *    stored password_hash()ed for the admin web front's login, none when not given)
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Database\Capsule;
use WHMCS\Product\Product;
use WHMCS\Service\Service;
use WHMCS\User\Client;

final class Fixtures
{
    private static int $sequence = 0;

    /** @param array<string, mixed> $overrides 'password' is given in plain text (or as a password_hash()) */
    public static function client(array $overrides = []): Client
    {
        $n = ++self::$sequence;
        if (isset($overrides['password']) && password_get_info((string) $overrides['password'])['algo'] === null) {
            $overrides['password'] = password_hash((string) $overrides['password'], PASSWORD_BCRYPT);
        }
        return Client::create($overrides + [
            'uuid' => self::uuid(),
            'firstname' => 'Ada',
            'lastname' => 'Lovelace',
            'companyname' => '',
            'email' => "client$n@example.test",
            'address1' => '1 Analytical Street',
            'city' => 'London',
            'state' => 'Greater London',
            'postcode' => 'EC1A 1AA',
            'country' => 'GB',
            'phonenumber' => '+44.2070000000',
            'password' => password_hash('client-password', PASSWORD_BCRYPT),
            'currency' => 1,
            'language' => '',
            'status' => 'Active',
            'datecreated' => date('Y-m-d'),
        ]);
    }

    /** @param array<string, mixed> $overrides */
    public static function product(array $overrides = [], bool $savedInAdmin = true): Product
    {
        $n = ++self::$sequence;
        $product = Product::create($overrides + [
            'type' => 'server',
            'gid' => 1,
            'name' => "Katapult VM $n",
            'slug' => "katapult-vm-$n",
            'paytype' => 'recurring',
            'autosetup' => 'payment',
            'servertype' => 'katapult',
            'welcomeemail' => 0,
        ]);
        if ($savedInAdmin) {
            Module::rebuildModulesInUse();
        }
        return $product;
    }

    /** @param array<string, mixed> $overrides 'password' is given in plain text */
    public static function server(array $overrides = []): int
    {
        $n = ++self::$sequence;
        $row = $overrides + [
            'name' => "Katapult $n",
            'hostname' => 'api.katapult.io',
            'ipaddress' => '',
            'type' => 'katapult',
            'username' => '',
            'password' => '',
            'accesshash' => '',
            'secure' => 'on',
            'active' => 1,
            'disabled' => 0,
            'maxaccounts' => 0,
        ];
        $row['password'] = Encryption::encrypt((string) $row['password']);
        return (int) Capsule::table('tblservers')->insertGetId($row);
    }

    /** @param array<string, mixed> $overrides 'password' is given in plain text */
    public static function service(Client|int $client, Product|int $product, array $overrides = []): Service
    {
        $clientId = $client instanceof Client ? (int) $client->id : $client;
        $productModel = $product instanceof Product ? $product : Product::findOrFail($product);
        $n = ++self::$sequence;
        $server = (int) (Capsule::table('tblservers')->where('type', (string) $productModel->servertype)
            ->where('disabled', 0)->orderBy('id')->value('id') ?? 0);
        $row = $overrides + [
            'userid' => $clientId,
            'orderid' => 0,
            'packageid' => (int) $productModel->id,
            'server' => $server,
            'regdate' => date('Y-m-d'),
            'domain' => "vm$n.example.test",
            'paymentmethod' => 'banktransfer',
            'firstpaymentamount' => '10.00',
            'amount' => '10.00',
            'billingcycle' => 'Monthly',
            'nextduedate' => date('Y-m-d', strtotime('+1 month')),
            'nextinvoicedate' => date('Y-m-d', strtotime('+1 month')),
            'domainstatus' => 'Pending',
            'username' => '',
            'password' => self::generatePassword(),
        ];
        $row['password'] = Encryption::encrypt((string) $row['password']);
        return Service::create($row);
    }

    /**
     * @param list<string> $subOptions sub-option names, e.g. ['uk-lon-01|London']
     * @param array<string, mixed> $overrides tblproductconfigoptions columns (qtyminimum, hidden, ...)
     */
    public static function configurableOption(Product|int $product, string $name, array $subOptions = [], int $type = 1, array $overrides = []): int
    {
        $productModel = $product instanceof Product ? $product : Product::findOrFail($product);
        $groupName = $productModel->name . ' Options';
        $gid = Capsule::table('tblproductconfiggroups')->where('name', $groupName)->value('id');
        if ($gid === null) {
            $gid = Capsule::table('tblproductconfiggroups')->insertGetId(['name' => $groupName, 'description' => '']);
            Capsule::table('tblproductconfiglinks')->insert(['gid' => $gid, 'pid' => $productModel->id]);
        }
        $order = (int) Capsule::table('tblproductconfigoptions')->where('gid', $gid)->count();
        $optionId = (int) Capsule::table('tblproductconfigoptions')->insertGetId($overrides + [
            'gid' => (int) $gid, 'optionname' => $name, 'optiontype' => (string) $type,
            'qtyminimum' => 0, 'qtymaximum' => 0, 'order' => $order, 'hidden' => 0,
        ]);
        foreach (array_values($subOptions) as $i => $sub) {
            Capsule::table('tblproductconfigoptionssub')->insert([
                'configid' => $optionId, 'optionname' => $sub, 'sortorder' => $i, 'hidden' => 0,
            ]);
        }
        return $optionId;
    }

    /** @param string|int $choice a sub-option name (full or the part before `|`), or a quantity */
    public static function chooseOption(Service|int $service, int $optionId, string|int $choice): void
    {
        $serviceId = $service instanceof Service ? (int) $service->id : $service;
        $optionId = (int) $optionId;
        $row = ['relid' => $serviceId, 'configid' => $optionId, 'optionid' => 0, 'qty' => 0];
        if (is_int($choice)) {
            $row['qty'] = $choice;
        } else {
            $subs = Capsule::table('tblproductconfigoptionssub')->where('configid', $optionId)->get();
            foreach ($subs as $sub) {
                if ($sub->optionname === $choice || ModuleParams::systemName((string) $sub->optionname) === $choice) {
                    $row['optionid'] = (int) $sub->id;
                }
            }
            if ($row['optionid'] === 0) {
                throw new \InvalidArgumentException("option $optionId has no sub-option '$choice'");
            }
        }
        Capsule::table('tblhostingconfigoptions')->where('relid', $serviceId)->where('configid', $optionId)->delete();
        Capsule::table('tblhostingconfigoptions')->insert($row);
    }

    /** @param array<string, mixed> $overrides tblcustomfields columns (fieldtype, adminonly 'on', ...) */
    public static function customField(Product|int $product, string $name, Service|int|null $service = null, ?string $value = null, array $overrides = []): int
    {
        $productId = $product instanceof Product ? (int) $product->id : $product;
        $now = date('Y-m-d H:i:s');
        $fieldId = (int) Capsule::table('tblcustomfields')->insertGetId($overrides + [
            'type' => 'product', 'relid' => $productId, 'fieldname' => $name, 'fieldtype' => 'text',
            'description' => '', 'fieldoptions' => '', 'regexpr' => '', 'adminonly' => '', 'required' => '',
            'showorder' => 'on', 'showinvoice' => '', 'sortorder' => 0, 'created_at' => $now, 'updated_at' => $now,
        ]);
        if ($service !== null && $value !== null) {
            self::customFieldValue($fieldId, $service, $value);
        }
        return $fieldId;
    }

    public static function customFieldValue(int $fieldId, Service|int $service, string $value): void
    {
        $serviceId = $service instanceof Service ? (int) $service->id : $service;
        $now = date('Y-m-d H:i:s');
        Capsule::table('tblcustomfieldsvalues')->where('fieldid', $fieldId)->where('relid', $serviceId)->delete();
        Capsule::table('tblcustomfieldsvalues')->insert([
            'fieldid' => $fieldId, 'relid' => $serviceId, 'value' => $value, 'created_at' => $now, 'updated_at' => $now,
        ]);
    }

    /** @param array<string, mixed> $overrides */
    public static function invoice(Client|int $client, array $overrides = []): int
    {
        return (int) Capsule::table('tblinvoices')->insertGetId($overrides + [
            'userid' => $client instanceof Client ? (int) $client->id : $client,
            'invoicenum' => '',
            'date' => date('Y-m-d'),
            'duedate' => date('Y-m-d'),
            'total' => '10.00',
            'status' => 'Unpaid',
        ]);
    }

    /** @param array<string, mixed> $overrides */
    public static function emailTemplate(string $name, array $overrides = []): int
    {
        $now = date('Y-m-d H:i:s');
        return (int) Capsule::table('tblemailtemplates')->insertGetId($overrides + [
            'type' => 'product', 'name' => $name, 'subject' => $name,
            'message' => '<p>Dear {$client_name},</p><p>{$service_product_name} ({$service_domain}) is ready.</p>',
            'attachments' => '', 'fromname' => '', 'fromemail' => '', 'disabled' => 0, 'custom' => 1,
            'language' => '', 'copyto' => '', 'blind_copy_to' => '', 'plaintext' => 0,
            'created_at' => $now, 'updated_at' => $now,
        ]);
    }

    public static function admin(string $username = 'admin', string $password = ''): int
    {
        $now = date('Y-m-d H:i:s');
        return (int) Capsule::table('tbladmins')->insertGetId([
            'uuid' => self::uuid(), 'roleid' => 1, 'username' => $username,
            'password' => $password === '' ? '' : password_hash($password, PASSWORD_BCRYPT),
            'firstname' => 'Admin', 'lastname' => 'User', 'email' => "$username@example.test",
            'created_at' => $now, 'updated_at' => $now,
        ]);
    }

    /** 10 characters of letters and digits, like WHMCS's generated service passwords. */
    public static function generatePassword(int $length = 10): string
    {
        $chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
        $out = '';
        for ($i = 0; $i < $length; $i++) {
            $out .= $chars[random_int(0, strlen($chars) - 1)];
        }
        return $out;
    }

    private static function uuid(): string
    {
        $b = random_bytes(16);
        $b[6] = chr((ord($b[6]) & 0x0f) | 0x40);
        $b[8] = chr((ord($b[8]) & 0x3f) | 0x80);
        return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($b), 4));
    }
}
