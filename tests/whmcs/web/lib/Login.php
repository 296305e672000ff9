<?php
/**
 * TEST STAND-IN for proprietary WHMCS: client login (login.php) and logout (logout.php).
 *
 * Mirrors WHMCS's client login as a module notices it: a POST of the email address (`username`,
 * the twenty-one field name; `email` is accepted too) and `password` (plus the CSRF `token`, which
 * the router checks for every POST) is checked against tblclients (email, case-insensitive;
 * `password_verify()` against the stored hash; a Closed client cannot log in). Success: a new
 * session id, a new CSRF token, `$_SESSION['uid']` = client id (WhmcsStandIn\Session::asClient),
 * the client's saved language applied, tblclients.lastlogin/ip updated, and a 302 to the page that
 * sent the client to login (`$_SESSION['loginurlredirect']`, local paths only) or clientarea.php.
 * Failure: the form again with twenty-one's flash alert "Login Details Incorrect. Please try again."
 * A logged-in client opening login.php is sent to clientarea.php. logout.php ends the session and
 * shows "You have been successfully logged out.".
 * Simplifications: WHMCS 8 logs in *users* (tblusers, linked to clients); the stand-in logs in the
 * client itself with tblclients.password. No two-factor, captcha, remember-me, login hooks,
 * failed-login ban, or email verification.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web;

use WHMCS\Database\Capsule;
use WhmcsStandIn\Csrf;
use WhmcsStandIn\Session;

final class Login
{
    public static function handleLogin(): void
    {
        if (Session::clientId() !== null && ($_SERVER['REQUEST_METHOD'] ?? 'GET') !== 'POST') {
            Router::redirect('clientarea.php');
            return;
        }
        $error = '';
        $email = '';
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
            // WHMCS encoded the input at boot (README fact 12); its login reads what was typed.
            $email = trim(html_entity_decode((string) ($_POST['username'] ?? $_POST['email'] ?? ''), ENT_QUOTES));
            $client = self::authenticate($email, html_entity_decode((string) ($_POST['password'] ?? ''), ENT_QUOTES));
            if ($client !== null) {
                self::logIn($client);
                return;
            }
            $error = Language::get('loginincorrect');
        }
        self::form($email, $error);
    }

    public static function handleLogout(): void
    {
        $_SESSION = [];
        if (session_status() === PHP_SESSION_ACTIVE) {
            session_regenerate_id(true);
        }
        $t = Language::strings();
        echo Theme::page([
            'title' => $t['logouttitle'],
            'client' => null,
            'breadcrumb' => [[$t['clientareanavhome'], 'clientarea.php'], [$t['logouttitle'], 'logout.php']],
            'content' => '<div class="card mw-540 mx-auto mt-4"><div class="card-body text-center py-5">'
                . '<p class="lead" id="logoutMessage">' . Theme::e($t['logoutsuccessful']) . '</p>'
                . '<a href="login.php" class="btn btn-primary">' . Theme::e($t['continue']) . '</a></div></div>',
        ]);
    }

    /** The client row for these credentials, or null. */
    public static function authenticate(string $email, string $password): ?object
    {
        if ($email === '' || $password === '') {
            return null;
        }
        $client = Capsule::table('tblclients')->whereRaw('LOWER(email) = ?', [strtolower($email)])->first();
        if ($client === null || (string) $client->status === 'Closed' || !password_verify($password, (string) $client->password)) {
            return null;
        }
        return $client;
    }

    private static function logIn(object $client): void
    {
        $back = (string) ($_SESSION['loginurlredirect'] ?? '');
        if (session_status() === PHP_SESSION_ACTIVE) {
            session_regenerate_id(true);
        }
        unset($_SESSION['loginurlredirect']);
        Csrf::rotate();
        Session::asClient((int) $client->id);
        Language::applyClientPreference($client);
        Capsule::table('tblclients')->where('id', $client->id)->update([
            'lastlogin' => date('Y-m-d H:i:s'),
            'ip' => (string) ($_SERVER['REMOTE_ADDR'] ?? ''),
        ]);
        // Only a local path: never an open redirect to another site.
        $local = $back !== '' && $back[0] === '/' && !str_starts_with($back, '//') && !str_contains($back, '\\');
        Router::redirect($local ? $back : 'clientarea.php');
    }

    private static function form(string $email, string $error): void
    {
        $t = Language::strings();
        $alert = $error !== '' ? Theme::alert('error', Theme::e($error), 'alertLoginFailed') : '';
        $token = generate_token('form');
        [$heading, $intro, $emailLabel, $passwordLabel, $emailValue] = [Theme::e($t['loginbutton']),
            Theme::e($t['userLogin.signInToContinue']), Theme::e($t['clientareaemail']), Theme::e($t['clientareapassword']), Theme::e($email)];
        $content = <<<HTML
<div class="providerLinkingFeedback"></div>
<form method="post" action="login.php" class="login-form" role="form">
    $token
    <div class="card mw-540 mx-auto mb-md-4 mt-md-4">
        <div class="card-body px-sm-5 py-5">
            <div class="mb-4">
                <h6 class="h3">$heading</h6>
                <p class="text-muted mb-0">$intro</p>
            </div>
            $alert
            <div class="form-group">
                <label for="inputEmail" class="form-control-label">$emailLabel</label>
                <input type="email" class="form-control" name="username" id="inputEmail" placeholder="name@example.com" value="$emailValue" autofocus>
            </div>
            <div class="form-group mb-4">
                <label for="inputPassword" class="form-control-label">$passwordLabel</label>
                <input type="password" class="form-control pw-input" name="password" id="inputPassword" placeholder="$passwordLabel" autocomplete="off">
            </div>
            <div class="text-center">
                <button id="login" type="submit" class="btn btn-primary">$heading</button>
            </div>
        </div>
    </div>
</form>
HTML;
        echo Theme::page([
            'title' => $t['login'],
            'client' => null,
            'bodyClass' => 'page-login',
            'breadcrumb' => [[$t['clientareanavhome'], 'clientarea.php'], [$t['login'], 'login.php']],
            'content' => $content,
        ]);
    }
}
