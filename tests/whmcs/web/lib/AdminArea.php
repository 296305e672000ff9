<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the admin area as a module meets it, for browser tests of
 * the module's admin service tab and buttons: admin login (admin/login.php) and a service's page
 * (admin/clientsservices.php?id=N).
 *
 * Mirrors what the module sees (REFERENCE.md "AdminServicesTabFields", "AdminCustomButtonArray",
 * BEHAVIOUR.md on module commands): ADMINAREA is defined (not CLIENTAREA); the service page
 * needs a logged-in admin (else 302 to admin/login.php); it shows the service's product and
 * status, WHMCS's own module command buttons (Create, Suspend, Unsuspend, Terminate, Change
 * Package) followed by the module's AdminCustomButtonArray buttons, and the module's
 * AdminServicesTabFields as label/value rows (the values are the module's HTML, as WHMCS prints
 * them). A button is a POST (with the CSRF `token`, which the router checks) of `modop` =
 * create|suspend|unsuspend|terminate|changepackage|custom and, for custom, `ac` = the function
 * suffix; it runs WhmcsStandIn\Module::runModuleCommand (status changes, activity log and
 * hooks as WHMCS's) and shows WHMCS's "Module Command Success" or "Module Command Error" with
 * the module's message. Login: tbladmins username and password_verify() of tbladmins.password.
 * Simplifications: the client theme's layout (not the admin "blend" theme), no roles or
 * permissions, no two-factor, no other admin pages.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web;

use WHMCS\Database\Capsule;
use WhmcsStandIn\Csrf;
use WhmcsStandIn\Module;
use WhmcsStandIn\ModuleParams;

final class AdminArea
{
    /** WHMCS's module command buttons: modop => [label, module function]. */
    private const COMMANDS = [
        'create' => ['Create', 'CreateAccount'],
        'suspend' => ['Suspend', 'SuspendAccount'],
        'unsuspend' => ['Unsuspend', 'UnsuspendAccount'],
        'terminate' => ['Terminate', 'TerminateAccount'],
        'changepackage' => ['Change Package', 'ChangePackage'],
    ];

    public static function handleLogin(): void
    {
        $error = '';
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
            $username = trim(html_entity_decode((string) ($_POST['username'] ?? ''), ENT_QUOTES));
            $admin = Capsule::table('tbladmins')->where('username', $username)->where('disabled', 0)->first();
            $password = html_entity_decode((string) ($_POST['password'] ?? ''), ENT_QUOTES);
            if ($admin !== null && (string) $admin->password !== '' && password_verify($password, (string) $admin->password)) {
                session_regenerate_id(true);
                $_SESSION['adminid'] = (int) $admin->id;
                $back = (string) ($_SESSION['adminloginredirect'] ?? '');
                unset($_SESSION['adminloginredirect']);
                Router::redirect(str_starts_with($back, '/admin/') ? $back : 'clientsservices.php');
                return;
            }
            $error = Theme::alert('error', 'Login Details Incorrect. Please try again.', 'alertLoginFailed');
        }
        echo Theme::page([
            'title' => 'Admin Login',
            'client' => null,
            'content' => $error . '<form method="post" action="login.php" class="card mw-540 mx-auto mt-4"><div class="card-body">'
                . '<input type="hidden" name="token" value="' . Theme::e(Csrf::token()) . '">'
                . '<div class="form-group"><label for="inputUsername">Username</label><input class="form-control" id="inputUsername" name="username"></div>'
                . '<div class="form-group"><label for="inputPassword">Password</label><input class="form-control" type="password" id="inputPassword" name="password"></div>'
                . '<button type="submit" class="btn btn-primary" id="login">Login</button></div></form>',
        ]);
    }

    public static function handleService(): void
    {
        if (!isset($_SESSION['adminid'])) {
            $_SESSION['adminloginredirect'] = (string) ($_SERVER['REQUEST_URI'] ?? '');
            Router::redirect('login.php');
            return;
        }
        $id = (int) ($_GET['id'] ?? $_POST['id'] ?? 0);
        $service = Capsule::table('tblhosting')->where('id', $id)->first();
        if ($service === null) {
            http_response_code(404);
            echo Theme::page(['title' => 'Services', 'client' => null, 'content' => Theme::alert('error', 'No service with that id.')]);
            return;
        }
        $alert = '';
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
            $alert = self::runCommand($id, (string) ($_POST['modop'] ?? ''), (string) ($_POST['ac'] ?? ''));
            $service = Capsule::table('tblhosting')->where('id', $id)->first();
        }
        $module = (string) (ModuleParams::build($id)['moduletype'] ?? '');
        $product = Capsule::table('tblproducts')->where('id', $service->packageid)->first();
        echo Theme::page([
            'title' => 'Products/Services',
            'client' => null,
            'content' => $alert
                . '<h2 class="h4">' . Theme::e((string) ($product->name ?? '')) . ' <span class="badge badge-secondary" id="serviceStatus">' . Theme::e((string) $service->domainstatus) . '</span></h2>'
                . self::buttons($id, $module)
                . self::tabFields($id, $module),
        ]);
    }

    /** Runs a module command as WHMCS's admin buttons do; the alert WHMCS shows. */
    private static function runCommand(int $id, string $modop, string $custom): string
    {
        $function = $modop === 'custom' ? $custom : (self::COMMANDS[$modop][1] ?? '');
        if ($function === '') {
            return Theme::alert('error', 'Unknown module command.');
        }
        $result = Module::runModuleCommand($function, $id);
        return $result === 'success'
            ? Theme::alert('success', 'Module Command Success', 'alertModuleSuccess')
            : Theme::alert('error', 'Module Command Error: ' . Theme::e($result), 'alertModuleError');
    }

    private static function buttons(int $id, string $module): string
    {
        $buttons = [];
        foreach (self::COMMANDS as $modop => [$label]) {
            $buttons[] = [$label, $modop, ''];
        }
        if (Module::includeInstalled($module) && function_exists($module . '_AdminCustomButtonArray')) {
            foreach ((array) call_user_func($module . '_AdminCustomButtonArray') as $label => $function) {
                $buttons[] = [(string) $label, 'custom', (string) $function];
            }
        }
        $html = '<div class="module-commands mb-3" id="moduleCommands">';
        foreach ($buttons as [$label, $modop, $function]) {
            $html .= '<form method="post" action="clientsservices.php?id=' . $id . '" class="d-inline-block mr-1 mb-1">'
                . '<input type="hidden" name="token" value="' . Theme::e(Csrf::token()) . '">'
                . '<input type="hidden" name="modop" value="' . Theme::e($modop) . '">'
                . '<input type="hidden" name="ac" value="' . Theme::e($function) . '">'
                . '<button type="submit" class="btn btn-sm btn-default btn-outline-secondary" data-module-command="' . Theme::e($function ?: $modop) . '">' . Theme::e($label) . '</button></form>';
        }
        return $html . '</div>';
    }

    /** The module's AdminServicesTabFields, label => the module's HTML. */
    private static function tabFields(int $id, string $module): string
    {
        if (!Module::includeInstalled($module) || !function_exists($module . '_AdminServicesTabFields')) {
            return '';
        }
        $rows = '';
        foreach ((array) call_user_func($module . '_AdminServicesTabFields', ModuleParams::build($id)) as $label => $html) {
            $rows .= '<tr><th class="fieldlabel w-25">' . Theme::e((string) $label) . '</th><td class="fieldarea">' . $html . '</td></tr>';
        }
        return '<table class="table table-sm form" id="moduleTabFields">' . $rows . '</table>';
    }
}
