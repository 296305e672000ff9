<?php
/**
 * TEST STAND-IN for proprietary WHMCS: WHMCS\Product\Product, the Eloquent model of `tblproducts`.
 *
 * Mirrors WHMCS's product model: friendly names (productGroupId, module, welcomeEmailTemplateId,
 * ...) over the legacy columns, and `services()` (tblhosting via packageid). Timestamps kept as
 * Eloquent's default (tblproducts has created_at/updated_at). Simplification: no pricing, group,
 * upgrade or custom-field relations.
 */

declare(strict_types=1);

namespace WHMCS\Product;

use Illuminate\Database\Eloquent\Relations\HasMany;
use WHMCS\Model\AbstractModel;
use WHMCS\Service\Service;

class Product extends AbstractModel
{
    protected $table = 'tblproducts';

    protected $columnMap = [
        'productGroupId' => 'gid',
        'module' => 'servertype',
        'serverGroupId' => 'servergroup',
        'welcomeEmailTemplateId' => 'welcomeemail',
        'isHidden' => 'hidden',
        'isRetired' => 'retired',
        'displayOrder' => 'order',
        'autoSetup' => 'autosetup',
    ];

    public function services(): HasMany
    {
        return $this->hasMany(Service::class, 'packageid');
    }
}
