<?php
/**
 * TEST STAND-IN for proprietary WHMCS: WHMCS\Config\Setting, the system settings in `tblconfiguration`.
 *
 * Mirrors WHMCS's `Setting::getValue($name)` / `Setting::setValue($name, $value)` over the
 * `setting`/`value` rows of tblconfiguration (e.g. `ModuleDebugMode` = 'on' switches the module
 * log on). Simplification: a static class over Capsule instead of WHMCS's Eloquent model, and no
 * in-memory cache, so a value written by another process (or by the Rust extension) is seen at once.
 */

declare(strict_types=1);

namespace WHMCS\Config;

use WHMCS\Database\Capsule;

class Setting
{
    public static function getValue(string $setting): ?string
    {
        $value = Capsule::table('tblconfiguration')->where('setting', $setting)->value('value');
        return $value === null ? null : (string) $value;
    }

    public static function setValue(string $setting, $value): void
    {
        $now = date('Y-m-d H:i:s');
        $exists = Capsule::table('tblconfiguration')->where('setting', $setting)->exists();
        if ($exists) {
            Capsule::table('tblconfiguration')->where('setting', $setting)
                ->update(['value' => (string) $value, 'updated_at' => $now]);
        } else {
            Capsule::table('tblconfiguration')
                ->insert(['setting' => $setting, 'value' => (string) $value, 'created_at' => $now, 'updated_at' => $now]);
        }
    }
}
