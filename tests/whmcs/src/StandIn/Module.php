<?php
/**
 * TEST STAND-IN for proprietary WHMCS: loading and calling a provisioning (server) module.
 *
 * Installing: install($dir, $name) makes `ROOTDIR/modules/servers/<name>` a symlink to `<dir>`, the
 * path a provider uploads the module to. Loading (load()) installs, requires `<dir>/<name>.php`
 * once, loads `<dir>/hooks.php` (if present), and autoloads classes under `<dir>/lib/` PSR-4 in
 * namespace `WHMCS\Module\Server\<Name>\` (Name = ucfirst of the module name).
 *
 * Where WHMCS loads module files on its own (facts 1-3 of the README):
 *  - productEditPage($pid) and serversPage(): `include_once` of every installed server module's
 *    main file, with no try/catch, then their MetaData display names. An exception or error while a
 *    file loads propagates: in WHMCS that is the generic "Oops! Something went wrong" page.
 *    Cron's usage update does the same for the module of every enabled server.
 *  - hooks.php is loaded only for modules in use: WHMCS caches them in the setting `ModuleHooks`,
 *    rebuilt from tblproducts.servertype when a product is saved in the admin area
 *    (saveProduct(); Fixtures::product() as the admin creates one). The stand-in includes
 *    hooks.php once per process and runs a module's hooks only while the module is in that list,
 *    which is what a new WHMCS request would do. The hooks are remembered and re-registered by
 *    Environment::reset() (so hooks survive a per-test reset).
 *  - moduleSettingsTab($pid, $simpleMode): the product's Module Settings tab; loader functions run
 *    only in simple mode and only when a server of the module's type exists, else the field says
 *    "No server found so unable to fetch values".
 *
 * Calling:
 *  - call($function, $serviceId, $extra): builds `$params` as WHMCS does (ModuleParams), merges
 *    $extra over it and calls `<module>_<Function>($params)` directly; returns its raw result and
 *    lets exceptions through. The module is the service's product `servertype`.
 *  - callNoParams($function, $args): `<module>_<Function>(...$args)` (MetaData, ConfigOptions).
 *  - runModuleCommand($function, $serviceId, $extra): WHMCS's admin "module command" path
 *    (and localAPI Module*): Pre<Hook> (results may override params or return abortcmd => true),
 *    the call (an exception becomes the error string), and on 'success' the action's events:
 *    Create → Active, and no welcome email (README fact 5: only the order paths of
 *    WhmcsStandIn\Orders send it); Suspend → Suspended (the module is told "Overdue on Payment"
 *    when no reason is given, and an empty suspendreason is stored, fact 16); Unsuspend → Active;
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

    /** @var array<string, list<array{entry: array, module: string}>> hook point => entries registered by module hooks.php files */
    private static array $moduleHooks = [];

    /** What the admin sees for a loader field when no server of the module's type exists. */
    public const NO_SERVER_FOR_LOADER = 'No server found so unable to fetch values';

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
        self::install($dir, $name);

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
                        self::$moduleHooks[$point][] = ['entry' => $entry, 'module' => $name];
                    }
                }
            }
        }
    }

    /** Puts the module where a provider uploads it (`ROOTDIR/modules/servers/<name>`), without loading it. */
    public static function install(string $moduleDir, string $name = 'katapult'): void
    {
        $dir = rtrim((string) realpath($moduleDir), '/');
        if ($dir === '' || !is_file("$dir/$name.php")) {
            throw new \InvalidArgumentException("no $name.php in $moduleDir");
        }
        self::linkIntoRoot($dir, $name);
    }

    /** Re-registers the hooks of loaded modules' hooks.php (called by Environment::reset()). */
    public static function restoreHooks(): void
    {
        foreach (self::$moduleHooks as $point => $entries) {
            foreach ($entries as ['entry' => $entry]) {
                Hooks::add($point, (int) $entry['priority'], $entry['hook_function'], $entry['rollback_function']);
            }
        }
    }

    /** Whether a hook entry may run: any hook but a module's, or a module's while it is in use. */
    public static function hookRuns(string $hookPoint, array $entry): bool
    {
        foreach (self::$moduleHooks[$hookPoint] ?? [] as $registered) {
            if ($registered['entry']['hook_function'] === $entry['hook_function']) {
                return in_array($registered['module'], self::modulesInUse(), true);
            }
        }
        return true;
    }

    /** @return list<string> the `ModuleHooks` setting: modules whose hooks.php WHMCS loads */
    public static function modulesInUse(): array
    {
        $list = (string) \WHMCS\Config\Setting::getValue('ModuleHooks');
        return array_values(array_filter(explode(',', $list), static fn (string $m) => $m !== ''));
    }

    /** Rebuilds `ModuleHooks` from the modules products use, as saving a product in the admin area does. */
    public static function rebuildModulesInUse(): void
    {
        $modules = Capsule::table('tblproducts')->where('servertype', '!=', '')
            ->distinct()->orderBy('servertype')->pluck('servertype')->all();
        \WHMCS\Config\Setting::setValue('ModuleHooks', implode(',', array_map('strval', $modules)));
    }

    /**
     * The admin saves a product (Setup > Products > edit > Save Changes): the changed columns are
     * written and the `ModuleHooks` list is rebuilt.
     *
     * @param array<string, mixed> $changes tblproducts columns
     */
    public static function saveProduct(int $productId, array $changes = []): void
    {
        if ($changes !== []) {
            Capsule::table('tblproducts')->where('id', $productId)->update($changes);
        }
        self::rebuildModulesInUse();
    }

    /**
     * A product's edit page: every installed server module is included (no catch) to list it by
     * its display name.
     *
     * @return array<string, string> module name => display name
     */
    public static function productEditPage(int $productId): array
    {
        if (!Capsule::table('tblproducts')->where('id', $productId)->exists()) {
            throw new \InvalidArgumentException("no product $productId");
        }
        return self::includeInstalledModules();
    }

    /**
     * Setup > Servers: every installed server module is included (no catch) to list the servers
     * with their module's display name.
     *
     * @return list<array{id: int, name: string, module: string}>
     */
    public static function serversPage(): array
    {
        $names = self::includeInstalledModules();
        return Capsule::table('tblservers')->orderBy('id')->get()->map(static fn ($server) => [
            'id' => (int) $server->id,
            'name' => (string) $server->name,
            'module' => $names[(string) $server->type] ?? (string) $server->type,
        ])->all();
    }

    /**
     * Includes a server module's main file from `ROOTDIR/modules/servers/<name>/`, as WHMCS does
     * with a plain include_once: whatever the file throws propagates. False when not installed.
     */
    public static function includeInstalled(string $name): bool
    {
        $file = ROOTDIR . "/modules/servers/$name/$name.php";
        if (!is_file($file)) {
            return false;
        }
        include_once $file;
        return true;
    }

    /**
     * The module buttons on the admin's service page: AdminCustomButtonArray's labels, and the
     * MetaData AdminSingleSignOnLabel only when the module defines AdminSingleSignOn (README
     * fact 19).
     *
     * @return list<string> button labels
     */
    public static function adminServiceButtons(int $serviceId): array
    {
        $module = (string) (ModuleParams::build($serviceId)['moduletype'] ?? '');
        if (!self::includeInstalled($module)) {
            return [];
        }
        $buttons = function_exists($module . '_AdminCustomButtonArray')
            ? array_map('strval', array_keys((array) call_user_func($module . '_AdminCustomButtonArray')))
            : [];
        $meta = function_exists($module . '_MetaData') ? (array) call_user_func($module . '_MetaData') : [];
        if (function_exists($module . '_AdminSingleSignOn') && isset($meta['AdminSingleSignOnLabel'])) {
            $buttons[] = (string) $meta['AdminSingleSignOnLabel'];
        }
        return $buttons;
    }

    /**
     * The product's Module Settings tab: each ConfigOptions field, with the options its loader
     * gave (simple mode, a server of the module's type exists) or the text WHMCS shows instead.
     *
     * @return array<string, array{field: array, options: array|null, error: string|null}>
     */
    public static function moduleSettingsTab(int $productId, bool $simpleMode = true): array
    {
        $module = (string) Capsule::table('tblproducts')->where('id', $productId)->value('servertype');
        if (!self::includeInstalled($module) || !function_exists($module . '_ConfigOptions')) {
            throw new \InvalidArgumentException("product $productId uses no installed module");
        }
        $server = Capsule::table('tblservers')->where('type', $module)->orderBy('id')->first();
        $tab = [];
        foreach (call_user_func($module . '_ConfigOptions') as $name => $field) {
            $options = null;
            $error = null;
            if ($simpleMode && isset($field['Loader'])) {
                if ($server === null) {
                    $error = self::NO_SERVER_FOR_LOADER;
                } else {
                    try {
                        $options = call_user_func($field['Loader'], self::serverParams($server));
                    } catch (\Exception $e) {
                        // WHMCS shows a loader's exception message in the field's place.
                        $error = $e->getMessage();
                    }
                }
            }
            $tab[(string) $name] = ['field' => $field, 'options' => $options, 'error' => $error];
        }
        return $tab;
    }

    /**
     * The server fields WHMCS passes to server-level module functions (loaders, UsageUpdate).
     *
     * @return array<string, mixed>
     */
    public static function serverParams(object $server): array
    {
        $secure = in_array(strtolower((string) $server->secure), ['on', '1', 'true', 'yes'], true);
        return [
            'serverid' => (int) $server->id,
            'serverip' => (string) $server->ipaddress,
            'serverhostname' => (string) $server->hostname,
            'serverusername' => (string) $server->username,
            'serverpassword' => Encryption::decrypt((string) $server->password),
            'serveraccesshash' => (string) $server->accesshash,
            'serversecure' => $secure,
            'serverhttpprefix' => $secure ? 'https' : 'http',
            'serverport' => $server->port === null ? '' : (int) $server->port,
        ];
    }

    /** @return array<string, string> module name => display name, of every installed server module */
    private static function includeInstalledModules(): array
    {
        $names = [];
        foreach (glob(ROOTDIR . '/modules/servers/*', GLOB_ONLYDIR) ?: [] as $dir) {
            $name = basename($dir);
            if (self::includeInstalled($name)) {
                $meta = function_exists($name . '_MetaData') ? call_user_func($name . '_MetaData') : [];
                $names[$name] = (string) ($meta['DisplayName'] ?? $name);
            }
        }
        ksort($names);
        return $names;
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
        // The reason an admin or the API gave is stored; suspension for non-payment tells the
        // module "Overdue on Payment" and stores an empty reason (README fact 16).
        $storedReason = (string) ($extra['suspendreason'] ?? '');
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
                $update['suspendreason'] = $storedReason;
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
