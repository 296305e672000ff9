<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the order paths that set a service up and send the
 * product's welcome email (README fact 5). WHMCS sends the welcome email (`defaultnewacc`) only
 * from these paths (and automatic setup on order, and the server sync tool, not modelled); the
 * admin's Create button and the API's ModuleCreate call CreateAccount and send no email.
 *
 *  - acceptOrder($serviceId, $sendWelcomeEmail = true): Orders > Accept Order with "Run module
 *    create" and "Send welcome email" ticked: the module command CreateAccount (as
 *    Module::runModuleCommand: hooks, status Active, activity log) and, on success, the welcome
 *    email; then the `AcceptOrder` hook with the service's orderid.
 *  - payFirstInvoice($serviceId): the first invoice is paid and the product's automatic setup is
 *    "on payment" (`tblproducts.autosetup = 'payment'`): the same create and welcome email, for a
 *    Pending service. Anything else sets nothing up ('' is returned).
 * Simplification: no orders, invoices or payments are stored; the service stands for its order.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Database\Capsule;

final class Orders
{
    /** @return string the module's result ('success' or its error) */
    public static function acceptOrder(int $serviceId, bool $sendWelcomeEmail = true): string
    {
        $result = self::setUp($serviceId, $sendWelcomeEmail);
        Hooks::run('AcceptOrder', ['orderid' => (int) Capsule::table('tblhosting')->where('id', $serviceId)->value('orderid')]);
        return $result;
    }

    /** @return string the module's result, or '' when paying sets nothing up */
    public static function payFirstInvoice(int $serviceId): string
    {
        $service = Capsule::table('tblhosting')
            ->join('tblproducts', 'tblproducts.id', '=', 'tblhosting.packageid')
            ->where('tblhosting.id', $serviceId)
            ->first(['tblhosting.domainstatus', 'tblproducts.autosetup']);
        if ($service === null || (string) $service->autosetup !== 'payment' || (string) $service->domainstatus !== 'Pending') {
            return '';
        }
        return self::setUp($serviceId, true);
    }

    private static function setUp(int $serviceId, bool $sendWelcomeEmail): string
    {
        $result = Module::runModuleCommand('CreateAccount', $serviceId);
        if ($result === 'success' && $sendWelcomeEmail) {
            Mailer::send('defaultnewacc', $serviceId);
        }
        return $result;
    }
}
