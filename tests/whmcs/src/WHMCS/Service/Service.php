<?php
/**
 * TEST STAND-IN for proprietary WHMCS: WHMCS\Service\Service, the Eloquent model of `tblhosting`.
 *
 * Mirrors the WHMCS model modules receive as `$params['model']` and subclass (the Katapult module
 * ships `VirtualMachine extends \WHMCS\Service\Service` and calls `VirtualMachine::findOrFail($id)`,
 * which works because the table is declared here and inherited). Relations as in WHMCS: `client()`
 * (tblclients via userid) and `product()` (tblproducts via packageid). Timestamps: tblhosting has
 * created_at/updated_at in WHMCS 8 and Eloquent maintains them (Eloquent default kept).
 * Simplification: serviceProperties, addons, order, invoices and the other WHMCS relations are not
 * provided.
 */

declare(strict_types=1);

namespace WHMCS\Service;

use Illuminate\Database\Eloquent\Relations\BelongsTo;
use WHMCS\Model\AbstractModel;
use WHMCS\Product\Product;
use WHMCS\User\Client;

class Service extends AbstractModel
{
    protected $table = 'tblhosting';

    /** Friendly names WHMCS's model maps onto tblhosting's legacy columns. */
    protected $columnMap = [
        'clientId' => 'userid',
        'productId' => 'packageid',
        'serverId' => 'server',
        'registrationDate' => 'regdate',
        'paymentGateway' => 'paymentmethod',
        'status' => 'domainstatus',
        'promotionId' => 'promoid',
        'overrideAutoSuspend' => 'overideautosuspend',
        'overrideSuspendUntilDate' => 'overidesuspenduntil',
        'bandwidthUsage' => 'bwusage',
        'bandwidthLimit' => 'bwlimit',
        'diskUsage' => 'diskusage',
        'diskLimit' => 'disklimit',
        'lastUpdateDate' => 'lastupdate',
        'firstPaymentAmount' => 'firstpaymentamount',
        'recurringAmount' => 'amount',
        'billingCycle' => 'billingcycle',
        'nextDueDate' => 'nextduedate',
        'nextInvoiceDate' => 'nextinvoicedate',
        'dedicatedIp' => 'dedicatedip',
        'assignedIps' => 'assignedips',
        'suspendReason' => 'suspendreason',
        'orderId' => 'orderid',
    ];

    public function client(): BelongsTo
    {
        return $this->belongsTo(Client::class, 'userid');
    }

    public function product(): BelongsTo
    {
        return $this->belongsTo(Product::class, 'packageid');
    }
}
