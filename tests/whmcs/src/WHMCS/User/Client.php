<?php
/**
 * TEST STAND-IN for proprietary WHMCS: WHMCS\User\Client, the Eloquent model of `tblclients`.
 *
 * Mirrors WHMCS's client model: friendly names (firstName, lastName, companyName, ...) over the
 * legacy columns, `services()` (tblhosting via userid) and the `fullName` accessor. Timestamps:
 * tblclients has created_at/updated_at; Eloquent maintains them. Simplification: no contacts,
 * users, invoices, domains or other relations.
 */

declare(strict_types=1);

namespace WHMCS\User;

use Illuminate\Database\Eloquent\Relations\HasMany;
use WHMCS\Model\AbstractModel;
use WHMCS\Service\Service;

class Client extends AbstractModel
{
    protected $table = 'tblclients';

    protected $hidden = ['password'];

    protected $columnMap = [
        'firstName' => 'firstname',
        'lastName' => 'lastname',
        'companyName' => 'companyname',
        'postcode' => 'postcode',
        'phoneNumber' => 'phonenumber',
        'taxId' => 'tax_id',
        'currencyId' => 'currency',
        'groupId' => 'groupid',
        'dateCreated' => 'datecreated',
        'lastLoginDate' => 'lastlogin',
        'allowSso' => 'allow_sso',
        'emailVerified' => 'email_verified',
    ];

    public function services(): HasMany
    {
        return $this->hasMany(Service::class, 'userid');
    }

    /** "First Last", as WHMCS's `$client->fullName`. */
    public function getFullNameAttribute(): string
    {
        return trim($this->firstname . ' ' . $this->lastname);
    }
}
