<?php
/**
 * TEST STAND-IN for proprietary WHMCS: boots the stand-in WHMCS installation.
 *
 * What WHMCS's init.php does for a module, reduced to what modules see:
 *  - defines `WHMCS` (module files die without it) and `ROOTDIR` (the installation root; here a
 *    directory under the temp dir, or env WHMCS_ROOTDIR), with `modules/servers/` and a real
 *    `configuration.php` written in WHMCS's format ($db_host, $db_port, $db_username, $db_password,
 *    $db_name, $cc_encryption_hash, $mysql_charset, ...); its path is the constant
 *    `WHMCS_CONFIGURATION_FILE`;
 *  - includes that configuration.php as WHMCS does (README fact 14: PHP runs it, so comments,
 *    a later assignment or a value from getenv() count as PHP says) and sets the global
 *    `$cc_encryption_hash` from it (written from env WHMCS_CC_ENCRYPTION_HASH or a fixed test
 *    value), the installation secret encrypt()/decrypt() are keyed by;
 *  - HTML-encodes `$_GET`, `$_POST`, `$_REQUEST` and `$_COOKIE` (README fact 12:
 *    htmlspecialchars with ENT_QUOTES); tests that post values pass them through asSubmitted();
 *  - connects `WHMCS\Database\Capsule` (global, Eloquent booted) to WHMCS_DB_DSN
 *    (+ WHMCS_DB_USER / WHMCS_DB_PASS); default `sqlite:<tmp>/katapult-whmcs-standin-<checkout>.sqlite`;
 *  - creates the WHMCS tables when missing (Schema) and seeds what every WHMCS install has (one
 *    default currency, ModuleDebugMode off);
 *  - loads the provider's hook files, `includes/hooks/*.php`, as WHMCS does on every request.
 * `reset()` empties every table of the database (module tables too), clears hooks and the
 * session actor, and re-seeds: call it in each test's setUp.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Config\Setting;
use WHMCS\Database\Capsule;

final class Environment
{
    public const DEFAULT_CC_ENCRYPTION_HASH = 'standin-test-cc-encryption-hash-0123456789abcdefghijklmnopqrstuvwxyzABCDEF';

    private static bool $booted = false;

    /** WHMCS_DB_DSN, or this checkout's own SQLite file. */
    public static function dsn(): string
    {
        return getenv('WHMCS_DB_DSN') ?: 'sqlite:' . self::defaultPrefix() . '.sqlite';
    }

    /**
     * Where the default database and root live: one per checkout, since two checkouts on one
     * machine must not share a root (its configuration.php names one database) or a database.
     */
    private static function defaultPrefix(): string
    {
        return rtrim(sys_get_temp_dir(), '/') . '/katapult-whmcs-standin-' . substr(sha1(__DIR__), 0, 8);
    }

    public static function boot(): void
    {
        if (self::$booted) {
            return;
        }
        $dsn = self::dsn();
        $user = getenv('WHMCS_DB_USER') ?: '';
        $pass = getenv('WHMCS_DB_PASS') ?: '';
        $hash = getenv('WHMCS_CC_ENCRYPTION_HASH') ?: self::DEFAULT_CC_ENCRYPTION_HASH;
        $root = getenv('WHMCS_ROOTDIR') ?: self::defaultPrefix() . '-root';

        if (!defined('WHMCS')) {
            define('WHMCS', true);
        }
        if (!defined('ROOTDIR')) {
            define('ROOTDIR', $root);
        }
        foreach ([ROOTDIR, ROOTDIR . '/modules/servers', ROOTDIR . '/includes/hooks', ROOTDIR . '/templates_c'] as $dir) {
            if (!is_dir($dir) && !@mkdir($dir, 0777, true) && !is_dir($dir)) {
                throw new \RuntimeException("cannot create $dir");
            }
        }
        $config = Dsn::toConnectionConfig($dsn, $user, $pass);
        if ($config['driver'] === 'sqlite' && $config['database'] !== ':memory:' && !is_file($config['database'])) {
            touch($config['database']);
        }
        self::writeConfigurationFile(ROOTDIR . '/configuration.php', $config, $dsn, $hash);
        if (!defined('WHMCS_CONFIGURATION_FILE')) {
            define('WHMCS_CONFIGURATION_FILE', ROOTDIR . '/configuration.php');
        }
        $GLOBALS['cc_encryption_hash'] = (string) (self::loadConfiguration(WHMCS_CONFIGURATION_FILE)['cc_encryption_hash'] ?? '');
        foreach (['_GET', '_POST', '_REQUEST', '_COOKIE'] as $input) {
            $GLOBALS[$input] = self::asSubmitted($GLOBALS[$input] ?? []);
        }

        $capsule = new Capsule();
        $capsule->addConnection($config);
        $capsule->setAsGlobal();
        $capsule->bootEloquent();
        if ($config['driver'] === 'sqlite') {
            // Several PHP processes (PHPUnit, cron.php, the lead's tests) may share the file.
            // WAL lets readers and one writer work at once; synchronous NORMAL keeps it fast.
            $pdo = Capsule::connection()->getPdo();
            $pdo->exec('PRAGMA busy_timeout = 5000');
            if ($config['database'] !== ':memory:') {
                $pdo->exec('PRAGMA journal_mode = WAL');
            }
            $pdo->exec('PRAGMA synchronous = NORMAL');
        }

        Schema::ensure();
        self::seed();
        self::$booted = true;
        // As WHMCS's init does on every request and cron run: the provider's own hook files.
        foreach (glob(ROOTDIR . '/includes/hooks/*.php') ?: [] as $hookFile) {
            require_once $hookFile;
        }
    }

    /**
     * The variables a configuration.php sets, by running it as WHMCS does (`include`).
     *
     * @return array<string, mixed>
     */
    public static function loadConfiguration(string $path): array
    {
        return (static function (string $__file): array {
            include $__file;
            unset($__file);
            return get_defined_vars();
        })($path);
    }

    /**
     * Values as a module receives them in WHMCS after boot: strings HTML-encoded
     * (htmlspecialchars, ENT_QUOTES), arrays encoded throughout.
     *
     * @param array<mixed> $values
     * @return array<mixed>
     */
    public static function asSubmitted(array $values): array
    {
        return array_map(static fn ($value) => match (true) {
            is_array($value) => self::asSubmitted($value),
            is_string($value) => htmlspecialchars($value, ENT_QUOTES),
            default => $value,
        }, $values);
    }

    public static function driver(): string
    {
        return Capsule::connection()->getDriverName();
    }

    /** Empties every table in the database, clears hooks/session, re-seeds the defaults. */
    public static function reset(): void
    {
        foreach (self::allTables() as $table) {
            Capsule::table($table)->delete();
        }
        if (self::driver() === 'sqlite' && Capsule::schema()->hasTable('sqlite_sequence')) {
            Capsule::table('sqlite_sequence')->delete();
        }
        Capsule::table('tblconfiguration')->insert(['setting' => 'StandInSchemaVersion', 'value' => Schema::VERSION]);
        Hooks::reset();
        LocalApi::$runningViaLocalApi = false;
        LocalApi::$calls = [];
        Module::restoreHooks();
        Session::asSystem();
        self::seed();
    }

    /** @return list<string> every table of the connected database */
    public static function allTables(): array
    {
        if (self::driver() === 'sqlite') {
            $rows = Capsule::select("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
        } else {
            $rows = Capsule::select('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()');
        }
        return array_map(static fn ($r) => (string) $r->name, $rows);
    }

    private static function seed(): void
    {
        if (!Capsule::table('tblcurrencies')->exists()) {
            Capsule::table('tblcurrencies')->insert([
                'code' => 'USD', 'prefix' => '$', 'suffix' => ' USD', 'format' => 1, 'rate' => 1, 'default' => 1,
            ]);
        }
        foreach (['ModuleDebugMode' => '', 'CompanyName' => 'Stand-in Hosting', 'SystemURL' => 'https://whmcs.example.test/',
                     'Email' => 'billing@whmcs.example.test'] as $setting => $value) {
            if (Setting::getValue($setting) === null) {
                Setting::setValue($setting, $value);
            }
        }
    }

    /** @param array<string, mixed> $config */
    private static function writeConfigurationFile(string $path, array $config, string $dsn, string $hash): void
    {
        $mysql = $config['driver'] === 'mysql';
        $vars = [
            'license' => 'WHMCS-STANDIN-TEST-LICENSE',
            'db_host' => $mysql ? $config['host'] : '',
            'db_port' => $mysql ? (string) $config['port'] : '',
            'db_username' => $mysql ? $config['username'] : '',
            'db_password' => $mysql ? $config['password'] : '',
            'db_name' => $mysql ? $config['database'] : '',
            'db_tls_ca' => '',
            'db_tls_ca_path' => '',
            'db_tls_cert' => '',
            'db_tls_cipher' => '',
            'db_tls_key' => '',
            'db_tls_verify_cert' => '',
            'cc_encryption_hash' => $hash,
            'templates_compiledir' => 'templates_c',
            'mysql_charset' => 'utf8mb4',
        ];
        $php = "<?php\n// WHMCS configuration file (written by the TEST STAND-IN for proprietary WHMCS).\n";
        foreach ($vars as $name => $value) {
            $php .= '$' . $name . ' = ' . var_export($value, true) . ";\n";
        }
        $php .= '// Stand-in only: the PDO DSN the stand-in connected with (SQLite has no $db_host).' . "\n";
        $php .= '$standin_db_dsn = ' . var_export($dsn, true) . ";\n";
        if (!is_file($path) || file_get_contents($path) !== $php) {
            $tmp = $path . '.' . getmypid() . '.tmp';
            file_put_contents($tmp, $php);
            rename($tmp, $path);
        }
    }
}
