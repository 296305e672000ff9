<?php
/**
 * TEST STAND-IN for proprietary WHMCS: addon modules (developers.whmcs.com addon-modules/:
 * getting-started, configuration, installation-uninstallation, admin-area-output, multi-language,
 * hooks).
 *
 * Mirrors the documented loader:
 *  - an addon module is `ROOTDIR/modules/addons/<name>/<name>.php`; `<name>_config()` returns
 *    `name`, `description`, `version`, `author`, `language` (the fallback language) and
 *    `fields` (key => FriendlyName/Type/Size/Default/Description/Options, as ConfigOptions);
 *  - activate($name): `<name>_activate()` (optional) answers `['status' => 'success'|'info'|
 *    'error', 'description' => …]`; unless `error`, tbladdonmodules gets `version`, `access`
 *    (the admin role ids allowed, here the activating admin's role) and each field's Default,
 *    and the setting `ActiveAddonModules` lists the module; deactivate($name):
 *    `<name>_deactivate()` and its rows go;
 *  - the module's `hooks.php` is loaded on every page while it is active (loadActiveHooks());
 *  - output($name, $roleId): for an active module the admin's role may use,
 *    `<name>_output($vars)` echoes the page (captured) and `<name>_sidebar($vars)` (optional)
 *    returns the sidebar's HTML; `$vars` holds every field's saved value under its key,
 *    `modulelink` (`addonmodules.php?module=<name>`), `version` (the saved one) and `_lang`
 *    (`$_ADDONLANG` of `lang/<admin language>.php`, else of the config's `language`).
 *    `<name>_upgrade($vars)` runs first when the file's version is newer than the saved one.
 * Simplifications: no "Configure" form (fields keep their defaults unless a test writes
 * tbladdonmodules), no client-area output (`_clientarea`), no permission groups beyond role ids.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Config\Setting;
use WHMCS\Database\Capsule;

final class AddonModules
{
    /** @return array<string, array<string, mixed>> name => its _config(), of every installed addon */
    public static function installed(): array
    {
        $found = [];
        foreach (glob(ROOTDIR . '/modules/addons/*', GLOB_ONLYDIR) ?: [] as $dir) {
            $name = basename($dir);
            if (preg_match('/^[a-z][a-z0-9_]*$/', $name) && self::includeModule($name)) {
                $found[$name] = self::config($name);
            }
        }
        ksort($found);
        return $found;
    }

    /** @return list<string> the active addon modules */
    public static function active(): array
    {
        return array_values(array_filter(explode(',', (string) Setting::getValue('ActiveAddonModules'))));
    }

    /** @return array{status: string, description: string} */
    public static function activate(string $name, int $roleId): array
    {
        if (!self::includeModule($name)) {
            return ['status' => 'error', 'description' => "no addon module $name"];
        }
        $answer = function_exists($name . '_activate') ? (array) call_user_func($name . '_activate') : [];
        $answer = ['status' => (string) ($answer['status'] ?? 'success'), 'description' => (string) ($answer['description'] ?? '')];
        if ($answer['status'] === 'error') {
            return $answer;
        }
        $config = self::config($name);
        Capsule::table('tbladdonmodules')->where('module', $name)->delete();
        $rows = [['module' => $name, 'setting' => 'version', 'value' => (string) ($config['version'] ?? '')],
            ['module' => $name, 'setting' => 'access', 'value' => (string) $roleId]];
        foreach ((array) ($config['fields'] ?? []) as $key => $field) {
            $rows[] = ['module' => $name, 'setting' => (string) $key, 'value' => (string) ($field['Default'] ?? '')];
        }
        Capsule::table('tbladdonmodules')->insert($rows);
        Setting::setValue('ActiveAddonModules', implode(',', array_unique([...self::active(), $name])));
        return $answer;
    }

    public static function deactivate(string $name): void
    {
        if (self::includeModule($name) && function_exists($name . '_deactivate')) {
            call_user_func($name . '_deactivate');
        }
        Capsule::table('tbladdonmodules')->where('module', $name)->delete();
        Setting::setValue('ActiveAddonModules', implode(',', array_diff(self::active(), [$name])));
    }

    /** Loads the hooks.php of every active addon module, as WHMCS does on each page. */
    public static function loadActiveHooks(): void
    {
        foreach (self::active() as $name) {
            $file = ROOTDIR . "/modules/addons/$name/hooks.php";
            if (is_file($file)) {
                require_once $file;
            }
        }
    }

    /**
     * The module's admin page, or null when the admin may not see it (inactive, or not for the role).
     *
     * @return array{title: string, output: string, sidebar: string}|null
     */
    public static function output(string $name, int $roleId, string $adminLanguage = 'english'): ?array
    {
        if (!in_array($name, self::active(), true) || !self::includeModule($name)) {
            return null;
        }
        $saved = Capsule::table('tbladdonmodules')->where('module', $name)->pluck('value', 'setting')->all();
        if (!in_array((string) $roleId, explode(',', (string) ($saved['access'] ?? '')), true)) {
            return null;
        }
        $config = self::config($name);
        $vars = $saved;
        unset($vars['access']);
        $vars['modulelink'] = 'addonmodules.php?module=' . $name;
        $vars['_lang'] = self::language($name, $adminLanguage, (string) ($config['language'] ?? 'english'));
        $fileVersion = (string) ($config['version'] ?? '');
        if (function_exists($name . '_upgrade') && version_compare($fileVersion, (string) ($saved['version'] ?? ''), '>')) {
            call_user_func($name . '_upgrade', $vars);
            Capsule::table('tbladdonmodules')->where('module', $name)->where('setting', 'version')->update(['value' => $fileVersion]);
            $vars['version'] = $fileVersion;
        }
        ob_start();
        try {
            call_user_func($name . '_output', $vars);
        } finally {
            $output = (string) ob_get_clean();
        }
        $sidebar = function_exists($name . '_sidebar') ? (string) call_user_func($name . '_sidebar', $vars) : '';
        return ['title' => (string) ($config['name'] ?? $name), 'output' => $output, 'sidebar' => $sidebar];
    }

    /** @return array<string, mixed> */
    private static function config(string $name): array
    {
        return function_exists($name . '_config') ? (array) call_user_func($name . '_config') : [];
    }

    /** @return array<string, string> */
    private static function language(string $name, string $adminLanguage, string $fallback): array
    {
        foreach (array_unique([$adminLanguage, $fallback]) as $language) {
            $file = ROOTDIR . "/modules/addons/$name/lang/" . preg_replace('/[^a-z_-]/', '', strtolower($language)) . '.php';
            if (is_file($file)) {
                $_ADDONLANG = [];
                include $file;
                return array_filter($_ADDONLANG, 'is_string');
            }
        }
        return [];
    }

    private static function includeModule(string $name): bool
    {
        if (!preg_match('/^[a-z][a-z0-9_]*$/', $name)) {
            return false;
        }
        $file = ROOTDIR . "/modules/addons/$name/$name.php";
        if (!is_file($file)) {
            return false;
        }
        require_once $file;
        return function_exists($name . '_config');
    }
}
