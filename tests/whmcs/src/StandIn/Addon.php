<?php
/**
 * TEST STAND-IN for proprietary WHMCS: addon modules (modules/addons/<name>/<name>.php), as
 * WHMCS's developer documentation describes them ("Addon Modules"): `<name>_config()` names the
 * module and its settings, `<name>_activate()` runs when the admin activates it, and the admin
 * page addonmodules.php?module=<name> echoes what `<name>_output($vars)` prints, `$vars` holding
 * the module's settings, `modulelink`, `version` and `_lang`. The module's `hooks.php` is loaded
 * with it.
 * Simplification: activation is not recorded in tbladdonmodules and access is not checked
 * against admin roles; the page's surrounding admin template is not rendered.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

final class Addon
{
    /** Puts the addon where a provider uploads it (`ROOTDIR/modules/addons/<name>`) and loads it. */
    public static function load(string $addonDir, string $name = 'katapult'): void
    {
        $dir = rtrim((string) realpath($addonDir), '/');
        if ($dir === '' || !is_file("$dir/$name.php")) {
            throw new \InvalidArgumentException("no $name.php in $addonDir");
        }
        $link = ROOTDIR . '/modules/addons/' . $name;
        if (!is_dir(dirname($link))) {
            mkdir(dirname($link), 0777, true);
        }
        if (is_link($link) && readlink($link) !== $dir) {
            unlink($link);
        }
        if (!file_exists($link)) {
            symlink($dir, $link);
        }
        require_once "$link/$name.php";
        if (is_file("$link/hooks.php")) {
            require_once "$link/hooks.php";
        }
    }

    /** @return array<string, mixed> what `<name>_config()` returns */
    public static function config(string $name = 'katapult'): array
    {
        return call_user_func($name . '_config');
    }

    /** @return array<string, mixed> what `<name>_activate()` returns */
    public static function activate(string $name = 'katapult'): array
    {
        return call_user_func($name . '_activate');
    }

    /**
     * The addon's admin page as addonmodules.php?module=<name> shows it: what `<name>_output`
     * prints. `$get` and `$post` are the request as the admin sent it (HTML-encoded here, as
     * WHMCS does at boot); the logged-in admin is `$adminId`.
     *
     * @param array<string, string> $get
     * @param array<string, string> $post
     */
    public static function page(string $name = 'katapult', array $get = [], array $post = [], int $adminId = 1): string
    {
        $before = [$_GET, $_POST, $_SESSION ?? []];
        $_GET = Environment::asSubmitted(['module' => $name] + $get);
        $_POST = Environment::asSubmitted($post);
        $_SESSION['adminid'] = $adminId;
        $vars = [
            'modulelink' => 'addonmodules.php?module=' . $name,
            'version' => (string) (self::config($name)['version'] ?? ''),
            '_lang' => [],
        ];
        ob_start();
        try {
            call_user_func($name . '_output', $vars);
        } finally {
            $output = (string) ob_get_clean();
            [$_GET, $_POST, $_SESSION] = $before;
        }
        return $output;
    }
}
