<?php
/**
 * TEST STAND-IN for proprietary WHMCS: WHMCS\Database\Capsule.
 *
 * Mirrors WHMCS's `WHMCS\Database\Capsule` (developers.whmcs.com/advanced/db-interaction): a
 * Laravel Capsule Manager set as global, so modules call `Capsule::table()`, `Capsule::schema()`,
 * `Capsule::connection()->getPdo()` and `Capsule::connection()->transaction(...)`, and Eloquent
 * models share the connection. WHMCS 8 bundles Illuminate 7; the stand-in uses Debian's
 * Illuminate 8 (same API for everything a module uses). The connection itself is configured by
 * WhmcsStandIn\Environment from WHMCS_DB_DSN.
 */

declare(strict_types=1);

namespace WHMCS\Database;

use Illuminate\Database\Capsule\Manager;

class Capsule extends Manager
{
}
