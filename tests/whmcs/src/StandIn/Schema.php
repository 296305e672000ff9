<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the WHMCS tables a provisioning module touches.
 *
 * Creates, when missing, the WHMCS 8 tables a provisioning module touches (README "Tables") with
 * their real names, column names and types as in a WHMCS 8.x schema dump, through the Capsule
 * schema builder so the same code serves MariaDB and SQLite. `tblinvoices` (for emails about an
 * invoice) has only the columns the stand-in uses, from memory of WHMCS 8; so has `tbladdonmodules`
 * (module, setting, value). Deliberate differences from a real WHMCS install, all invisible to a
 * module under WHMCS's non-strict SQL mode:
 *  - NOT NULL text columns get DEFAULT '' (WHMCS's have no default; in non-strict mode MySQL
 *    stores '' for an omitted NOT NULL text, and SQLite would otherwise reject the insert);
 *  - `int(10)` display widths are not reproduced (they have no effect);
 *  - on SQLite, enums become text with a CHECK constraint and dates/datetimes are text;
 *  - the charset is utf8mb4 (WHMCS 8 dumps show utf8mb3).
 * One stand-in-only table, `standin_email_log`, records each email WHMCS "sent" with its template
 * name, related id and merge fields (tblemails has no template column), for tests to read.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use Illuminate\Database\Schema\Blueprint;
use Illuminate\Database\Schema\Builder;
use WHMCS\Database\Capsule;

final class Schema
{
    /** Bump when a table definition changes: existing stand-in databases are then rebuilt. */
    public const VERSION = '4';

    /** @return list<string> every table the stand-in creates */
    public static function tables(): array
    {
        return array_keys(self::definitions());
    }

    /**
     * Creates the tables once: the version is stored after them, so a later boot that finds it
     * checks nothing more. Rebuilds them all when the stored version differs.
     */
    public static function ensure(): void
    {
        $schema = Capsule::schema();
        $current = $schema->hasTable('tblconfiguration')
            ? Capsule::table('tblconfiguration')->where('setting', 'StandInSchemaVersion')->value('value')
            : null;
        if ($current === self::VERSION) {
            // Built already: WHMCS does not check its tables on every request, nor does this.
            return;
        }
        if ($current !== null) {
            self::dropAll();
        }
        foreach (self::definitions() as $table => $define) {
            if (!$schema->hasTable($table)) {
                $schema->create($table, static function (Blueprint $t) use ($define): void {
                    if (Capsule::connection()->getDriverName() === 'mysql') {
                        $t->engine = 'InnoDB';
                        $t->charset = 'utf8mb4';
                        $t->collation = 'utf8mb4_unicode_ci';
                    }
                    $define($t);
                });
            }
        }
        \WHMCS\Config\Setting::setValue('StandInSchemaVersion', self::VERSION);
    }

    /** Drops every stand-in table (not module tables). */
    public static function dropAll(): void
    {
        foreach (array_reverse(self::tables()) as $table) {
            Capsule::schema()->dropIfExists($table);
        }
    }

