<?php
/**
 * TEST STAND-IN for proprietary WHMCS: WHMCS\Model\AbstractModel.
 *
 * WHMCS's Eloquent models extend an AbstractModel that maps friendly camelCase attribute names
 * onto the legacy column names (`$service->status` reads `domainstatus`, `$client->firstName`
 * reads `firstname`; the incumbent Katapult module relies on this). The stand-in keeps that: a
 * model lists `$columnMap = ['friendlyName' => 'column']` and both names read and write the column.
 * Real column names always work too. Simplification: no other WHMCS model behaviour (observers,
 * cache, custom collections) is reproduced.
 */

declare(strict_types=1);

namespace WHMCS\Model;

use Illuminate\Database\Eloquent\Model;

abstract class AbstractModel extends Model
{
    /** @var array<string, string> friendly attribute name => real column */
    protected $columnMap = [];

    /** Everything is fillable, as modules and fixtures write arbitrary columns. */
    protected $guarded = [];

    public function getAttribute($key)
    {
        return parent::getAttribute($this->columnMap[$key] ?? $key);
    }

    public function setAttribute($key, $value)
    {
        return parent::setAttribute($this->columnMap[$key] ?? $key, $value);
    }

    public function __isset($key)
    {
        return parent::__isset($this->columnMap[$key] ?? $key);
    }
}
