<?php
/**
 * TEST STAND-IN for proprietary WHMCS: what WHMCS's init.php and the web server do for every
 * client-area request, for PHP's built-in server (see web/router.php and README.md "Web front").
 *
 * Per request: boot the stand-in (bootstrap.php: DB, ROOTDIR), load the module (env
 * WHMCS_MODULE_DIR, default the repository's module/; WHMCS_MODULE_NAME, default katapult; as
 * WHMCS loads every active module and its hooks.php on each page), then either
 *  - a page: /clientarea.php, /login.php, /logout.php (/ and /index.php redirect to clientarea.php).
 *    Like WHMCS's client area: CLIENTAREA is defined, the PHP session is started (file sessions
 *    under ROOTDIR/sessions or env WHMCS_SESSION_DIR; cookie `WHMCS<hash>`, HttpOnly, SameSite=Lax;
 *    PHP's session lock serialises a session's requests, as with WHMCS's default file sessions),
 *    `$GLOBALS['CONFIG']` holds the tblconfiguration settings, `?language=` switches the language,
 *    and a POST must carry the session's CSRF `token`: one that fails ends the session and
 *    redirects to the login page (README fact 11). A module's custom function
 *    (clientarea.php?…&modop=custom) is not checked (fact 8: the module's own tokens protect it);
 *  - or an admin page under /admin/ (Admin\AdminArea and the page classes beside it: login,
 *    dashboard, product edit, a client's service, addon modules): as WHMCS's admin area,
 *    ADMINAREA is defined instead of CLIENTAREA, the same PHP session holds the admin
 *    (`$_SESSION['adminid']`), and a POST without the session's CSRF token runs nothing;
 *    the hooks.php of every active addon module is loaded first (WhmcsStandIn\AddonModules);
 *  - or a static file (StaticFiles: theme assets, files under ROOTDIR, the module's assets
 *    through its symlink; never outside, never PHP or templates);
 *  - or 404.
 * PHP errors are logged (all levels), never displayed. Each request is logged on stderr ("[whmcs stand-in] <status> <method> <uri> (<ms> ms)").
 * An exception escaping a page gives WHMCS's generic "Oops! Something went wrong" page (500) and
 * goes to the server's error log.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web;

use WHMCS\Database\Capsule;
use WhmcsStandIn\Csrf;
use WhmcsStandIn\Module;

final class Router
{
    private const PAGES = [
        '/clientarea.php' => [ClientArea::class, 'handle'],
        '/login.php' => [Login::class, 'handleLogin'],
        '/logout.php' => [Login::class, 'handleLogout'],
    ];

    /** The admin area's pages (under /admin/, WHMCS's default admin folder). */
    private const ADMIN_PAGES = [
        '/admin/login.php' => [Admin\AdminLogin::class, 'handleLogin'],
        '/admin/logout.php' => [Admin\AdminLogin::class, 'handleLogout'],
        '/admin/index.php' => [Admin\Dashboard::class, 'handle'],
        '/admin/configproducts.php' => [Admin\ProductEdit::class, 'handle'],
        '/admin/clientsservices.php' => [Admin\ServicePage::class, 'handle'],
        '/admin/configaddonmods.php' => [Admin\AddonModulesPage::class, 'handleList'],
        '/admin/addonmodules.php' => [Admin\AddonModulesPage::class, 'handleOutput'],
    ];

    public static function run(): void
    {
        // As WHMCS with "Display Errors" off: PHP errors never go into a page (or a JSON answer),
        // they go to the server's log (stderr), all of them, for whoever reads the test logs.
        ini_set('display_errors', '0');
        ini_set('log_errors', '1');
        error_reporting(E_ALL);
        $uri = (string) ($_SERVER['REQUEST_URI'] ?? '/');
        $path = rawurldecode((string) (parse_url($uri, PHP_URL_PATH) ?? '/'));
        $start = microtime(true);
        // An access log line on stderr (the built-in server does not log requests a router answers);
        // at shutdown, so it also covers module functions that answer and exit.
        register_shutdown_function(static function () use ($uri, $start): void {
            error_log(sprintf('[whmcs stand-in] %d %s %s (%d ms)', http_response_code() ?: 200,
                $_SERVER['REQUEST_METHOD'] ?? 'GET', $uri, (int) round((microtime(true) - $start) * 1000)));
        });

        try {
            self::loadModule();
        } catch (\Throwable $e) {
            error_log('[whmcs stand-in] loading the module failed: ' . $e);
            self::plainError(500, 'The module could not be loaded: ' . $e->getMessage());
            return;
        }

        if ($path === '/' || $path === '/index.php') {
            self::redirect('clientarea.php');
            return;
        }
        if (isset(self::PAGES[$path])) {
            self::page(self::PAGES[$path]);
            return;
        }
        if ($path === '/admin' || $path === '/admin/') {
            self::redirect('/admin/index.php');
            return;
        }
        if (isset(self::ADMIN_PAGES[$path])) {
            self::adminPage(self::ADMIN_PAGES[$path]);
            return;
        }
        self::staticFile($path);
    }

    public static function redirect(string $url): void
    {
        header('Location: ' . $url, true, 302);
    }

    private static function loadModule(): void
    {
        $dir = getenv('WHMCS_MODULE_DIR') ?: dirname(__DIR__, 4) . '/module';
        $name = getenv('WHMCS_MODULE_NAME') ?: 'katapult';
        if (is_file("$dir/$name.php")) {
            Module::load($dir, $name);
        } else {
            error_log("[whmcs stand-in] no module at $dir/$name.php: pages run without it");
        }
    }

    /** @param array{0: class-string, 1: string} $handler */
    private static function page(array $handler): void
    {
        if (!defined('CLIENTAREA')) {
            define('CLIENTAREA', true);
        }
        self::startSession();
        $GLOBALS['CONFIG'] = ['Language' => 'english', 'Template' => 'twenty-one']
            + Capsule::table('tblconfiguration')->pluck('value', 'setting')->all();
        Language::applyRequest();
        $GLOBALS['_LANG'] = Language::strings();
        header('Content-Type: text/html; charset=utf-8');

        $moduleCustom = $handler[0] === ClientArea::class && ($_POST['modop'] ?? $_GET['modop'] ?? null) === 'custom';
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST' && !$moduleCustom && !Csrf::isValid()) {
            $_SESSION = [];
            session_destroy();
            self::redirect('login.php');
            return;
        }
        self::runPage(implode('::', $handler), $handler, static fn (string $oops) => Theme::page(['title' => 'Oops!', 'client' => null, 'content' => $oops]));
    }

    /** @param array{0: class-string, 1: string} $handler */
    private static function adminPage(array $handler): void
    {
        if (!defined('ADMINAREA')) {
            define('ADMINAREA', true);
        }
        self::startSession();
        $GLOBALS['CONFIG'] = ['Language' => 'english'] + Capsule::table('tblconfiguration')->pluck('value', 'setting')->all();
        header('Content-Type: text/html; charset=utf-8');
        self::runPage(implode('::', $handler), static function () use ($handler): void {
            \WhmcsStandIn\AddonModules::loadActiveHooks();
            $handler();
        }, static fn (string $oops) => Admin\AdminArea::page('Oops!', $oops, null));
    }

    /**
     * Runs a page; an exception escaping it gives WHMCS's generic "Oops" page (HTTP 500) in the
     * area's frame, and goes to the server's error log.
     *
     * @param callable(string): string $frame the frame around the Oops alert
     */
    private static function runPage(string $name, callable $handler, callable $frame): void
    {
        ob_start();
        try {
            $handler();
            ob_end_flush();
        } catch (\Throwable $e) {
            ob_end_clean();
            error_log("[whmcs stand-in] $name threw: $e");
            http_response_code(500);
            header_remove('Location');
            echo $frame(Theme::alert('error', 'Oops! Something went wrong and we couldn\'t process your request. '
                . 'Please go back to the previous page and try again.', 'alertInternalError'));
        }
    }

    private static function startSession(): void
    {
        if (session_status() === PHP_SESSION_ACTIVE) {
            return;
        }
        $dir = getenv('WHMCS_SESSION_DIR') ?: ROOTDIR . '/sessions';
        if (!is_dir($dir)) {
            @mkdir($dir, 0700, true);
        }
        ini_set('session.use_strict_mode', '1');
        session_save_path($dir);
        session_name('WHMCS' . substr(sha1(ROOTDIR), 0, 12));
        session_set_cookie_params(['lifetime' => 0, 'path' => '/', 'httponly' => true, 'samesite' => 'Lax']);
        session_start();
    }

    private static function staticFile(string $path): void
    {
        $method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
        $vendorDir = getenv('WHMCS_WEB_VENDOR_DIR') ?: dirname(__DIR__, 3) . '/browser/node_modules';
        $theme = StaticFiles::themeFiles($vendorDir);
        if (isset($theme[$path])) {
            $file = is_file($theme[$path]) ? $theme[$path] : null;
            if ($file === null) {
                error_log("[whmcs stand-in] theme asset $path missing: run npm ci in tests/browser");
            }
        } else {
            $file = StaticFiles::resolve($path, ROOTDIR, self::moduleDirs());
        }
        if ($file === null || !in_array($method, ['GET', 'HEAD'], true)) {
            self::plainError(404, 'Not Found');
            return;
        }
        StaticFiles::send($file, $path);
    }

    private static function plainError(int $status, string $message): void
    {
        http_response_code($status);
        header('Content-Type: text/plain; charset=utf-8');
        echo $message, "\n";
    }

    /**
     * The loaded modules' directories and the folders linked into them (a development checkout
     * links module/views and module/assets to the repository's top level): a web server follows
     * those links too.
     *
     * @return list<string>
     */
    private static function moduleDirs(): array
    {
        $dirs = [];
        foreach (Module::loaded() as $dir) {
            $dirs[] = (string) realpath($dir);
            foreach ((array) glob(rtrim($dir, '/') . '/*', GLOB_ONLYDIR) as $child) {
                if (is_link((string) $child)) {
                    $dirs[] = (string) realpath((string) $child);
                }
            }
        }
        return array_values(array_filter($dirs));
    }
}
