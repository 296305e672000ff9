<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the admin area's login (`/admin/login.php`) and logout.
 *
 * Mirrors WHMCS's admin login as a module notices it: a POST of `username` and `password` (plus
 * the CSRF `token`) is checked against tbladmins (username; `password_verify()` against the
 * stored hash; a disabled admin cannot log in). Success: a new session id and CSRF token,
 * `$_SESSION['adminid']` (as WhmcsStandIn\Session::asAdmin), and a 302 to the admin page that
 * asked for the login (local paths under /admin/ only) or the dashboard. Failure: the form again
 * with "Login Details Incorrect. Please try again." (#alertLoginFailed). logout.php ends the
 * admin's session.
 * Simplifications: no two-factor, no password reset, no failed-login ban, no remember-me.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web\Admin;

use WHMCS\Database\Capsule;
use WhmcsStandIn\Csrf;
use WhmcsStandIn\Web\Router;
use WhmcsStandIn\Web\Theme;

final class AdminLogin
{
    public static function handleLogin(): void
    {
        $error = '';
        $username = '';
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
            $username = trim(AdminArea::input('username'));
            $admin = Capsule::table('tbladmins')->where('username', $username)->where('disabled', 0)->first();
            if ($admin !== null && (string) $admin->password !== '' && password_verify(AdminArea::input('password'), (string) $admin->password)) {
                $back = (string) ($_SESSION['adminloginurlredirect'] ?? '');
                session_regenerate_id(true);
                unset($_SESSION['adminloginurlredirect']);
                Csrf::rotate();
                $_SESSION['adminid'] = (int) $admin->id;
                $local = str_starts_with($back, '/admin/') && !str_contains($back, '\\') && !str_contains($back, '//');
                Router::redirect($local ? $back : 'index.php');
                return;
            }
            $error = 'Login Details Incorrect. Please try again.';
        }
        $alert = $error !== '' ? Theme::alert('error', Theme::e($error), 'alertLoginFailed') : '';
        $token = generate_token('form');
        $value = Theme::e($username);
        echo AdminArea::page('Admin Login', <<<HTML
<form method="post" action="login.php" class="card mx-auto" style="max-width: 420px">
    <div class="card-body">
        $token
        $alert
        <div class="form-group"><label for="inputUsername">Username</label>
            <input type="text" class="form-control" name="username" id="inputUsername" value="$value" autofocus></div>
        <div class="form-group"><label for="inputPassword">Password</label>
            <input type="password" class="form-control" name="password" id="inputPassword" autocomplete="off"></div>
        <button type="submit" class="btn btn-primary btn-block" id="login">Login</button>
    </div>
</form>
HTML, null);
    }

    public static function handleLogout(): void
    {
        unset($_SESSION['adminid']);
        session_regenerate_id(true);
        Router::redirect('login.php');
    }
}