    /** @return array<string, callable(Blueprint): void> */
    private static function definitions(): array
    {
        $text = static fn (Blueprint $t, string ...$cols) => array_map(fn ($c) => $t->text($c)->default(''), $cols);
        $int = static fn (Blueprint $t, string ...$cols) => array_map(fn ($c) => $t->integer($c)->default(0), $cols);
        $tiny = static fn (Blueprint $t, string ...$cols) => array_map(fn ($c) => $t->tinyInteger($c)->default(0), $cols);
        $money = static fn (Blueprint $t, string ...$cols) => array_map(fn ($c) => $t->decimal($c, 16, 2)->default(0), $cols);

        return [
            'tblconfiguration' => function (Blueprint $t): void {
                $t->string('setting', 64)->default('');
                $t->text('value')->default('');
                $t->timestamps();
                $t->index('setting');
            },
            'tbladmins' => function (Blueprint $t) use ($text, $int, $tiny): void {
                $t->integer('id', true);
                $t->string('uuid', 255)->default('');
                $int($t, 'roleid');
                $text($t, 'username', 'password', 'firstname', 'lastname', 'email', 'language');
                $tiny($t, 'disabled');
                $t->timestamps();
            },
            'tblclients' => function (Blueprint $t) use ($text, $int, $tiny, $money): void {
                $t->integer('id', true);
                $t->string('uuid', 255)->default('');
                $text($t, 'firstname', 'lastname', 'companyname', 'email', 'address1', 'address2', 'city', 'state',
                    'postcode', 'country', 'phonenumber');
                $t->string('tax_id', 128)->default('');
                $text($t, 'password');
                $int($t, 'currency');
                $text($t, 'defaultgateway');
                $money($t, 'credit');
                $tiny($t, 'taxexempt');
                $int($t, 'groupid');
                $text($t, 'language');
                $t->enum('status', ['Active', 'Inactive', 'Closed'])->default('Active');
                $t->tinyInteger('allow_sso')->default(1);
                $tiny($t, 'email_verified');
                $t->date('datecreated')->nullable();
                $t->dateTime('lastlogin')->nullable();
                $text($t, 'ip', 'host', 'notes');
                $t->timestamps();
            },
            'tblproductgroups' => function (Blueprint $t) use ($text, $int, $tiny): void {
                $t->integer('id', true);
                $text($t, 'name', 'slug', 'headline', 'tagline', 'orderfrmtpl', 'disabledgateways');
                $tiny($t, 'hidden');
                $int($t, 'order');
                $t->timestamps();
            },
            'tblproducts' => function (Blueprint $t) use ($text, $int, $tiny): void {
                $t->integer('id', true);
                $text($t, 'type');
                $int($t, 'gid');
                $text($t, 'name');
                $t->string('slug', 128)->default('');
                $text($t, 'description');
                $tiny($t, 'hidden', 'showdomainoptions');
                $int($t, 'welcomeemail');
                $tiny($t, 'stockcontrol');
                $int($t, 'qty');
                $tiny($t, 'proratabilling');
                $int($t, 'proratadate', 'proratachargenextmonth');
                $text($t, 'paytype');
                $int($t, 'allowqty');
                $text($t, 'subdomain', 'autosetup', 'servertype');
                $int($t, 'servergroup');
                for ($i = 1; $i <= 24; $i++) {
                    $text($t, 'configoption' . $i);
                }
                $text($t, 'freedomain', 'freedomainpaymentterms', 'freedomaintlds');
                $int($t, 'recurringcycles', 'autoterminatedays', 'autoterminateemail');
                $tiny($t, 'configoptionsupgrade');
                $text($t, 'billingcycleupgrade');
                $int($t, 'upgradeemail');
                $t->string('overagesenabled', 10)->default('');
                $int($t, 'overagesdisklimit', 'overagesbwlimit');
                $t->decimal('overagesdiskprice', 6, 4)->default(0);
                $t->decimal('overagesbwprice', 6, 4)->default(0);
                $tiny($t, 'tax', 'affiliateonetime');
                $text($t, 'affiliatepaytype');
                $t->decimal('affiliatepayamount', 16, 2)->default(0);
                $int($t, 'order');
                $tiny($t, 'retired', 'is_featured');
                $text($t, 'color', 'tagline', 'short_description');
                $t->timestamps();
            },
            'tblservers' => function (Blueprint $t) use ($text, $int): void {
                $t->integer('id', true);
                $text($t, 'name', 'ipaddress', 'assignedips', 'hostname');
                $t->decimal('monthlycost', 16, 2)->default(0);
                $text($t, 'noc', 'statusaddress');
                foreach (range(1, 5) as $n) {
                    $text($t, 'nameserver' . $n, 'nameserver' . $n . 'ip');
                }
                $int($t, 'maxaccounts');
                $text($t, 'type', 'username', 'password', 'accesshash', 'secure');
                $t->integer('port')->nullable();
                $t->integer('active')->default(0);
                $t->integer('disabled')->default(0);
                $t->timestamps();
            },
            'tblservergroups' => function (Blueprint $t) use ($text): void {
                $t->integer('id', true);
                $text($t, 'name');
                $t->integer('filltype')->default(1);
            },
            'tblservergroupsrel' => function (Blueprint $t) use ($int): void {
                $t->integer('id', true);
                $int($t, 'groupid', 'serverid');
            },
            'tblhosting' => function (Blueprint $t) use ($text, $int, $money): void {
                $t->integer('id', true);
                $int($t, 'userid', 'orderid', 'packageid', 'server');
                $t->date('regdate')->default('0000-00-00');
                $text($t, 'domain', 'paymentmethod');
                $t->unsignedInteger('qty')->default(1);
                $money($t, 'firstpaymentamount', 'amount');
                $text($t, 'billingcycle');
                $t->date('nextduedate')->nullable();
                $t->date('nextinvoicedate')->default('0000-00-00');
                $t->date('termination_date')->default('0000-00-00');
                $t->date('completed_date')->default('0000-00-00');
                $t->enum('domainstatus', ['Pending', 'Active', 'Suspended', 'Terminated', 'Cancelled', 'Fraud', 'Completed'])
                    ->nullable()->default('Pending');
                $text($t, 'username', 'password', 'notes', 'subscriptionid');
                $t->unsignedInteger('recommendation_source_product_id')->nullable();
                $int($t, 'promoid', 'promocount');
                $text($t, 'suspendreason');
                $t->tinyInteger('overideautosuspend')->default(0);
                $t->date('overidesuspenduntil')->default('0000-00-00');
                $text($t, 'dedicatedip', 'assignedips', 'ns1', 'ns2');
                $int($t, 'diskusage', 'disklimit', 'bwusage', 'bwlimit');
                $t->string('upsell_from_products', 40)->nullable();
                $t->dateTime('lastupdate')->default('0000-00-00 00:00:00');
                $t->timestamps();
                $t->index('userid');
                $t->index('orderid');
                $t->index('packageid');
                $t->index('server');
                $t->index('domainstatus');
            },
            'tblproductconfiggroups' => function (Blueprint $t) use ($text): void {
                $t->integer('id', true);
                $text($t, 'name', 'description');
            },
            'tblproductconfiglinks' => function (Blueprint $t) use ($int): void {
                $t->integer('id', true);
                $int($t, 'gid', 'pid');
            },
            'tblproductconfigoptions' => function (Blueprint $t) use ($text, $int): void {
                $t->integer('id', true);
                $int($t, 'gid');
                $text($t, 'optionname', 'optiontype');
                $int($t, 'qtyminimum', 'qtymaximum', 'order', 'hidden');
                $t->index('gid');
            },
            'tblproductconfigoptionssub' => function (Blueprint $t) use ($text, $int): void {
                $t->integer('id', true);
                $int($t, 'configid');
                $text($t, 'optionname');
                $int($t, 'sortorder', 'hidden');
                $t->index('configid');
            },
            'tblhostingconfigoptions' => function (Blueprint $t) use ($int): void {
                $t->integer('id', true);
                $int($t, 'relid', 'configid', 'optionid', 'qty');
                $t->index(['relid', 'configid']);
            },
            'tblcustomfields' => function (Blueprint $t) use ($text, $int): void {
                $t->integer('id', true);
                $text($t, 'type');
                $int($t, 'relid');
                $text($t, 'fieldname', 'fieldtype', 'description', 'fieldoptions', 'regexpr', 'adminonly',
                    'required', 'showorder', 'showinvoice');
                $int($t, 'sortorder');
                $t->timestamps();
            },
            'tblcustomfieldsvalues' => function (Blueprint $t) use ($text, $int): void {
                $t->increments('id');
                $int($t, 'fieldid', 'relid');
                $text($t, 'value');
                $t->timestamps();
                $t->index(['fieldid', 'relid']);
            },
            'tblcurrencies' => function (Blueprint $t) use ($text, $int): void {
                $t->integer('id', true);
                $text($t, 'code', 'prefix', 'suffix');
                $t->integer('format')->default(1);
                $t->decimal('rate', 10, 5)->default(1);
                $int($t, 'default');
            },
            'tblpricing' => function (Blueprint $t) use ($int, $money): void {
                $t->integer('id', true);
                $t->enum('type', ['product', 'addon', 'configoptions', 'domainregister', 'domaintransfer', 'domainrenew',
                    'domainaddons', 'usage']);
                $int($t, 'currency', 'relid');
                $money($t, 'msetupfee', 'qsetupfee', 'ssetupfee', 'asetupfee', 'bsetupfee', 'tsetupfee',
                    'monthly', 'quarterly', 'semiannually', 'annually', 'biennially', 'triennially');
            },
            'tblactivitylog' => function (Blueprint $t) use ($text): void {
                $t->integer('id', true);
                $t->dateTime('date')->nullable();
                $text($t, 'description', 'user');
                $t->unsignedInteger('userid')->default(0);
                $t->unsignedInteger('user_id')->default(0);
                $t->unsignedInteger('admin_id')->default(0);
                $text($t, 'ipaddr');
                $t->index('userid');
                $t->index('date');
            },
            'tblmodulelog' => function (Blueprint $t) use ($text): void {
                $t->integer('id', true);
                $t->dateTime('date')->nullable();
                $text($t, 'module', 'action');
                $t->mediumText('request')->default('');
                $t->mediumText('response')->default('');
                $t->mediumText('arrdata')->default('');
            },
            'tblmodulequeue' => function (Blueprint $t): void {
                $t->integer('id', true);
                $t->string('service_type', 20)->default('');
                $t->unsignedInteger('service_id')->default(0);
                $t->string('module_name', 64)->default('');
                $t->string('module_action', 64)->default('');
                $t->timestamp('last_attempt')->nullable();
                $t->text('last_attempt_error')->default('');
                $t->unsignedSmallInteger('num_retries')->default(0);
                $t->tinyInteger('completed')->default(0);
                $t->timestamps();
            },
            'tblemailtemplates' => function (Blueprint $t) use ($text, $tiny): void {
                $t->integer('id', true);
                $text($t, 'type', 'name', 'subject', 'message', 'attachments', 'fromname', 'fromemail');
                $tiny($t, 'disabled', 'custom');
                $text($t, 'language', 'copyto', 'blind_copy_to');
                $tiny($t, 'plaintext');
                $t->timestamps();
            },
            'tblemails' => function (Blueprint $t) use ($text, $int, $tiny): void {
                $t->integer('id', true);
                $int($t, 'userid');
                $text($t, 'subject', 'message');
                $t->dateTime('date')->nullable();
                $text($t, 'to', 'cc', 'bcc', 'attachments');
                $tiny($t, 'pending');
                $t->mediumText('message_data')->default('');
                $tiny($t, 'failed');
                $text($t, 'failure_reason');
                $int($t, 'retry_count', 'campaign_id');
                $t->timestamps();
                $t->index('userid');
            },
            'tblinvoices' => function (Blueprint $t) use ($text, $int): void {
                $t->integer('id', true);
                $int($t, 'userid');
                $text($t, 'invoicenum');
                $t->date('date')->nullable();
                $t->date('duedate')->nullable();
                $t->decimal('total', 16, 2)->default(0);
                $t->string('status', 20)->default('Unpaid');
                $t->index('userid');
            },
            // Addon modules' settings (module, setting, value): `version` and `access` once
            // activated, and the values of the module's config fields.
            'tbladdonmodules' => function (Blueprint $t): void {
                $t->string('module', 64)->default('');
                $t->string('setting', 64)->default('');
                $t->text('value')->default('');
                $t->index('module');
            },
            'standin_email_log' => function (Blueprint $t) use ($text, $int): void {
                $t->integer('id', true);
                $text($t, 'template');
                $int($t, 'relid', 'userid', 'email_id');
                $t->mediumText('merge_fields')->default('');
                $t->dateTime('date')->nullable();
            },
        ];
    }
}
