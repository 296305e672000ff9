<?php
/**
 * TEST STAND-IN for proprietary WHMCS: loading and calling a provisioning (server) module.
 *
 * Loading mirrors WHMCS (REFERENCE.md §1.1): `<dir>/<name>.php` is required once, `<dir>/hooks.php`
 * (if present) is loaded like WHMCS loads module hooks on every page, and classes under `<dir>/lib/`
 * autoload PSR-4 in namespace `WHMCS\Module\Server\<Name>\` (Name = ucfirst of the module name).
 * `ROOTDIR/modules/servers/<name>` is made a symlink to `<dir>`, the path WHMCS would install it at.
 * Hooks registered by hooks.php are remembered and re-registered by Environment::reset(), the way a
 * new WHMCS request re-reads hooks.php (so hooks survive a per-test reset).
 *
 * Calling:
 *  - call($function, $serviceId, $extra): builds `$params` as WHMCS does (ModuleParams), merges
 *    $extra over it and calls `<module>_<Function>($params)` directly; returns its raw result and
 *    lets exceptions through. The module is the service's product `servertype`.
 *  - callNoParams($function, $args): `<module>_<Function>(...$args)` (MetaData, ConfigOptions).
 *  - runModuleCommand($function, $serviceId, $extra): WHMCS's admin "module command" path
 *    (and localAPI Module*): Pre<Hook> (results may override params or return abortcmd => true),
 *    the call (an exception becomes the error string), and on 'success' the action events of
 *    REFERENCE.md §1.2: Create → Active + product welcome email (sendMessage('defaultnewacc'));
 *    Suspend → Suspended (+ suspendreason, default "Overdue on Payment"); Unsuspend → Active;
 *    Terminate → Terminated (+ termination_date today); ChangePassword → the new password
 *    saved encrypted. Then After<Hook> or After<Hook>Failed (with failureResponseMessage) and an
 *    activity log entry "Module <Action> Successful - Service ID: N" or
 *    "Module <Action> Failed - Service ID: N - Error: <message>". Returns the string result.
 *    Wording of the success/failure log lines other than Create-Failed is the stand-in's
 *    approximation. Simplification: no module queue entries, no automation-settings checks.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Database\Capsule;

final class Module
{
    /** @var array<string, string> module name => directory */
    private static array $loaded = [];

    /** @var array<string, list<array>> hook point => entries registered by module hooks.php files */
    private static array $moduleHooks = [];

    /** Function => [hook suffix, log label, status on success]. */
    private const COMMANDS = [
        'CreateAccount' => ['ModuleCreate', 'Create', 'Active'],
        'SuspendAccount' => ['ModuleSuspend', 'Suspend', 'Suspended'],
        'UnsuspendAccount' => ['ModuleUnsuspend', 'Unsuspend', 'Active'],
        'TerminateAccount' => ['ModuleTerminate', 'Terminate', 'Terminated'],
        'ChangePackage' => ['ModuleChangePackage', 'Change Package', null],
        'ChangePassword' => ['ModuleChangePassword', 'Change Password', null],
        'Renew' => ['ModuleRenew', 'Renew', null],
    ];

    public static function load(string $moduleDir, string $name = 'katapult'): void
    {
        $dir = rtrim((string) realpath($moduleDir), '/');
        if ($dir === '' || !is_file("$dir/$name.php")) {
            throw new \InvalidArgumentException("no $name.php in $moduleDir");
        }
        if (isset(self::$loaded[$name])) {
            if (self::$loaded[$name] !== $dir) {
                throw new \LogicException("module $name already loaded from " . self::$loaded[$name]);
            }
            return;
        }
        self::linkIntoRoot($dir, $name);

        $namespace = 'WHMCS\\Module\\Server\\' . ucfirst($name) . '\\';
        spl_autoload_register(static function (string $class) use ($namespace, $dir): void {
            if (strncmp($class, $namespace, strlen($namespace)) === 0) {
                $file = $dir . '/lib/' . str_replace('\\', '/', substr($class, strlen($namespace))) . '.php';
                if (is_file($file)) {
                    require $file;
                }
            }
        });

        require_once "$dir/$name.php";
        self::$loaded[$name] = $dir;
        if (is_file("$dir/hooks.php")) {
            $before = $GLOBALS['hooks'] ?? [];
            require_once "$dir/hooks.php";
            foreach ($GLOBALS['hooks'] ?? [] as $point => $entries) {
                foreach ($entries as $entry) {
                    if (!in_array($entry, $before[$point] ?? [], true)) {
                        self::$moduleHooks[$point][] = $entry;
                    }
                }
            }
        }
    }

    /** Re-registers the hooks of loaded modules' hooks.php (called by Environment::reset()). */
    public static function restoreHooks(): void
    {
        foreach (self::$moduleHooks as $point => $entries) {
            foreach ($entries as $entry) {
                Hooks::add($point, (int) $entry['priority'], $entry['hook_function'], $entry['rollback_function']);
            }
        }
    }

    /** @return array<string, string> module name => directory */
    public static function loaded(): array
    {
        return self::$loaded;
    }

    public static function has(string $function, ?string $module = null): bool
    {
        return function_exists(self::moduleName($module) . '_' . $function);
    }

    /** @return array<string, mixed> the $params WHMCS would pass for this service */
    public static function buildParams(int $serviceId): array
    {
        return ModuleParams::build($serviceId);
    }

    /** @param array<string, mixed> $extra merged over the built params */
    public static function call(string $function, int $serviceId, array $extra = []): mixed
    {
        $params = array_merge(ModuleParams::build($serviceId), $extra);
        return self::invoke(self::moduleName($params['moduletype'] ?: null), $function, [$params]);
    }

    /** @param list<mixed> $args */
    public static function callNoParams(string $function, array $args = [], ?string $module = null): mixed
    {
        return self::invoke(self::moduleName($module), $function, $args);
    }

    /** @param array<string, mixed> $extra e.g. ['suspendreason' => ...] or ['password' => new password] */
    public static function runModuleCommand(string $function, int $serviceId, array $extra = []): string
    {
        [$hook, $label, $status] = self::COMMANDS[$function] ?? ['ModuleCustom', 'Custom Function', null];
        $params = array_merge(ModuleParams::build($serviceId), $extra);
        if ($function === 'SuspendAccount' && ($params['suspendreason'] ?? '') === '') {
            $params['suspendreason'] = 'Overdue on Payment';
        }
        if ($hook === 'ModuleCustom') {
            $label = 'Custom Function (' . $function . ')';
        }
        $module = self::moduleName($params['moduletype'] ?: null);
        $clientId = (int) $params['userid'];

        foreach (Hooks::run('Pre' . $hook, ['params' => $params]) as $result) {
            if (!is_array($result)) {
                continue;
            }
            if (($result['abortcmd'] ?? false) === true) {
                return 'Function Aborted by Action Hook Code';
            }
            $params = array_merge($params, $result);
        }
        if (!function_exists($module . '_' . $function)) {
            $result = 'Function Not Supported by Module';
        } else {
            try {
                $raw = call_user_func($module . '_' . $function, $params);
                $result = is_string($raw) ? $raw : (is_scalar($raw) ? (string) $raw : 'An unknown error occurred');
            } catch (\Throwable $e) {
                $result = $e->getMessage();
            }
        }

        if ($result === 'success') {
            $update = [];
            if ($status !== null) {
                $update['domainstatus'] = $status;
            }
            if ($function === 'SuspendAccount') {
                $update['suspendreason'] = (string) $params['suspendreason'];
            } elseif ($function === 'UnsuspendAccount') {
                $update['suspendreason'] = '';
            } elseif ($function === 'TerminateAccount') {
                $update['termination_date'] = date('Y-m-d');
            } elseif ($function === 'ChangePassword') {
                $update['password'] = Encryption::encrypt((string) $params['password']);
            }
            if ($update !== []) {
                $update['updated_at'] = date('Y-m-d H:i:s');
                Capsule::table('tblhosting')->where('id', $serviceId)->update($update);
            }
            ActivityLog::log("Module $label Successful - Service ID: $serviceId", $clientId);
            if ($function !== 'Renew') {
                Hooks::run('After' . $hook, ['params' => $params]);
            }
            if ($function === 'CreateAccount') {
                Mailer::send('defaultnewacc', $serviceId);
            }
        } else {
            ActivityLog::log("Module $label Failed - Service ID: $serviceId - Error: $result", $clientId);
            if ($function !== 'Renew') {
                Hooks::run('After' . $hook . 'Failed', ['params' => $params, 'failureResponseMessage' => $result]);
            }
        }
        return $result;
    }

    private static function moduleName(?string $module): string
    {
        if ($module !== null && $module !== '') {
            if (!isset(self::$loaded[$module])) {
                throw new \LogicException("module '$module' is not loaded: call WhmcsStandIn\\Module::load() first");
            }
            return $module;
        }
        if (count(self::$loaded) !== 1) {
            throw new \LogicException('say which module: ' . count(self::$loaded) . ' modules are loaded');
        }
        return (string) array_key_first(self::$loaded);
    }

    /** @param list<mixed> $args */
    private static function invoke(string $module, string $function, array $args): mixed
    {
        $fn = $module . '_' . $function;
        if (!function_exists($fn)) {
            throw new \BadFunctionCallException("the $module module has no $fn()");
        }
        return $fn(...$args);
    }

    private static function linkIntoRoot(string $dir, string $name): void
    {
        $link = ROOTDIR . '/modules/servers/' . $name;
        if (is_link($link) && readlink($link) === $dir) {
            return;
        }
        if (is_link($link)) {
            @unlink($link);
        }
        if (!file_exists($link)) {
            @symlink($dir, $link);
        }
    }
}
